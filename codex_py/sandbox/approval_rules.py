"""What an approval can remember and what it says: prefix rules, destructive commands, patch reasons and the
label that records how a command was approved.

"Approve for the session" (``a``) remembers the exact command (Codex's meaning). ``p`` remembers a prefix
(Codex's proposed exec-policy amendment idea), offered only where it is safe to: see :func:`session_prefix`.
A remembered prefix runs matching commands for the session without asking, still in the sandbox; a
matching command that is destructive (:func:`is_destructive`) asks again.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from codex_py.sandbox.safe_commands import command_might_be_dangerous, is_known_safe_command, parse_word_only_script

if TYPE_CHECKING:
    from codex_py.sandbox.policy import SandboxPolicy

MAX_PREFIX_WORDS = 3
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_:-]*")
"""A subcommand word (``test``, ``run``, ``build:prod``): no option dash, path, dot, ``=`` or value."""
_PYTHON = re.compile(r"python(\d+(\.\d+)?)?")
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "fish"})
_RUNNERS = frozenset(
    {
        *("env", "xargs", "time", "timeout", "nice", "nohup", "ionice", "stdbuf", "setsid", "setpriv", "unshare"),
        *("nsenter", "chroot", "flock", "watch", "parallel", "exec", "command", "builtin", "eval", "busybox"),
        *("strace", "ltrace", "sudo", "doas", "su", "pkexec", "runuser"),
        *_SHELLS,
    }
)
"""Programs that run another command given in their arguments: never a prefix, looked through for danger."""
_ALWAYS_DESTRUCTIVE = frozenset(
    {
        *("rm", "rmdir", "unlink", "shred", "truncate", "dd", "mv", "wipefs", "mkswap", "fdisk", "sfdisk"),
        *("parted", "sudo", "doas", "su", "pkexec", "runuser", "kill", "pkill", "killall", "reboot"),
        *("shutdown", "halt", "poweroff"),
    }
)
_RECURSIVE_OWNERSHIP = frozenset({"chmod", "chown", "chgrp"})
_FIND_DESTRUCTIVE = frozenset({"-delete", "-exec", "-execdir", "-ok", "-okdir"})
_GIT_DESTRUCTIVE = frozenset({"reset", "clean", "push", "restore", "rm", "filter-branch", "filter-repo", "gc", "prune"})
_GIT_GLOBAL_WITH_VALUE = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path"})


def session_prefix(argv: Sequence[str]) -> tuple[str, ...] | None:
    """The prefix ``p`` would remember for ``argv``, or None when no prefix is offered.

    The rule: the program and the subcommand words after it, up to the first word that looks like an
    option, a path or a value (starts with ``-``, holds ``/``, ``.``, ``=``, a digit first, ...), at most three
    words (``npm test -- --watch`` → ``npm test``; ``cargo test --all`` → ``cargo test``; ``python3 -m pytest
    tests/`` → ``python3 -m pytest``). No prefix when it would be the program alone (``git``, ``python3``
    and ``npm`` can do anything), for a program that runs another command (``env``, ``xargs``, ``sudo``,
    shells), for a destructive command, or for a shell script of more than one command
    (``bash -lc 'npm test'`` is judged as ``npm test``).
    """
    words = _single_command(argv)
    if words is None or is_destructive(words) or _name(words[0]) in _RUNNERS:
        return None
    prefix, rest = [words[0]], list(words[1:])
    if _PYTHON.fullmatch(_name(words[0])) and rest[:1] == ["-m"] and len(rest) > 1 and _WORD.fullmatch(rest[1]):
        prefix += rest[:2]
        rest = rest[2:]
    for word in rest:
        if len(prefix) >= MAX_PREFIX_WORDS or not _WORD.fullmatch(word):
            break
        prefix.append(word)
    return tuple(prefix) if len(prefix) >= 2 else None


def matching_prefix(argv: Sequence[str], prefixes: Collection[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The remembered prefix ``argv`` starts with (a one-command ``bash -lc`` script judged by its command),
    or None; a destructive command matches no prefix."""
    if not prefixes:
        return None
    words = _single_command(argv)
    if words is None or is_destructive(words):
        return None
    return next((p for p in prefixes if tuple(words[: len(p)]) == p), None)


def is_destructive(argv: Sequence[str]) -> bool:
    """True for commands that delete, overwrite or give away things a prefix rule must never cover: ``rm``,
    ``rmdir``, ``mv``, ``dd``, ``mkfs*``, ``shred``, ``truncate``, ``chmod/chown -R``, ``find -delete/-exec``,
    ``git reset/clean/push/restore/rm``, ``git checkout/switch`` with ``--``/``-f``/``.``, ``git branch -D``,
    ``git stash drop/clear``, ``sudo``, ``kill``; also behind ``env``/``xargs``/``timeout``... and inside a
    shell script (a script that is not plain words counts as destructive: it cannot be judged)."""
    argv = list(argv)
    if not argv:
        return False
    script = _script(argv)
    if script is not None:
        commands = parse_word_only_script(script)
        return commands is None or any(is_destructive(cmd) for cmd in commands)
    if command_might_be_dangerous(argv):
        return True
    name, args = _name(argv[0]), argv[1:]
    if name in _ALWAYS_DESTRUCTIVE or name.startswith("mkfs"):
        return True
    if name in _RECURSIVE_OWNERSHIP:
        return any(a == "--recursive" or (a[:1] == "-" and a[1:2] != "-" and "R" in a) for a in args)
    if name == "find":
        return any(a in _FIND_DESTRUCTIVE for a in args)
    if name == "git":
        return _git_destructive(args)
    if name in _RUNNERS:  # look through: `env X=1 rm -rf .`, `xargs rm`, `timeout 5 git push`
        return any(is_destructive(argv[i:]) for i in range(1, len(argv)))
    return False


def _git_destructive(args: list[str]) -> bool:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in _GIT_GLOBAL_WITH_VALUE else 1
    if i >= len(args):
        return False
    sub, rest = args[i], args[i + 1 :]
    if sub in _GIT_DESTRUCTIVE:
        return True
    if sub in ("checkout", "switch"):
        return any(a in ("--", "-f", "--force", ".", "--discard-changes") for a in rest)
    if sub == "branch":
        return any(a in ("-D", "-d", "--delete", "-f", "--force", "-M", "-m", "--move") for a in rest)
    if sub in ("stash", "worktree", "remote", "tag", "notes", "reflog"):
        return any(a in ("drop", "clear", "remove", "rm", "prune", "-d", "--delete", "expire") for a in rest)
    return False


def _single_command(argv: Sequence[str]) -> list[str] | None:
    """``argv``'s words, or the one command of a word-only ``bash -lc`` script; None for any other script."""
    script = _script(argv)
    if script is None:
        return list(argv) if argv else None
    commands = parse_word_only_script(script)
    return commands[0] if commands and len(commands) == 1 else None


def _script(argv: Sequence[str]) -> str | None:
    if len(argv) == 3 and argv[1] in ("-c", "-lc") and _name(argv[0]) in _SHELLS:
        return argv[2]
    return None


def _name(program: str) -> str:
    return program.rpartition("/")[2]


# --- what the approval says ------------------------------------------------------------------------------


def run_label(
    argv: Sequence[str],
    *,
    policy: str,
    sandbox: SandboxPolicy,
    approved_commands: Collection[tuple[str, ...]],
    approved_prefixes: Collection[tuple[str, ...]],
) -> str:
    """How a command that runs without asking was approved, for its cell: ``approved for the session``,
    ``approved for the session: npm test …``, ``auto: known-safe``, ``auto: on-request, sandboxed`` or
    ``auto: never, full access``."""
    if tuple(argv) in approved_commands:
        return "approved for the session"
    prefix = matching_prefix(argv, approved_prefixes)
    if prefix is not None:
        return f"approved for the session: {' '.join(prefix)} …"
    if is_known_safe_command(list(argv)):
        return "auto: known-safe"
    if sandbox.mode == "danger-full-access":
        return f"auto: {policy}, full access"
    return f"auto: {policy}, sandboxed"


def patch_reason(
    writes: Sequence[Path], removes: Sequence[Path], *, policy: str, sandbox: SandboxPolicy, cwd: Path
) -> str:
    """Why a patch asks: the first path it may not write and why (outside the writable roots, in a protected
    ``.git``/``.codex``/``.agents``, in codex-py's home, or a read-only sandbox), else Ask-first mode."""
    if sandbox.mode == "read-only":
        return "the sandbox is read-only: every edit needs your approval"
    judged = [(p, True) for p in writes] + [(p, False) for p in removes]
    for path, follow in judged:
        why = _not_writable(path, sandbox, follow_last=follow)
        if why:
            return f"{_show(path, cwd)} {why}"
    if policy == "untrusted":
        return "Ask-first mode (untrusted) asks before every edit"
    return "needs approval under the current policy"


def _not_writable(path: Path, sandbox: SandboxPolicy, *, follow_last: bool) -> str:
    """Why ``sandbox.can_write(path)`` is False, or "" when it is True."""
    from codex_py.sandbox.policy import PROTECTED_DIRS

    if sandbox.can_write(path, follow_last=follow_last):
        return ""
    joined = sandbox.workspace / path
    try:
        target = joined.resolve() if follow_last else joined.parent.resolve() / joined.name
    except OSError:
        return "cannot be resolved safely"
    if any(target == home or home in target.parents for home in sandbox.home):
        return "is in codex-py's home (never writable)"
    for root in sandbox.write_roots():
        try:
            rel = target.relative_to(root)
        except ValueError:
            continue
        if rel.parts and rel.parts[0] in PROTECTED_DIRS:
            return f"is inside {rel.parts[0]} (protected even in a writable root)"
    return "is outside the writable roots"


def _show(path: Path, cwd: Path) -> str:
    try:
        return str(path.resolve().relative_to(cwd.resolve()))
    except (ValueError, OSError):
        return str(path)
