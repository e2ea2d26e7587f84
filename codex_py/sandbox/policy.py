"""The sandbox policy: which folders commands may write, whether they reach the network, how argv is wrapped.

``SandboxPolicy.from_config`` turns the config's ``sandbox_mode`` and ``[sandbox_workspace_write]`` into a
policy; ``sandboxed_command`` rewrites argv to run through the Landlock exec helper; ``sandbox_status``
is the one-line summary for ``/status`` and start-up warnings; ``startup_warnings`` says when codex-py's
own home or installation overlaps a writable root.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from codex_py.config import Config

Mode = Literal["read-only", "workspace-write", "danger-full-access"]

PROTECTED_DIRS = (".git", ".codex", ".codex-py", ".agents")
"""Folders directly inside a writable root that patches never write without approval (``.codex-py`` and
``.codex`` hold a project's config.toml, whose MCP servers a trusted project starts outside the sandbox)."""

SECRET_NAME_PARTS = ("KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD")
"""Environment variables whose names contain one of these (any case) are not passed to commands."""



class SandboxPolicy:
    """What a command may touch. Reading is always allowed; writing depends on ``mode``.

    A plain slotted class rather than a dataclass: it is built at every start-up, where generating a
    dataclass's methods cost about a millisecond.
    """

    __slots__ = ("hidden_env", "home", "install", "mode", "network_access", "temp_roots", "workspace", "writable_roots")

    mode: Mode
    workspace: Path
    writable_roots: list[Path]
    """Extra writable folders under workspace-write."""
    network_access: bool
    """Outbound network under workspace-write (read-only never has it; full access always does)."""
    temp_roots: list[Path] | None
    """Temp folders writable under workspace-write; None means ``/tmp``, ``/dev/shm`` and ``$TMPDIR``."""
    hidden_env: frozenset[str]
    """Variables never passed to commands besides the secret-looking names: every configured provider's
    ``env_key`` and ``env_http_headers`` variables."""
    home: tuple[Path, ...]
    """codex-py's own folders (config, data, state; resolved). A writable root other than the workspace
    that contains one, or lies inside one, is dropped; paths inside them are never writable by patches."""
    install: tuple[Path, ...]
    """Where codex-py's code and interpreter live (resolved); an extra or temp root containing one is
    dropped too."""

    def __init__(
        self,
        mode: Mode,
        workspace: Path,
        writable_roots: list[Path] | None = None,
        network_access: bool = False,
        temp_roots: list[Path] | None = None,
        *,
        hidden_env: frozenset[str] = frozenset(),
        home: tuple[Path, ...] = (),
        install: tuple[Path, ...] = (),
    ) -> None:
        self.mode = mode
        self.workspace = workspace
        self.writable_roots = [] if writable_roots is None else writable_roots
        self.network_access = network_access
        self.temp_roots = temp_roots
        self.hidden_env = hidden_env
        self.home = home
        self.install = install

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"SandboxPolicy({fields})"

    @classmethod
    def from_config(cls, config: Config) -> SandboxPolicy:
        """The policy for ``config.sandbox_mode``, rooted at ``config.cwd``."""
        workspace = config.cwd.resolve()
        ws = config.sandbox_workspace_write
        roots = [(workspace / Path(root).expanduser()).resolve() for root in ws.writable_roots]
        temps = default_temp_roots(slash_tmp=not ws.exclude_slash_tmp, tmpdir=not ws.exclude_tmpdir_env_var)
        return cls(
            config.sandbox_mode,
            workspace,
            roots,
            ws.network_access,
            temps,
            hidden_env=provider_env_names(config),
            home=_home_paths(),
            install=_install_paths(),
        )

    @property
    def sandboxed(self) -> bool:
        """False only under danger-full-access."""
        return self.mode != "danger-full-access"

    @property
    def allows_network(self) -> bool:
        """Whether outbound network is meant to work."""
        return self.mode == "danger-full-access" or (self.mode == "workspace-write" and self.network_access)

    def write_roots(self) -> list[Path]:
        """The resolved folders commands may write beneath (empty for read-only, ``/`` for full access)."""
        if self.mode == "danger-full-access":
            return [Path("/")]
        if self.mode == "read-only":
            return []
        return self._roots()[0]

    def dropped_roots(self) -> list[tuple[Path, Path]]:
        """(root, protected path) for each extra or temp root left out because it overlaps codex-py's home
        or installation (Landlock cannot carve a folder out of a root, so the whole root goes)."""
        return self._roots()[1] if self.mode == "workspace-write" else []

    def _roots(self) -> tuple[list[Path], list[tuple[Path, Path]]]:
        temps = default_temp_roots() if self.temp_roots is None else self.temp_roots
        workspace = self.workspace.resolve()
        roots: list[Path] = [workspace]
        dropped: list[tuple[Path, Path]] = []
        for root in [*self.writable_roots, *temps]:
            resolved = root.resolve()
            if resolved in roots or any(resolved == d for d, _ in dropped):
                continue
            hit = _clash(resolved, self)
            if hit is None:
                roots.append(resolved)
            else:
                dropped.append((resolved, hit))
        return roots, dropped

    def can_write(self, path: Path, *, follow_last: bool = True) -> bool:
        """Whether ``path`` (resolved, following symlinks) lies in a writable root and in no root's protected dirs.

        ``follow_last=False`` judges the directory entry itself, ``realpath(parent)/name`` (a patch deleting
        a symlink removes the link, wherever it points).

        The protected dirs (``.git``, ``.codex``, ``.agents`` directly inside a root) win over an enclosing
        root, so the workspace's ``.git`` stays protected even when the workspace itself lies under /tmp.
        codex-py's home is never writable (it may lie in the workspace, where Landlock cannot protect it).
        """
        if self.mode == "danger-full-access":
            return True
        joined = self.workspace / path
        try:
            target = joined.resolve() if follow_last else joined.parent.resolve() / joined.name
        except OSError:  # EINVAL: a folder on the path was swapped with a symlink while being resolved
            return False
        if any(_within(target, home) for home in self.home):
            return False
        inside = False
        for root in self.write_roots():
            try:
                rel = target.relative_to(root)
            except ValueError:
                continue
            if rel.parts and rel.parts[0] in PROTECTED_DIRS:
                return False
            inside = True
        return inside


def sandboxed_command(
    argv: list[str], policy: SandboxPolicy, env: Mapping[str, str] | None = None, *, abi: int | None = None
) -> tuple[list[str], dict[str, str], bool]:
    """argv, environment and "Landlock applies" for ``policy``: the exec helper wraps argv when sandboxed.

    Network off adds ``CODEX_SANDBOX_NETWORK_DISABLED=1`` and the helper's seccomp network filter (where
    the architecture has one). With no Landlock (``abi == 0``) argv is returned unwrapped: the approval
    layer asks before every command in that case.
    """
    from codex_py.sandbox import seccomp
    from codex_py.sandbox.exec_helper import helper_command
    from codex_py.sandbox.landlock import build_ruleset, landlock_abi

    child_env = command_env(hidden=policy.hidden_env) if env is None else dict(env)
    if not policy.allows_network:
        child_env["CODEX_SANDBOX_NETWORK_DISABLED"] = "1"
    level = landlock_abi() if abi is None else abi
    if not policy.sandboxed or level <= 0:
        return list(argv), child_env, False
    ruleset = build_ruleset([str(p) for p in policy.write_roots()], network=policy.allows_network, abi=level)
    no_network = ["--no-network"] if not policy.allows_network and seccomp.supported() else []
    wrapped = [*helper_command(), *no_network, *ruleset.to_args(), "--", *argv]
    return wrapped, child_env, True


def command_env(base: Mapping[str, str] | None = None, *, hidden: frozenset[str] = frozenset()) -> dict[str, str]:
    """``base`` (default: this process's environment) without variables that look like secrets or are ``hidden``.

    Commands run by the model must not see the user's API keys and tokens: ``env`` would print them into
    the tool output, which goes to the provider and into the session file. Like Codex's default
    excludes (``*KEY*``, ``*SECRET*``, ``*TOKEN*``) plus ``*PASSWORD*``/``*PASSWD*``, in every sandbox mode;
    ``hidden`` holds the exact names of the configured providers' credential variables
    (``provider_env_names``), whatever they are called.
    """
    source = os.environ if base is None else base
    return {name: value for name, value in source.items() if name not in hidden and not _looks_secret(name)}


def provider_env_names(config: Config) -> frozenset[str]:
    """Every configured provider's ``env_key`` and ``env_http_headers`` variable names (built-in and user
    tables, not only the active provider's): they hold credentials even when the name does not say so."""
    names: set[str] = set()
    for provider in config.model_providers.values():
        if provider.env_key:
            names.add(provider.env_key)
        names.update(var for var in provider.env_http_headers.values() if var)
    return frozenset(names)


def default_temp_roots(*, slash_tmp: bool = True, tmpdir: bool = True) -> list[Path]:
    """The temp folders writable under workspace-write: ``/tmp`` (unless ``exclude_slash_tmp``),
    ``/dev/shm`` (POSIX semaphores for multiprocessing live there) and ``$TMPDIR`` (unless
    ``exclude_tmpdir_env_var``). As in Codex, each key removes only its own entry."""
    temps = [Path("/tmp")] if slash_tmp else []
    temps.append(Path("/dev/shm"))
    if tmpdir and os.environ.get("TMPDIR"):
        temps.append(Path(os.environ["TMPDIR"]))
    return temps


def startup_warnings(policy: SandboxPolicy) -> list[str]:
    """What the user must know before commands run: a root dropped because it holds codex-py's home or
    installation, or the workspace holding one of them (Landlock cannot keep commands out of it there)."""
    if policy.mode != "workspace-write":
        return []
    out: list[str] = []
    for root, hit in policy.dropped_roots():
        what = "codex-py's home" if hit in policy.home else "codex-py's installation"
        where = f"lies inside {what} {hit}" if _within(root, hit) else f"contains {what} {hit}"
        out.append(
            f"{root} is not writable by commands in this session: it {where}, which commands must not change; "
            + (
                "set CODEX_PY_HOME to a folder outside it to make it writable again"
                if hit in policy.home
                else "install codex-py elsewhere (e.g. `pipx install`) to make it writable again"
            )
        )
    workspace = policy.workspace.resolve()
    home = next((h for h in policy.home if _overlaps(workspace, h)), None)
    if home is not None:
        out.append(
            f"codex-py's home {home} is writable by sandboxed commands (it overlaps the workspace {workspace}): "
            "a command could change config.toml and turn the sandbox off for later runs; set CODEX_PY_HOME "
            "to a folder outside the workspace, or run codex-py from a folder that does not contain its home"
        )
    install = next((p for p in policy.install if _within(p, workspace)), None)
    if install is not None:
        out.append(
            f"codex-py is installed under {workspace}, which sandboxed commands can write ({install}): a command "
            "could change the code codex-py runs unsandboxed next time; install it outside the workspace "
            "(e.g. `pipx install codex-py`) or run codex-py from a folder that does not contain it"
        )
    return out


def _within(path: Path, folder: Path) -> bool:
    """``path.is_relative_to(folder)`` for resolved paths, on strings (pathlib's is ~20x slower)."""
    p, f = str(path), str(folder)
    return p == f or p.startswith(f if f.endswith("/") else f + "/")


def _overlaps(a: Path, b: Path) -> bool:
    return _within(a, b) or _within(b, a)


def _clash(root: Path, policy: SandboxPolicy) -> Path | None:
    """The home folder ``root`` overlaps, or the installation path it contains, if any."""
    home = next((h for h in policy.home if _overlaps(root, h)), None)
    return home or next((p for p in policy.install if _within(p, root)), None)


def _home_paths() -> tuple[Path, ...]:
    from codex_py.config import resolve_paths

    paths = resolve_paths()
    return _unique(paths.config_dir, paths.data_dir, paths.state_dir)


@functools.cache
def _install_paths() -> tuple[Path, ...]:
    """The codex_py package, the environment (``sys.prefix``: other packages and .pth files there run code
    at start-up), the standard library and the interpreter (the exec helper runs it). Fixed for the process."""
    exe = sys.executable
    package = os.path.dirname(os.path.dirname(__file__))
    stdlib = os.path.dirname(os.__file__)
    return _unique(package, sys.prefix, stdlib, os.path.dirname(exe), os.path.dirname(os.path.realpath(exe)))


def _unique(*paths: str | Path) -> tuple[Path, ...]:
    out: list[Path] = []
    for path in dict.fromkeys(map(str, paths)):
        resolved = Path(os.path.realpath(path))
        if resolved not in out:
            out.append(resolved)
    return tuple(out)


def _looks_secret(name: str) -> bool:
    upper = name.upper()
    return any(part in upper for part in SECRET_NAME_PARTS)


def sandbox_status(policy: SandboxPolicy, *, abi: int | None = None) -> str:
    """One line describing the effective sandbox, for ``/status`` and warnings (``abi`` defaults to the kernel's)."""
    from codex_py.sandbox.landlock import landlock_abi

    if not policy.sandboxed:
        return "sandbox: none (danger-full-access): commands can write anywhere and use the network"
    if abi is None:
        abi = landlock_abi()
    if abi == 0:
        return (
            f"sandbox: unavailable ({policy.mode} requested but this kernel has no Landlock); "
            "every command asks for approval"
        )
    if policy.mode == "read-only":
        writes = "nowhere but /dev/null"
    else:
        writes = ", ".join(_short(p, policy.workspace) for p in policy.write_roots())
    network = _network_status(policy, abi)
    return f"sandbox: Landlock ABI {abi}, {policy.mode}; writes: {writes}; network: {network}"


def _network_status(policy: SandboxPolicy, abi: int) -> str:
    from codex_py.sandbox import seccomp

    if policy.allows_network:
        return "allowed"
    if seccomp.supported():
        return "blocked (seccomp + Landlock TCP rules)" if abi >= 4 else "blocked (seccomp)"
    if abi >= 4:
        return f"blocked for TCP only (Landlock; no seccomp filter for {os.uname().machine})"
    return f"NOT blocked (Landlock ABI {abi} has no network rules, and no seccomp filter for {os.uname().machine})"


def _short(path: Path, workspace: Path) -> str:
    return "workspace" if path == workspace else str(path)
