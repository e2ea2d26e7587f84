"""Inline mode (``--no-alt-screen``): finished cells go to the terminal's own scrollback as they complete.

Textual's inline driver draws every frame whole, from an origin it reaches by moving the cursor back by
the offset it left it at (``App._previous_cursor_position``). Just before a frame (``CodexApp._display``) this module
moves to that origin, clears the app's area, prints the finished cells there as plain terminal output
(rendered by Rich at the terminal's width) and makes the point after them the new origin; the frame then
draws the app below, in the same write. The printed lines scroll up into the terminal's native scrollback
like any program's output, so they can be scrolled, searched and selected with the terminal's own tools,
and stay after exit.

A cell is finished when nothing will change it any more: not the answer or thinking being streamed, not a
running command or pending patch, not the turn's plan (redrawn in place until the turn ends), not a cell
of a response a retried stream may take back. Cells are printed in order, stopping at the first unfinished
one, so the scrollback is always the conversation's true beginning.

Resizing: the inline driver answers SIGWINCH by clearing the whole screen (``ESC [2J``), which terminals
with scroll-on-clear (tmux, VTE-based ones) push into the scrollback: one stale copy of the app per
resize. :func:`install_resize_handler` replaces that handler: the next frame is drawn from the app's
origin and clears only below itself, so nothing of the app reaches the scrollback.
"""

from __future__ import annotations

import io
import signal
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from textual import events
from textual.geometry import Offset, Size

SYNC_START = "\x1b[?2026h"
"""Begins a synchronized update (DEC mode 2026), which Textual writes first when the terminal has them."""

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rich.console import RenderableType
    from textual.widget import Widget

    from codex_py.tui.app import CodexApp


def finished_cells(app: CodexApp) -> list[Widget]:
    """The transcript's leading cells that will not change any more (the session header first)."""
    chat = app.chat
    renderer = chat.renderer
    transcript = chat.transcript
    live: set[int] = {id(w) for w in (renderer.answer, renderer.thinking, renderer.reconnect) if w is not None}
    live.update(id(w) for w in renderer.shown)
    live.update(id(w) for w in renderer.unclaimed)
    live.update(id(w) for w in renderer.commands.values())
    live.update(id(w) for w in renderer.patches.values())
    if renderer.running and renderer.plan is not None:
        live.add(id(renderer.plan))
    cells = transcript.cells()
    header = transcript.header
    if header is not None:
        cells.insert(0, header)
    done: list[Widget] = []
    for cell in cells:
        if id(cell) in live or not cell.is_mounted:
            break
        done.append(cell)
    return done


def cell_renderable(cell: Widget) -> RenderableType | None:
    """What a cell leaves in the scrollback: an answer as Markdown, any other cell as its plain text."""
    from rich.text import Text

    from codex_py.tui.widgets.assistant_message import AssistantMessage
    from codex_py.tui.widgets.markdown_blocks import answer_markdown

    if isinstance(cell, AssistantMessage):
        return answer_markdown(cell.text) if cell.text else None
    plain = getattr(cell, "plain_text", None)
    text = plain() if plain is not None else ""
    return Text(text) if text else None


def render_for_terminal(renderables: list[RenderableType], width: int, color_system: str | None) -> str:
    """``renderables`` as terminal output (each followed by a blank line), at ``width`` columns."""
    from rich.console import Console

    out = io.StringIO()
    console = Console(
        file=out,
        width=max(20, width),
        force_terminal=True,
        color_system=color_system,  # type: ignore[arg-type]
        legacy_windows=False,
        soft_wrap=False,
    )
    for renderable in renderables:
        console.print(renderable)
        console.print()
    return out.getvalue()


def fit_cursor(app: CodexApp, renderable: object) -> None:
    """Before an inline frame: put the terminal cursor where the focused input really is, inside the frame.

    Textual moves the cursor from the app's origin to ``App.cursor_position`` after each inline frame and back
    by the same amount before the next. A text area updates that position when its cursor moves, not when the
    layout moves the widget (cells leaving the transcript move the composer up), so it can point below the
    app; where the app sits at the bottom of the terminal the move down stops at the last row, the move back
    up goes too far, and the next frame (or the conversation printed at exit) overwrites lines above the app."""
    rows = len(getattr(renderable, "strips", ()) or ())
    if not rows:
        return
    offset = getattr(app.focused, "cursor_screen_offset", None)
    x, y = offset if isinstance(offset, Offset) else app.cursor_position
    app.cursor_position = Offset(max(0, x), min(max(0, y), rows - 1))


@contextmanager
def above_the_frame(app: CodexApp, text: str) -> Iterator[None]:
    """While the frame is written (``CodexApp._display``): ``text`` (ending with a newline) goes where the app
    starts, in the same terminal write as the frame that draws the app below it, so no terminal (or a
    screen capture) ever shows one without the other."""
    driver = app._driver
    if driver is None or not text:
        yield
        return
    _x, y = app._previous_cursor_position
    move = (f"\x1b[{y}A" if y > 0 else "") + "\r"  # back to the app's first line (Textual left the cursor x, y in)
    pending = [move + "\x1b[J" + text]
    app._previous_cursor_position = Offset(0, 0)  # the frame starts where the text ends
    write = driver.write

    def write_with_text(data: str) -> None:
        if pending and data != SYNC_START:  # inside the synchronized update, when the terminal has one
            data = pending.pop() + data
        write(data)

    driver.write = write_with_text  # type: ignore[method-assign]
    try:
        yield
    finally:
        driver.write = write  # type: ignore[method-assign]
        if pending:  # no frame was written after all
            write(pending.pop())


async def flush_finished(app: CodexApp) -> int:
    """Print the finished cells above the app and take them out of it; returns how many moved."""
    if app._driver is None or not app._driver.is_inline or app.screen is not app.chat:
        return 0
    cells = finished_cells(app)
    if not cells:
        return 0
    renderables = [r for r in (cell_renderable(c) for c in cells) if r is not None]
    color = getattr(app.console, "color_system", None)
    text = render_for_terminal(renderables, app.size.width, color) if renderables else ""
    transcript = app.chat.transcript
    header = transcript.header
    for cell in cells:
        if cell is header:
            transcript._header = None  # printed: the transcript no longer has a header cell
    # no frame between taking the cells out and printing them: it would show them nowhere (or twice)
    with app.batch_update():
        app.above += text  # written with the next frame
        await transcript.remove_children(cells)
    app.screen.refresh()
    return len(cells)


def install_resize_handler(app: CodexApp) -> None:
    """Replace the inline driver's SIGWINCH handler (which clears the whole screen) with one that redraws in place."""
    driver = app._driver
    if driver is None or not driver.is_inline:
        return
    import asyncio

    loop = asyncio.get_running_loop()

    def on_resize(_signum: int, _frame: Any) -> None:
        import shutil

        width, height = shutil.get_terminal_size()
        size = Size(width, height)

        def post() -> None:
            # the next frame starts at the app's origin and clears below itself (no whole-screen clear)
            app._previous_inline_height = 1 << 30
            app.post_message(events.Resize(size, size))

        loop.call_soon_threadsafe(post)

    signal.signal(signal.SIGWINCH, on_resize)
