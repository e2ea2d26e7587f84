"""``codex-py [PROMPT]`` and ``codex-py resume``: load the config, run the app, say how to resume.

Textual is imported only here and below, so ``codex-py --version`` and ``exec`` never load it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codex_py.agent.session import Session
    from codex_py.config import CliOverrides
    from codex_py.session.resume import ResumeTarget

MIN_COLUMNS, MIN_ROWS = 40, 10
"""Below this the composer, status bar and a few transcript lines no longer fit (80x24 is comfortable)."""

NEEDS_TERMINAL = (
    'codex-py: the interactive app needs a terminal; for scripts use `codex-py exec "…"` (stdin is read as the prompt)'
)


def terminal_problem() -> str | None:
    """Why the app cannot draw here (one line for stderr), or None when stdin and stdout are a usable terminal.

    Without a terminal Textual would write screen-drawing sequences into the pipe and never exit.
    """
    import os

    try:
        interactive = sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        interactive = False
    if not interactive:
        return NEEDS_TERMINAL
    if os.environ.get("TERM", "").lower() == "dumb":
        return (
            "codex-py: TERM=dumb cannot draw the interactive app; set TERM (e.g. TERM=xterm-256color) "
            'or use `codex-py exec "…"`'
        )
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
    except OSError:
        return None  # size unknown: let the app try
    if 0 < size.columns < MIN_COLUMNS or 0 < size.lines < MIN_ROWS:
        return (
            f"codex-py: the terminal is {size.columns}x{size.lines}; the interactive app needs at least "
            f'{MIN_COLUMNS}x{MIN_ROWS}: enlarge the window, or use `codex-py exec "…"`'
        )
    return None


def run_tui(
    cli: CliOverrides,
    prompt: str | None,
    *,
    no_alt_screen: bool = False,
    resume: ResumeTarget | None = None,
    images: list[str] | None = None,
) -> int:
    """Run the interactive app until the user quits; returns the exit code (2: no usable terminal)."""
    problem = terminal_problem()
    if problem is not None:
        sys.stderr.write(problem + "\n")
        return 2
    typed_ahead = quiet_terminal()
    try:
        return _run(cli, prompt, no_alt_screen=no_alt_screen, resume=resume, images=images or [])
    finally:
        restore_terminal(typed_ahead)


def quiet_terminal() -> list[Any] | None:
    """Stop the terminal echoing and line-buffering keys while the app loads (about half a second).

    Keys typed meanwhile stay in the terminal's input queue, unechoed, for Textual's driver to read
    (``CodexApp`` hands them to the composer once it has the focus). Returns the settings to restore,
    None when stdin is not a terminal we can set.
    """
    try:
        import termios
    except ImportError:  # not a POSIX system
        return None
    try:
        fd = sys.stdin.fileno()
        before = termios.tcgetattr(fd)
        quiet = termios.tcgetattr(fd)
        quiet[3] &= ~(termios.ECHO | termios.ICANON)  # lflag; signals (Ctrl+C) still work until the app starts
        quiet[6][termios.VMIN], quiet[6][termios.VTIME] = 1, 0
        termios.tcsetattr(fd, termios.TCSANOW, quiet)  # TCSANOW: what was typed already stays readable
    except (OSError, ValueError, AttributeError, termios.error):
        return None
    return before


def restore_terminal(before: list[Any] | None) -> None:
    """Put back the settings :func:`quiet_terminal` changed (Textual restores only what it found)."""
    if before is None:
        return
    import termios

    try:
        termios.tcsetattr(sys.stdin.fileno(), termios.TCSANOW, before)
    except (OSError, ValueError, AttributeError, termios.error):
        pass


def _run(
    cli: CliOverrides, prompt: str | None, *, no_alt_screen: bool, resume: ResumeTarget | None, images: list[str]
) -> int:
    from codex_py.config import load_config, resolve_paths
    from codex_py.session.logs import setup_logging

    config = load_config(cli)
    paths = resolve_paths()
    setup_logging(config, paths)
    if prompt == "-":
        prompt = sys.stdin.read() if not sys.stdin.isatty() else None
    if resume is not None:
        from codex_py.session.rollout import check_not_running, find_rollout

        # an unknown id (or no session here), or one another process runs, is a usage error before any screen opens
        check_not_running(find_rollout(paths, resume.session_id, last=resume.last, cwd=config.cwd))

    from codex_py.tui.app import CodexApp

    app = CodexApp(config, prompt=prompt or None, resume=resume, paths=paths)
    if images:  # -i: attached to the first prompt (typed, or given on the command line)
        from codex_py.errors import UsageError
        from codex_py.providers.images import ImageError, load_image

        paths_given = [p.strip() for raw in images for p in raw.split(",") if p.strip()]
        try:
            app.chat.attachments.extend(load_image(path, config.cwd) for path in paths_given)
        except ImageError as exc:
            raise UsageError(str(exc), "pass -i an existing PNG, JPEG, GIF or WebP file") from None
    inline = no_alt_screen or not config.tui.alt_screen
    code = app.run(inline=inline, mouse=not inline)  # the wheel scrolls; inline keeps the terminal's own
    if inline and app.scrollback:
        from rich.console import Console

        console = Console()
        for renderable in app.scrollback:
            console.print(renderable)
            console.print()
    session = app.session
    if session is not None:
        sys.stdout.write(exit_summary(session))
        unsaved = getattr(session.recorder, "unsaved_error", lambda: None)()
        if unsaved is not None:  # e.g. a full disk: the conversation was shown, its file misses the end
            sys.stderr.write(f"error: {unsaved}\nhint: {unsaved.hint}\n")
            return int(code or 1)
    return int(code or 0)


def exit_summary(session: Session) -> str:
    """What the terminal keeps after the app closes: the session's token usage (like Codex) and how to resume."""
    usage = session.usage
    lines = []
    if usage.input_tokens or usage.output_tokens:
        fresh = usage.input_tokens - usage.cached_input_tokens  # Codex counts cached input apart
        line = f"Token usage: total={usage.input_tokens + usage.output_tokens:,} input={fresh:,}"
        if usage.cached_input_tokens:
            line += f" (+ {usage.cached_input_tokens:,} cached)"
        line += f" output={usage.output_tokens:,}"
        if usage.reasoning_output_tokens:
            line += f" (reasoning {usage.reasoning_output_tokens:,})"
        lines.append(line)
    lines += [f"Session {session.session_id}", f"To continue it: codex-py resume {session.session_id}"]
    return "\n".join(lines) + "\n"
