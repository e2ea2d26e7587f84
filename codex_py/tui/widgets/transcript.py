"""The scrolling conversation. Old turns are pruned past a line budget and reloaded from the
session's history when the user scrolls back to the top; ``/resume`` redraws a session's history."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.widget import Widget

from codex_py.tui.widgets.notice import Notice
from codex_py.tui.widgets.user_message import UserMessage

if TYPE_CHECKING:
    from rich.console import RenderableType

    from codex_py.protocol.items import Item

_frozen_heap = False


def freeze_startup_heap() -> None:
    """Move what start-up allocated (modules, classes, styles: most of the heap) out of the collector's sight.

    A full collection walks every tracked object; with the app's own ~60k objects that is a 30-100 ms
    pause in the middle of a stream. Frozen objects are never scanned (nor freed, which start-up
    objects would not be anyway). Done once per process, after the first frame.
    """
    global _frozen_heap
    if not _frozen_heap:
        _frozen_heap = True
        gc.freeze()
        threading.Thread(target=_warm_up_then_freeze, name="codex-py warm-up", daemon=True).start()


def _warm_up_then_freeze() -> None:
    """The Markdown machinery loads in the background while the user types; then it is frozen too."""
    from codex_py.tui.widgets.markdown_blocks import warm_up

    try:
        warm_up()
    except Exception:  # a warm-up is an optimisation: the real render reports any problem
        return
    gc.freeze()


def _session_history(widget: Widget) -> Sequence[Item]:
    session = getattr(widget.app, "session", None)
    return getattr(session, "transcript", None) or getattr(session, "history", None) or ()


class Transcript(VerticalScroll, can_focus=False):
    """Cells stacked top to bottom, anchored to the bottom while new output arrives."""

    DEFAULT_CSS = """
    Transcript { height: 1fr; padding: 0 1 1 1; scrollbar-size-vertical: 1; }
    """

    def __init__(self, line_budget: int = 4000, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.line_budget = line_budget
        self.pruned = 0
        """How many blocks were removed from the screen so far."""
        self.hidden_turns = 0
        """How many earlier user turns are not on screen (pruned, or not loaded after ``/resume``)."""
        self.history: Callable[[], Sequence[Item]] = lambda: _session_history(self)
        """Where earlier turns are reloaded from (the live session's history)."""
        self.reloadable = True
        """False once the history was rewritten (``/compact``): it no longer holds the hidden turns."""
        self._pruned_notice: Notice | None = None
        self._header: Widget | None = None
        """The session header, always the first cell (never pruned)."""
        self._history_session: str | None = None
        self._loading = False
        self._loose = 0
        """Pruned cells outside any turn (notices before the first message): not reloadable."""

    def on_mount(self) -> None:
        self.anchor()
        self.call_after_refresh(freeze_startup_heap)

    def add(self, widget: Widget) -> Widget:
        """Append a cell at the bottom (following it if the view is at the bottom)."""
        self.mount(widget)
        return widget

    def cells(self) -> list[Widget]:
        """The cells, oldest first (the session header and the pruning notice excluded)."""
        return [c for c in self.children if c is not self._pruned_notice and c is not self._header]

    @property
    def header(self) -> Widget | None:
        """The session header shown at the top, if any."""
        return self._header

    async def set_header(self, header: Widget) -> None:
        """Show ``header`` as the first cell, replacing an earlier one (a new or switched session)."""
        old, self._header = self._header, header
        await self.mount(header, before=0)
        if old is not None:
            await old.remove()

    def total_lines(self) -> int:
        """Lines the cells take on screen (after layout)."""
        return sum(c.outer_size.height for c in self.cells())

    def _groups(self) -> list[list[Widget]]:
        """Cells in pruning units: a user message with what followed it, or a single cell before any."""
        groups: list[list[Widget]] = []
        in_turn = False
        for cell in self.cells():
            if isinstance(cell, UserMessage) or not in_turn:
                groups.append([])
                in_turn = in_turn or isinstance(cell, UserMessage)
            groups[-1].append(cell)
        return groups

    async def prune(self, keep_last: int = 1) -> int:
        """Remove the oldest turns while the transcript exceeds ``line_budget`` lines.

        Whole turns go (so scroll-back can reload them from the history); the newest ``keep_last``
        groups always stay, and nothing is pruned while the user reads earlier output. Returns how
        many cells were removed.
        """
        if not self.is_vertical_scroll_end:
            return 0
        groups = self._groups()
        total = sum(c.outer_size.height for group in groups for c in group)
        doomed: list[Widget] = []
        turns = loose = 0
        for group in groups[: max(0, len(groups) - keep_last)]:
            if total <= self.line_budget:
                break
            total -= sum(c.outer_size.height for c in group)
            doomed.extend(group)
            turns += isinstance(group[0], UserMessage)
            loose += not isinstance(group[0], UserMessage)
        if not doomed:
            return 0
        await self.remove_children(doomed)
        self.pruned += len(doomed)
        self.hidden_turns += turns
        self._loose += loose
        await self._show_hidden_notice()
        return len(doomed)

    async def _show_hidden_notice(self) -> None:
        if self.hidden_turns and self.reloadable:
            text = f"{self.hidden_turns} earlier turns hidden to keep the app light: scroll up to load them"
        elif self._loose or (self.hidden_turns and not self.reloadable):
            text = f"{self.pruned} earlier blocks hidden to keep the app light (they stay in the session file)"
        else:
            text = ""
        old = self._pruned_notice
        if old is not None and old.message == text:
            return
        self._pruned_notice = Notice(text, "info") if text else None
        if self._pruned_notice is not None:
            if self._header is not None:
                await self.mount(self._pruned_notice, after=self._header)
            else:
                await self.mount(self._pruned_notice, before=0)
        if old is not None:
            await old.remove()

    def history_rewritten(self) -> None:
        """The session's history was replaced (``/compact``): hidden turns can no longer be reloaded."""
        self.reloadable = False
        self.call_later(self._show_hidden_notice)

    # --- history: /resume and scroll-back ---------------------------------------------------------
    async def show_history(self, session_id: str, items: Sequence[Item]) -> int:
        """Draw a resumed session's earlier conversation above what is on screen (once per session).

        Only the latest turns that fit the line budget are drawn; older ones load on scroll-back.
        Returns how many turns were drawn.
        """
        if session_id == self._history_session:
            return 0
        self._history_session = session_id
        from codex_py.tui.widgets.history_cells import split_turns

        turns = split_turns(items)
        if not turns:
            return 0
        self.reloadable = True
        shown = await self._insert_turns(turns, len(turns))
        self.scroll_end(animate=False)
        return shown

    async def reload_hidden(self) -> int:
        """Load the hidden turns just before the oldest one on screen (about a line budget's worth).

        The view keeps showing what it showed. Returns how many turns were loaded.
        """
        if self._loading or not self.hidden_turns or not self.reloadable:
            return 0
        from codex_py.tui.widgets.history_cells import split_turns

        turns = split_turns(self.history())
        on_screen = sum(isinstance(c, UserMessage) for c in self.cells())
        end = min(len(turns) - on_screen, self.hidden_turns)
        if end <= 0:
            self.hidden_turns = 0
            await self._show_hidden_notice()
            return 0
        self._loading = True
        try:
            cells = self.cells()
            anchor = cells[0] if cells else None
            offset = anchor.virtual_region.y - self.scroll_y if anchor is not None else 0
            loaded = await self._insert_turns(turns, end)
        finally:
            self._loading = False
        if anchor is not None:
            self.call_after_refresh(lambda: self.scroll_to(y=anchor.virtual_region.y - offset, animate=False))
        return loaded

    async def _insert_turns(self, turns: list[list[Item]], end: int) -> int:
        """Mount ``turns[start:end]`` at the top, ``start`` chosen to fill about the line budget."""
        from codex_py.tui.widgets.history_cells import estimate_lines, history_cells

        width = self.size.width or 100
        start, lines = end, 0
        while start > 0 and (lines < self.line_budget or start == end):
            lines += estimate_lines(turns[start - 1], width)
            start -= 1
        records = getattr(getattr(self.app, "session", None), "tool_records", None)
        cells = [cell for turn in turns[start:end] for cell in history_cells(turn, records)]
        if cells:
            if self._pruned_notice is not None or self._header is not None:
                await self.mount_all(cells, after=self._pruned_notice or self._header)
            elif self.children:
                await self.mount_all(cells, before=0)
            else:
                await self.mount_all(cells)
        self.hidden_turns = start
        await self._show_hidden_notice()
        return end - start

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Scrolling back to the very top loads the hidden turns."""
        super().watch_scroll_y(old_value, new_value)
        if new_value <= 0 < old_value and self.hidden_turns and not self._loading:
            self.call_later(self.reload_hidden)

    def scrollback(self) -> list[RenderableType]:
        """The conversation for the terminal's scrollback: answers as Markdown, other cells as their text."""
        from rich.text import Text

        from codex_py.tui.widgets.assistant_message import AssistantMessage
        from codex_py.tui.widgets.markdown_blocks import answer_markdown

        out: list[RenderableType] = []
        cells = self.cells()
        if self._header is not None:
            cells.insert(0, self._header)
        for cell in cells:
            if isinstance(cell, AssistantMessage):
                out.append(answer_markdown(cell.text))
                continue
            plain = getattr(cell, "plain_text", None)
            text = plain() if plain is not None else ""
            if text:
                out.append(Text(text))
        return out

    def full_text(self) -> str:
        """The conversation as plain text for the Ctrl+T pager: every cell, thinking included."""
        from codex_py.tui.widgets.thinking import ThinkingBlock

        parts: list[str] = []
        if self.hidden_turns:
            hidden = self.hidden_turns
            parts.append(f"({hidden} earlier turns are not loaded: scroll to the top of the conversation first)")
        cells = self.cells()
        if self._header is not None:
            cells.insert(0, self._header)
        for cell in cells:
            plain = getattr(cell, "plain_text", None)
            text = plain() if plain is not None else ""
            if isinstance(cell, ThinkingBlock) and cell.body.text:  # its title, then what the model thought
                text = f"{text}\n" + "\n".join("  " + line for line in cell.body.text.splitlines())
            if text:
                parts.append(text)
        return "\n\n".join(parts) + "\n"

    async def clear(self) -> None:
        """Remove every cell (``/new``, ``/resume``)."""
        await self.remove_children()
        self._pruned_notice = None
        self._header = None
        self.pruned = 0
        self.hidden_turns = 0
        self.reloadable = True
        self._history_session = None
        self._loose = 0
