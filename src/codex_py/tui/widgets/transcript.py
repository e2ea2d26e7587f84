"""The scrolling conversation; old finished blocks are pruned past a line budget."""

from __future__ import annotations

import gc

from textual.containers import VerticalScroll
from textual.widget import Widget

from codex_py.tui.widgets.notice import Notice

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
        self._pruned_notice: Notice | None = None

    def on_mount(self) -> None:
        self.anchor()
        self.call_after_refresh(freeze_startup_heap)

    def add(self, widget: Widget) -> Widget:
        """Append a cell at the bottom (following it if the view is at the bottom)."""
        self.mount(widget)
        return widget

    def cells(self) -> list[Widget]:
        """The cells, oldest first (the pruning notice excluded)."""
        return [c for c in self.children if c is not self._pruned_notice]

    def total_lines(self) -> int:
        """Lines the cells take on screen (after layout)."""
        return sum(c.outer_size.height for c in self.cells())

    async def prune(self, keep_last: int = 1) -> int:
        """Remove the oldest cells while the transcript exceeds ``line_budget`` lines.

        The newest ``keep_last`` cells always stay. Returns how many cells were removed.
        """
        cells = self.cells()
        total = sum(c.outer_size.height for c in cells)
        doomed: list[Widget] = []
        for cell in cells[: max(0, len(cells) - keep_last)]:
            if total <= self.line_budget:
                break
            total -= cell.outer_size.height
            doomed.append(cell)
        if not doomed:
            return 0
        await self.remove_children(doomed)
        self.pruned += len(doomed)
        text = f"{self.pruned} earlier blocks hidden to keep the app light (they stay in the session file)"
        if self._pruned_notice is None:
            self._pruned_notice = Notice(text, "info")
            await self.mount(self._pruned_notice, before=0)
        else:
            self._pruned_notice.update(text)
        return len(doomed)

    def plain_text(self) -> str:
        """The conversation as plain text (cells without text are skipped)."""
        texts = []
        for cell in self.cells():
            plain = getattr(cell, "plain_text", None)
            if plain is not None:
                texts.append(plain())
        return "\n\n".join(t for t in texts if t)

    async def clear(self) -> None:
        """Remove every cell (``/new``)."""
        await self.remove_children()
        self._pruned_notice = None
        self.pruned = 0
