"""The ``codex-py`` entry point: argument routing and the ``--version`` fast path.

Start-up speed matters: this module imports only ``sys``; the typer app lives in
``cli_app`` and each command imports its implementation when it runs.
"""

import sys

COMMANDS = (
    "exec",
    "e",
    "resume",
    "sessions",
    "undo",
    "login",
    "logout",
    "apply-patch",
    "tui",
    "exec-resume",
    "review",
    "mcp",
    "mcp-server",
    "skills",
    "hooks",
)
# options that take a value (used to find the first positional argument)
VALUE_OPTIONS = frozenset(
    {
        "-m",
        "--model",
        "--provider",
        "-p",
        "--profile",
        "-c",
        "--config",
        "-C",
        "--cd",
        "-s",
        "--sandbox",
        "-a",
        "--ask-for-approval",
        "--reasoning-effort",
        "-o",
        "--output-last-message",
    }
)


def _first_positional(argv: list[str]) -> "int | None":
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return i + 1 if i + 1 < len(argv) else None
        if arg.startswith("-") and arg != "-":
            if arg in VALUE_OPTIONS:
                i += 1
            i += 1
            continue
        return i
    return None


def rewrite_argv(argv: list[str]) -> list[str]:
    """Route ``codex-py [OPTIONS] [PROMPT]`` to the hidden ``tui`` command and
    ``codex-py exec resume ...`` to ``exec-resume`` (click groups cannot mix both)."""
    pos = _first_positional(argv)
    if pos is None:
        if any(a in ("--help", "-h") for a in argv):
            return ["--help"]  # also `codex-py -m X --help`: the root help lists the interactive options
        return ["tui", *argv]
    word = argv[pos]
    if word not in COMMANDS:
        return ["tui", *argv]
    if word in ("exec", "e"):
        rest = argv[pos + 1 :]
        sub = _first_positional(rest)
        if sub is not None and rest[sub] == "resume":
            return [*argv[:pos], "exec-resume", *rest[:sub], *rest[sub + 1 :]]
    return argv


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        from codex_py import __version__

        sys.stdout.write(f"codex-py {__version__}\n")
        return
    from codex_py.cli_app import build_app

    app = build_app()
    app(args=rewrite_argv(args), prog_name="codex-py")

