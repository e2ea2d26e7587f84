"""Inline frames put the terminal cursor inside the frame, where the composer really is (issue 12 item 2).

Textual moves the cursor from the app's origin to ``App.cursor_position`` after each inline frame and back by
the same amount before the next; a position left below the app (the composer moved up when cells left the
transcript) made the move back overshoot at the bottom of the terminal and the next print overwrite a cell.
"""

from __future__ import annotations

from pathlib import Path

from textual.geometry import Offset

from codex_py.config import CliOverrides, load_config
from codex_py.tui.app import CodexApp
from codex_py.tui.inline import fit_cursor


class Frame:
    """What ``fit_cursor`` reads of Textual's inline update: its lines."""

    def __init__(self, rows: int) -> None:
        self.strips = [object()] * rows


async def test_the_cursor_goes_to_the_composer_and_never_below_the_frame(tmp_path: Path) -> None:
    app = CodexApp(load_config(CliOverrides(cd=tmp_path, model="gpt-test")), connect=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("h", "i")
        composer = app.chat.composer
        assert app.focused is composer
        app.cursor_position = Offset(2, 40)  # stale: where the composer was before the layout moved it
        fit_cursor(app, Frame(24))
        assert app.cursor_position == composer.cursor_screen_offset  # the composer's real place
        assert app.cursor_position.y < 24
        fit_cursor(app, Frame(5))  # a frame shorter than that: the last line of the frame, never below
        assert app.cursor_position == Offset(composer.cursor_screen_offset.x, 4)
        composer.blur()
        await pilot.pause()
        app.cursor_position = Offset(1, 30)
        fit_cursor(app, Frame(6))  # nothing focused: the position Textual has, kept inside the frame
        assert app.cursor_position == Offset(1, 5)
        before = app.cursor_position
        fit_cursor(app, object())  # not an inline frame: left alone
        assert app.cursor_position == before
