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
    if word == "e":  # Codex's alias of exec
        argv = [*argv[:pos], "exec", *argv[pos + 1 :]]
        word = "exec"
    if word == "exec":
        rest = argv[pos + 1 :]
        sub = _first_positional(rest)
        if sub is not None and rest[sub] == "resume":
            return [*argv[:pos], "exec-resume", *rest[:sub], *rest[sub + 1 :]]
    return argv


def skip_httpx_cli() -> None:
    """Keep ``import httpx`` from importing httpx's own command-line client.

    ``httpx/__init__`` runs ``from ._main import main`` whenever rich, pygments and click are installed
    (they are: textual needs rich): about 40 ms of every command's start, for a CLI codex-py never runs.
    A stand-in ``httpx._main`` answers that import; calling its ``main`` loads the real one."""
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return

    def main(*args: object, **kwargs: object) -> object:
        del sys.modules["httpx._main"]
        from httpx._main import main as real

        return real(*args, **kwargs)

    stand_in = type(sys)("httpx._main")
    setattr(stand_in, "main", main)  # noqa: B010
    sys.modules["httpx._main"] = stand_in


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        from codex_py import __version__

        sys.stdout.write(f"codex-py {__version__}\n")
        return
    skip_httpx_cli()
    from codex_py.cli_app import build_app

    app = build_app()
    args = rewrite_argv(args)
    pos = _first_positional(args)
    if pos is None or args[pos] not in ("exec", "e", "exec-resume"):
        app(args=args, prog_name="codex-py")
        return
    only = [c for c in app.registered_commands if c.name == args[pos]]
    if only:  # typer turns every registered command into a click command first: ~5 ms for exec's one
        app.registered_commands, app.registered_groups = only, []
    try:
        app(args=args, prog_name="codex-py")
    except SystemExit as done:
        exit_now(done)


def exit_now(done: SystemExit) -> None:
    """End an exec run at once: ``atexit`` handlers (the log file), then stdout and stderr are flushed and
    the process exits without the interpreter's teardown (freeing every module and object one by one:
    ~30 ms of exec's start-to-exit for nothing). Everything exec writes goes out unbuffered (rollout
    lines with ``os.write``) or is closed before the command returns. Falls back to the normal exit
    (re-raising ``done``) when another thread still runs or a flush fails (a closed pipe)."""
    import atexit
    import os
    import threading

    code = done.code
    if not (code is None or isinstance(code, int)) or threading.active_count() > 1:
        raise done
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        raise done from None
    os._exit(code or 0)
