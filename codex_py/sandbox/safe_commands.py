"""Which commands are known to be read-only (run without asking under ``untrusted``), and which are dangerous.

Follows Codex's list (``is_safe_command.rs``): plain read-only tools, a few tools whose writing or
code-running options are refused, and ``bash -lc "<script>"`` when the script is only plain words joined by
``&&``, ``||``, ``;`` or ``|``. The script parser here is word-only on purpose: quotes and backslashes are
understood; redirections, substitutions, expansions, subshells, assignments, globs and comments make a
script not-known-safe (it then simply goes through the normal approval path).

Known-safe is not enough for git: a repository's configuration can make ``git status``/``diff``/``log``
run programs. ``hardened_command`` gives the argv to execute instead of a known-safe command that runs
git (see ``sandbox.git``), and ``git -C DIR`` (or a ``cd`` before git in a script) is never known-safe:
the programs are neutralised for the repository the command starts in.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

_ALWAYS_SAFE = frozenset(
    {
        *("cat", "cd", "cut", "echo", "expr", "false", "grep", "head", "id", "ls", "nl", "paste", "pwd"),
        *("rev", "seq", "stat", "tail", "tr", "true", "uname", "wc", "which", "whoami", "numfmt", "tac"),
    }
)
_SHELLS = frozenset({"bash", "sh", "zsh"})
_SYSTEM_BIN_DIRS = ("/bin", "/usr/bin", "/usr/local/bin")
"""Where a shell named by path counts as the real shell for the known-safe check (``./bash`` could be anything)."""
_FIND_UNSAFE = frozenset({"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fls", "-fprint", "-fprint0", "-fprintf"})
_RG_UNSAFE_VALUE = ("--pre", "--hostname-bin")
_RG_UNSAFE_FLAG = frozenset({"--search-zip", "-z"})
_GIT_READ = frozenset({"status", "log", "diff", "show", "branch"})
_GIT_UNSAFE = ("--output", "--ext-diff", "--textconv", "--exec", "--paginate")
_GIT_BRANCH_LIST = frozenset(
    {"-a", "--all", "-r", "--remotes", "-v", "-vv", "--verbose", "--show-current", "--no-color", "--color"}
)
_GIT_STATUS_VERBOSE = re.compile(r"--v(e(r(b(o(s(e)?)?)?)?)?)?|-[a-zA-Z]*v[a-zA-Z]*")
"""``git status -v``/``--verbose`` (or an abbreviation, or ``v`` in a cluster): it diffs with textconv on."""
_SED_RANGE = re.compile(r"\d+(,\d+)?p")
_OPERATORS = ("&&", "||", ";", "|")
_SPECIAL = set("<>()$`&{}*?[]#!~\n")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def is_known_safe_command(argv: list[str]) -> bool:
    """True when ``argv`` can only read: Codex's known-safe list, including word-only ``bash -lc`` scripts."""
    if not argv:
        return False
    script = _shell_script(argv, system_only=True)
    if script is not None:
        commands = parse_word_only_script(script)
        if not commands or not all(_is_safe_plain(cmd) for cmd in commands):
            return False
        names = [cmd[0] for cmd in commands]
        return "git" not in names or "cd" not in names[: names.index("git")]  # git after cd: another repository
    return _is_safe_plain(argv)


def hardened_command(argv: list[str], cwd: Path) -> list[str]:
    """What to execute for ``argv`` run in ``cwd``: ``argv`` itself, unless it is a known-safe command that runs git.

    Then every git in it becomes ``git --no-pager SUB [--no-ext-diff --no-textconv] ...`` and the whole
    command runs under ``env GIT_CONFIG_COUNT=... `` holding ``sandbox.git.git_config_overrides(cwd)``
    (fsmonitor, hooks, signature programs, transports and the repository's filter drivers turned off).
    A word-only script is rebuilt with each word quoted, so it means what it meant before.
    """
    from codex_py.sandbox.git import config_env, git_config_overrides, hardened_git_args

    if not is_known_safe_command(argv):
        return argv
    script = _shell_script(argv, system_only=True)
    parsed = _parse_script(script) if script is not None else ([argv], [])
    if parsed is None or not any(cmd[0] == "git" for cmd in parsed[0]):
        return argv
    commands = [hardened_git_args(_git_subcommand(cmd[1:])) if cmd[0] == "git" else cmd for cmd in parsed[0]]
    if script is None:
        rebuilt = commands[0]
    else:
        text = shlex.join(commands[0])
        for op, cmd in zip(parsed[1], commands[1:], strict=True):
            text += f" {op} {shlex.join(cmd)}"
        rebuilt = [argv[0], argv[1], text]
    overrides = config_env(git_config_overrides(cwd), os.environ)
    return ["env", *(f"{key}={value}" for key, value in overrides.items()), *rebuilt]


def _git_subcommand(args: list[str]) -> list[str]:
    """``args`` from the subcommand on (the global options a known-safe git may have are dropped)."""
    while args and args[0] == "--no-pager":
        args = args[1:]
    return args


def command_might_be_dangerous(argv: list[str]) -> bool:
    """``rm -f``/``rm -rf`` (also behind ``sudo`` or inside a word-only shell script) — Codex's list."""
    script = _shell_script(argv)
    if script is not None:
        commands = parse_word_only_script(script) or []
        return any(command_might_be_dangerous(cmd) for cmd in commands)
    if argv[:1] == ["sudo"]:
        return command_might_be_dangerous(argv[1:])
    if argv[:1] != ["rm"]:
        return False
    return any(arg == "--force" or (arg.startswith("-") and not arg.startswith("--") and "f" in arg) for arg in argv)


def parse_word_only_script(script: str) -> list[list[str]] | None:
    """Split a shell script into commands of plain words, or None when it uses anything but words and ``&& || ; |``."""
    parsed = _parse_script(script)
    return None if parsed is None else parsed[0]


def _parse_script(script: str) -> tuple[list[list[str]], list[str]] | None:
    """``parse_word_only_script`` plus the operator between each two commands (a newline counts as ``;``)."""
    commands: list[list[str]] = []
    operators: list[str] = []
    current: list[str] = []
    i, n = 0, len(script)
    while i < n:
        ch = script[i]
        if ch in " \t":
            i += 1
            continue
        op = next((o for o in _OPERATORS if script.startswith(o, i)), None)
        if op is not None or ch == "\n":
            if not current:
                return None  # empty command: `&& x`, `a ;; b`, leading `|`
            commands.append(current)
            operators.append(op or ";")
            current = []
            i += len(op) if op else 1
            continue
        if not current and _ASSIGNMENT.match(script, i):
            return None  # `VAR=value cmd` changes the environment of cmd
        word, i = _read_word(script, i)
        if word is None:
            return None
        current.append(word)
    if current:
        commands.append(current)
    elif commands:
        return None  # trailing operator
    return commands, operators


def _read_word(script: str, i: int) -> tuple[str | None, int]:
    out: list[str] = []
    n = len(script)
    while i < n:
        ch = script[i]
        if ch in " \t\n;|&":
            if ch == "&" and not script.startswith("&&", i):
                return None, i  # background job
            break
        if ch == "'":
            end = script.find("'", i + 1)
            if end < 0:
                return None, i
            out.append(script[i + 1 : end])
            i = end + 1
        elif ch == '"':
            i += 1
            while i < n and script[i] != '"':
                if script[i] in "$`":
                    return None, i
                if script[i] == "\\" and i + 1 < n and script[i + 1] in '"\\$`':
                    i += 1
                out.append(script[i])
                i += 1
            if i >= n:
                return None, i
            i += 1
        elif ch == "\\":
            if i + 1 >= n or script[i + 1] == "\n":
                return None, i
            out.append(script[i + 1])
            i += 2
        elif ch in _SPECIAL:
            return None, i
        else:
            out.append(ch)
            i += 1
    return "".join(out), i


def _shell_script(argv: list[str], *, system_only: bool = False) -> str | None:
    """The script of ``bash|sh|zsh -c|-lc SCRIPT``; ``system_only`` accepts a path only in the system bin dirs."""
    if len(argv) != 3 or argv[1] not in ("-lc", "-c"):
        return None
    folder, _, name = argv[0].rpartition("/")
    if name not in _SHELLS or (system_only and folder and folder not in _SYSTEM_BIN_DIRS):
        return None
    return argv[2]


def _is_safe_plain(argv: list[str]) -> bool:
    name, args = argv[0], argv[1:]
    if name in _ALWAYS_SAFE:
        return True
    if name == "base64":  # BSD/macOS base64 writes to -o FILE (also inside a cluster such as -Do)
        return not any(a.startswith("--output") or (a[:1] == "-" and a[1:2] != "-" and "o" in a) for a in args)
    if name == "uniq":
        return _uniq_operands(args) <= 1
    if name == "find":
        return not any(a in _FIND_UNSAFE for a in args)
    if name == "rg":
        return not any(a in _RG_UNSAFE_FLAG or a.startswith(_RG_UNSAFE_VALUE) for a in args)
    if name == "git":
        return _is_safe_git(args)
    if name == "sed":
        return _is_safe_sed(args)
    return False


def _is_safe_sed(args: list[str]) -> bool:
    """Only ``sed -n N[,M]p [FILE]`` (Codex's form): no other option anywhere. GNU sed takes options after
    operands too, so a "file" such as ``-e1e CMD``, ``-ew FILE``, ``-fSCRIPT`` or ``--expression=...`` would
    add a script that runs commands or writes files; ``-`` (standard input) is a file."""
    if len(args) not in (2, 3) or args[0] != "-n" or not _SED_RANGE.fullmatch(args[1]):
        return False
    return all(arg == "-" or not arg.startswith("-") for arg in args[2:])


def _uniq_operands(args: list[str]) -> int:
    """How many file operands ``uniq`` gets: a second one is the file it writes (``uniq IN OUT``)."""
    count, index = 0, 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            return count + len(args) - index - 1
        if arg in ("-f", "-s", "-w", "--skip-fields", "--skip-chars", "--check-chars"):
            index += 1  # the option's value
        elif arg == "-" or not arg.startswith("-"):
            count += 1
        index += 1
    return count


def _is_safe_git(args: list[str]) -> bool:
    """``git [--no-pager] status|log|diff|show|branch ...`` without writing or program-running options.

    ``-C DIR`` (like any other global option) is not safe: the command's programs are neutralised for the
    repository it starts in (``hardened_command``), not for another one.
    """
    args = _git_subcommand(args)
    if not args or args[0] not in _GIT_READ:
        return False
    sub, rest = args[0], args[1:]
    if any(a.startswith(_GIT_UNSAFE) for a in rest):
        return False
    if sub == "status" and any(_GIT_STATUS_VERBOSE.fullmatch(a) for a in rest):
        return False
    if sub == "branch":
        listing = "--list" in rest or "-l" in rest
        return all(a in _GIT_BRANCH_LIST or a in ("--list", "-l") or (listing and not a.startswith("-")) for a in rest)
    return True
