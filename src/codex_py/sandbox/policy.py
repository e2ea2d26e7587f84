"""The sandbox policy: which folders commands may write, whether they reach the network, how argv is wrapped.

``SandboxPolicy.from_config`` turns the config's ``sandbox_mode`` and ``[sandbox_workspace_write]`` into a
policy; ``sandboxed_command`` rewrites argv to run through the Landlock exec helper; ``sandbox_status``
is the one-line summary for ``/status`` and start-up warnings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from codex_py.config import Config

Mode = Literal["read-only", "workspace-write", "danger-full-access"]

PROTECTED_DIRS = (".git", ".codex", ".agents")
"""Folders directly inside a writable root that patches never write without approval."""

SECRET_NAME_PARTS = ("KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD")
"""Environment variables whose names contain one of these (any case) are not passed to commands."""

_HELPER = Path(__file__).with_name("exec_helper.py")


@dataclass(slots=True)
class SandboxPolicy:
    """What a command may touch. Reading is always allowed; writing depends on ``mode``."""

    mode: Mode
    workspace: Path
    writable_roots: list[Path] = field(default_factory=list)
    """Extra writable folders under workspace-write."""
    network_access: bool = False
    """Outbound network under workspace-write (read-only never has it; full access always does)."""
    temp_roots: list[Path] | None = None
    """Temp folders writable under workspace-write; None means ``/tmp``, ``/dev/shm`` and ``$TMPDIR``."""

    @classmethod
    def from_config(cls, config: Config) -> SandboxPolicy:
        """The policy for ``config.sandbox_mode``, rooted at ``config.cwd``."""
        workspace = config.cwd.resolve()
        ws = config.sandbox_workspace_write
        roots = [(workspace / Path(root).expanduser()).resolve() for root in ws.writable_roots]
        return cls(config.sandbox_mode, workspace, roots, ws.network_access)

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
        temps = self.temp_roots
        if temps is None:
            temps = [Path("/tmp"), Path("/dev/shm")]  # /dev/shm: POSIX semaphores (multiprocessing) live there
            if os.environ.get("TMPDIR"):
                temps.append(Path(os.environ["TMPDIR"]))
        roots: list[Path] = []
        for root in [self.workspace, *self.writable_roots, *temps]:
            resolved = root.resolve()
            if resolved not in roots:
                roots.append(resolved)
        return roots

    def can_write(self, path: Path) -> bool:
        """Whether ``path`` (resolved, following symlinks) lies in a writable root and in no root's protected dirs.

        The protected dirs (``.git``, ``.codex``, ``.agents`` directly inside a root) win over an enclosing
        root, so the workspace's ``.git`` stays protected even when the workspace itself lies under /tmp.
        """
        if self.mode == "danger-full-access":
            return True
        target = (self.workspace / path).resolve()
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
    from codex_py.sandbox.landlock import build_ruleset, landlock_abi

    child_env = command_env() if env is None else dict(env)
    if not policy.allows_network:
        child_env["CODEX_SANDBOX_NETWORK_DISABLED"] = "1"
    level = landlock_abi() if abi is None else abi
    if not policy.sandboxed or level <= 0:
        return list(argv), child_env, False
    ruleset = build_ruleset([str(p) for p in policy.write_roots()], network=policy.allows_network, abi=level)
    no_network = ["--no-network"] if not policy.allows_network and seccomp.supported() else []
    wrapped = [sys.executable, "-S", "-E", str(_HELPER), *no_network, *ruleset.to_args(), "--", *argv]
    return wrapped, child_env, True


def command_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) without variables that look like secrets.

    Commands run by the model must not see the user's API keys and tokens: ``env`` would print them into
    the tool output, which goes to the provider and into the session file. Like Codex's default
    excludes (``*KEY*``, ``*SECRET*``, ``*TOKEN*``) plus ``*PASSWORD*``/``*PASSWD*``, in every sandbox mode.
    """
    source = os.environ if base is None else base
    return {name: value for name, value in source.items() if not _looks_secret(name)}


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
