"""An assistant answer, rendered as Markdown while it streams, at a cost that follows the change.

One widget per answer (not one widget per Markdown block, which made every layout walk thousands
of widgets). Finished blocks (``markdown_blocks``) are rendered once to learn their height; only the
lines of the few blocks on screen are kept (a small LRU), so a long answer keeps no large object
graph alive for the garbage collector to walk. Each update renders only the open last block, and
the transcript is re-laid out only when the number of lines changes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from typing import TYPE_CHECKING

from textual.widget import Widget

from codex_py.tui.widgets.markdown_blocks import Block, BlockSplitter, render_block, separated

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions
    from rich.segment import Segment
    from textual.geometry import Size
    from textual.strip import Strip

    Lines = list[list[Segment]]

CACHED_BLOCKS = 24
"""Rendered blocks kept for repaints (the screen rarely shows more)."""


class AssistantMessage(Widget):
    """Markdown that grows at its end (``write``) and can be replaced whole (``finish``/``reset``)."""

    DEFAULT_CSS = """
    AssistantMessage { height: auto; margin: 1 0 0 0; padding: 0 1; }
    AssistantMessage.-dim { color: $text-muted; }
    """

    def __init__(self, markdown: str = "", *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.text = ""
        self._splitter = BlockSplitter()
        self._width = 0
        """The width the heights were measured at (0: not measured yet)."""
        self._starts: list[int] = []
        """First line of each finished block (its separator included)."""
        self._frozen_height = 0
        self._cache: OrderedDict[int, Lines] = OrderedDict()
        self._tail: Lines = []
        if markdown:
            self._append(markdown)

    @property
    def source(self) -> str:
        """The Markdown shown (the answer so far)."""
        return self.text

    @property
    def line_count(self) -> int:
        """Lines the answer takes at the width it was last measured at."""
        return self._frozen_height + len(self._tail)

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run."""
        return self.text

    async def write(self, fragment: str) -> None:
        """Append ``fragment`` to the answer."""
        if fragment:
            self._append(fragment)

    async def finish(self, final_text: str | None = None) -> None:
        """The stream ended; if ``final_text`` differs from what was streamed, show it instead."""
        if final_text is not None and final_text != self.text:
            self.set_text(final_text)

    async def reset(self) -> None:
        """Discard the partial answer (the stream is being retried)."""
        self.set_text("")

    def set_text(self, text: str) -> None:
        """Show ``text`` instead of what is there."""
        self.text = ""
        self._splitter = BlockSplitter()
        self._forget()
        self._append(text)

    # --- measuring and rendering ------------------------------------------------------------
    def _forget(self) -> None:
        self._starts = []
        self._frozen_height = 0
        self._cache.clear()
        self._tail = []

    def _append(self, fragment: str) -> None:
        self.text += fragment
        finished = self._splitter.feed(fragment)
        if not self._width:
            self.refresh(layout=True)
            return
        before = self.line_count
        first = len(self._splitter.blocks) - len(finished)
        for index in range(first, len(self._splitter.blocks)):
            self._measure(index)
        self._render_tail()
        self.refresh(layout=self.line_count != before)

    def _measure(self, index: int) -> None:
        """Render finished block ``index`` (the next one to measure) and record its height."""
        lines = self._block_lines(index)
        self._starts.append(self._frozen_height)
        self._frozen_height += len(lines)

    def _block_lines(self, index: int) -> Lines:
        cached = self._cache.get(index)
        if cached is not None:
            self._cache.move_to_end(index)
            return cached
        blocks = self._splitter.blocks
        lines = self._lines(blocks[index], blocks[index - 1].kind if index else "")
        self._cache[index] = lines
        if len(self._cache) > CACHED_BLOCKS:
            self._cache.popitem(last=False)
        return lines

    def _lines(self, block: Block, previous_kind: str) -> Lines:
        console, options = self._render_target()
        lines = render_block(console, options, block.source)
        # Rich already starts some blocks (loose lists) with the blank line a whole document has.
        if lines and lines[0] and separated(previous_kind):
            lines.insert(0, [])
        return lines

    def _render_tail(self) -> None:
        splitter = self._splitter
        if not splitter.tail.strip():
            self._tail = []
            return
        previous = splitter.blocks[-1].kind if splitter.blocks else ""
        self._tail = self._lines(Block(splitter.tail, splitter.tail_kind), previous)

    def _remeasure(self, width: int) -> None:
        self._width = width
        self._forget()
        for index in range(len(self._splitter.blocks)):
            self._measure(index)
        self._render_tail()

    def _render_target(self) -> tuple[Console, ConsoleOptions]:
        app = self.app
        return app.console, app.console_options.update(width=self._width, height=None, highlight=False)

    # --- Textual hooks ----------------------------------------------------------------------
    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The number of lines at ``width`` (measuring everything again only if the width changed)."""
        if width != self._width and width > 0:
            self._remeasure(width)
        return self.line_count

    def render_line(self, y: int) -> Strip:
        """One line of the answer, on the widget's own colours."""
        from textual.strip import Strip

        style = self.visual_style.rich_style
        if y >= self._frozen_height:
            row = y - self._frozen_height
            if row >= len(self._tail):
                return Strip.blank(self.size.width, style)
            return Strip(self._tail[row]).apply_style(style)
        index = bisect_right(self._starts, y) - 1
        return Strip(self._block_lines(index)[y - self._starts[index]]).apply_style(style)

    def on_resize(self) -> None:
        """Measure again at a new width (a width-only change does not always ask for the height)."""
        width = self.content_region.width
        if width != self._width and width > 0:
            self._remeasure(width)
            self.refresh(layout=True)
