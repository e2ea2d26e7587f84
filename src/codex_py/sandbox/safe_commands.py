"""Which commands are known to be read-only (run without asking under ``untrusted``), and which are dangerous.

Follows Codex's list (``is_safe_command.rs``): plain read-only tools, a few tools whose writing or
code-running options are refused, and ``bash -lc "<script>"`` when the script is only plain words joined by
``&&``, ``||``, ``;`` or ``|``. The script parser here is word-only on purpose: quotes and backslashes are
understood; redirections, substitutions, expansions, subshells, assignments, globs and comments make a
script not-known-safe (it then simply goes through the normal approval path).
"""

from __future__ import annotations

import re

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
        return commands is not None and bool(commands) and all(_is_safe_plain(cmd) for cmd in commands)
    return _is_safe_plain(argv)


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
    commands: list[list[str]] = []
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
    return commands


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
        return len(argv) <= 4 and len(args) >= 2 and args[0] == "-n" and bool(_SED_RANGE.fullmatch(args[1]))
    return False


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
    while args and args[0] in ("-C", "--no-pager"):
        if args[0] == "-C":
            if len(args) < 2:
                return False
            args = args[1:]
        args = args[1:]
    if not args or args[0] not in _GIT_READ:
        return False
    sub, rest = args[0], args[1:]
    if any(a.startswith(_GIT_UNSAFE) for a in rest):
        return False
    if sub == "branch":
        listing = "--list" in rest or "-l" in rest
        return all(a in _GIT_BRANCH_LIST or a in ("--list", "-l") or (listing and not a.startswith("-")) for a in rest)
    return True
