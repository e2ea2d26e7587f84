"""Running git without running the repository's programs.

A repository's configuration (``.git/config``, which sandboxed commands may write, and its includes) and
attributes can name programs that git runs during ordinary reads: ``core.fsmonitor`` (every index
refresh), hooks such as ``post-index-change`` (``core.hooksPath``), ``diff.external`` and
``diff.<driver>.command``, textconv drivers, clean/smudge/process filter drivers, ``gpg.program`` (signed
commits in ``git log``), a pager, and the ssh/remote-helper programs of a lazy fetch. codex-py neutralises
all of them for every git call of its own and for every git command it judges known-safe:

- ``git_config_overrides`` — command-scope config (``GIT_CONFIG_COUNT``/``KEY_n``/``VALUE_n``, which beats
  every config file) that turns off fsmonitor, hooks, signature programs and every transport, and blanks
  every filter driver the repository's configuration defines (found with ``git config``, which runs
  nothing). The environment form takes any driver name (``-c`` cannot express a name holding ``=``).
- ``diff_flags`` — ``--no-ext-diff --no-textconv`` for the subcommands that produce diffs.
- ``run_git`` / ``run_git_script`` — codex-py's own calls (``@`` completion, ``/diff``) also run inside the
  Landlock sandbox in read-only mode with the network off, so a program git runs anyway (a case missed
  above, or a filter added between the look-up and the run) can neither write nor reach the network.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = [
    "DIFF_SUBCOMMANDS",
    "FIXED_OVERRIDES",
    "config_env",
    "diff_flags",
    "git_config_overrides",
    "git_shell",
    "hardened_git_args",
    "run_git",
    "run_git_script",
]

FIXED_OVERRIDES: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", "/dev/null"),
    ("core.pager", "cat"),
    ("log.showSignature", "false"),
    ("gpg.program", "false"),
    ("gpg.ssh.program", "false"),
    ("gpg.x509.program", "false"),
    ("protocol.allow", "never"),
)
"""Config that neutralises the programs named by keys codex-py knows in advance."""

DIFF_SUBCOMMANDS = frozenset({"diff", "show", "log"})
"""Subcommands that produce diffs, and so get ``--no-ext-diff --no-textconv``."""

_FILTER_VARS = (("clean", ""), ("smudge", ""), ("process", ""), ("required", "false"))
_LOOKUP_TIMEOUT_S = 3.0


def git_config_overrides(cwd: Path, env: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """``FIXED_OVERRIDES`` plus a blank clean/smudge/process (not required) for every configured filter driver.

    The drivers are listed with ``git config --get-regexp`` run in ``cwd`` (all scopes, includes followed);
    git runs no program for that. When the look-up fails (not a repository, unreadable config, a FIFO
    include that never ends) only the fixed overrides are returned: git then fails on the same config.
    """
    pairs = list(FIXED_OVERRIDES)
    try:
        proc = subprocess.run(
            ["git", "config", "-z", "--name-only", "--get-regexp", r"^filter\..*\.(clean|smudge|process)$"],
            cwd=cwd,
            env=dict(os.environ if env is None else env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_LOOKUP_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return pairs
    drivers: list[str] = []
    for key in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        driver = key[len("filter.") : key.rfind(".")] if key.startswith("filter.") else ""
        if driver and driver not in drivers:
            drivers.append(driver)
    pairs += [(f"filter.{driver}.{var}", value) for driver in drivers for var, value in _FILTER_VARS]
    return pairs


def config_env(pairs: Sequence[tuple[str, str]], base: Mapping[str, str]) -> dict[str, str]:
    """The ``GIT_CONFIG_COUNT``/``KEY_n``/``VALUE_n`` variables adding ``pairs`` after any already in ``base``."""
    try:
        start = max(int(base.get("GIT_CONFIG_COUNT", "0")), 0)
    except ValueError:
        start = 0
    env = {"GIT_CONFIG_COUNT": str(start + len(pairs))}
    for index, (key, value) in enumerate(pairs, start):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


def diff_flags(subcommand: str) -> list[str]:
    """``--no-ext-diff --no-textconv`` for a diff-producing subcommand, else nothing."""
    return ["--no-ext-diff", "--no-textconv"] if subcommand in DIFF_SUBCOMMANDS else []


def hardened_git_args(args: Sequence[str]) -> list[str]:
    """``git SUB ARGS`` as ``git --no-pager SUB [--no-ext-diff --no-textconv] ARGS`` (``args`` starts at SUB)."""
    if not args:
        return ["git", "--no-pager"]
    return ["git", "--no-pager", args[0], *diff_flags(args[0]), *args[1:]]


def run_git(cwd: Path, args: Sequence[str], *, timeout: float = 10.0) -> subprocess.CompletedProcess[bytes] | None:
    """Run ``git ARGS`` in ``cwd`` with the repository's programs neutralised and read-only sandboxed.

    None when git could not run or timed out; otherwise the completed process (stdout/stderr as bytes).
    """
    return _run(hardened_git_args(args), cwd, timeout)


def git_shell(*args: str) -> str:
    """``hardened_git_args(args)`` quoted as one shell command, for ``run_git_script``."""
    return shlex.join(hardened_git_args(args))


def run_git_script(cwd: Path, script: str, *, timeout: float = 30.0) -> subprocess.CompletedProcess[bytes] | None:
    """Run an ``sh`` script of git commands (written with ``git_shell``) in one sandbox, like ``run_git``.

    One sandbox start-up instead of one per command. None when it could not run or timed out.
    """
    return _run(["sh", "-c", script], cwd, timeout)


def workspace_diff(cwd: Path) -> str | None:
    """The uncommitted change: staged and unstaged against HEAD (in a repository without commits yet, the
    staged then the unstaged diff), then each untracked file as an added file. One script in one read-only
    sandbox, the repository's programs neutralised. None outside a repository (or without git); OSError
    when git failed, with git's last line."""
    untracked = git_shell("ls-files", "-z", "--others", "--exclude-standard")
    script = "\n".join(
        [
            f"{git_shell('rev-parse', '--is-inside-work-tree')} >/dev/null || exit 3",
            f"if {git_shell('rev-parse', '--verify', '--quiet', 'HEAD')} >/dev/null; then",
            f"  {git_shell('diff', '--no-color', 'HEAD')} || exit 4",
            "else",
            f"  {git_shell('diff', '--no-color', '--cached')} && {git_shell('diff', '--no-color')} || exit 4",
            "fi",
            f"{untracked} | xargs -0 -r -n 1 {git_shell('diff', '--no-color', '--no-index', '--', '/dev/null')}",
            "exit 0",
        ]
    )
    proc = run_git_script(cwd, script)
    if proc is None:
        raise OSError("git did not finish within 30 s")
    errors = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    if proc.returncode == 3 and (not errors or "not a git repository" in errors[-1]):
        return None  # also: git is not installed
    if proc.returncode != 0:
        raise OSError(errors[-1] if errors else f"git exited with status {proc.returncode}")
    return proc.stdout.decode("utf-8", "replace")


def _run(argv: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[bytes] | None:
    """``argv`` in ``cwd`` under a read-only, network-off sandbox (unwrapped where Landlock is missing)."""
    from codex_py.sandbox.policy import SandboxPolicy, command_env, sandboxed_command
    from codex_py.session.git import irregular_head

    head = irregular_head(cwd)
    if head is not None:  # fail fast instead of waiting for the timeout
        return subprocess.CompletedProcess(argv, 128, b"", f"fatal: {head} is not a regular file\n".encode())
    base = command_env()
    env = {**base, **config_env(git_config_overrides(cwd, base), base)}
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat")
    try:
        wrapped, child_env, _ = sandboxed_command(argv, SandboxPolicy("read-only", cwd.resolve()), env)
        proc = subprocess.Popen(
            wrapped,
            cwd=cwd,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)  # git blocked on a FIFO (say) under sh: the whole group, not just sh
        return None
    return subprocess.CompletedProcess(wrapped, proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
