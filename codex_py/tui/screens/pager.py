"""Ctrl+T: the whole conversation as text in a full-screen pager, with search."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input, Static, TextArea
from textual.widgets.text_area import Selection

HINT = "↑↓ pgup/pgdn home/end scroll · / search · n/N next/previous · drag selects · esc or q closes"


class PagerScreen(Screen[None]):
    """Read-only text of the conversation; ``/`` opens a search field, ``n``/``N`` jump between matches."""

    CSS_PATH = "pager.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close", show=False),
        Binding("q", "cancel", "Close", show=False),
        Binding("slash,ctrl+f", "search", "Search", show=False),
        Binding("n", "next(1)", "Next match", show=False),
        Binding("N", "next(-1)", "Previous match", show=False),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.query_text = ""
        self.view = TextArea(text, read_only=True, soft_wrap=True, show_line_numbers=False, id="pager-text")
        self.search_field = Input(placeholder="search the conversation · enter finds · esc closes", id="pager-search")
        self.status = Static(HINT, id="pager-status", markup=False)

    def compose(self) -> ComposeResult:
        yield self.view
        yield self.search_field
        yield self.status

    def on_mount(self) -> None:
        self.view.focus()
        self.view.move_cursor(self.view.document.end)  # open at the newest output, like the transcript
        self.view.scroll_end(animate=False)

    def action_cancel(self) -> None:
        """Esc: close the search field first, then the pager."""
        if self.search_field.has_class("-open"):
            self.search_field.remove_class("-open")
            self.view.focus()
            return
        self.dismiss(None)

    def action_search(self) -> None:
        """Open the search field."""
        self.search_field.add_class("-open")
        self.search_field.focus()

    @on(Input.Submitted, "#pager-search")
    def _submitted(self, event: Input.Submitted) -> None:
        self.query_text = event.value
        self.search_field.remove_class("-open")
        self.view.focus()
        self.action_next(1)

    def action_next(self, direction: int) -> None:
        """Select the next (1) or previous (-1) match of the search, wrapping around."""
        needle = self.query_text.lower()
        if not needle:
            self.action_search()
            return
        haystack = self.text.lower()
        cursor = self._offset(*self.view.selection.end)
        if direction > 0:
            found = haystack.find(needle, cursor)
            found = found if found >= 0 else haystack.find(needle)
        else:
            start = self._offset(*self.view.selection.start)
            found = haystack.rfind(needle, 0, max(0, start))
            found = found if found >= 0 else haystack.rfind(needle)
        if found < 0:
            self.status.update(f"no match for {self.query_text!r} · {HINT}")
            return
        count = haystack.count(needle)
        index = haystack.count(needle, 0, found) + 1
        self.view.selection = Selection(self._location(found), self._location(found + len(needle)))
        self.view.scroll_cursor_visible(center=True, animate=False)
        self.status.update(f"match {index} of {count} for {self.query_text!r} · {HINT}")

    def _location(self, offset: int) -> tuple[int, int]:
        row = self.text.count("\n", 0, offset)
        line_start = self.text.rfind("\n", 0, offset) + 1
        return row, offset - line_start

    def _offset(self, row: int, column: int) -> int:
        offset = 0
        for _ in range(row):
            offset = self.text.find("\n", offset) + 1
        return offset + column
