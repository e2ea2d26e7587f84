"""An assistant answer, rendered as Markdown while it streams, at a cost that follows the change.

One widget per answer (not one widget per Markdown block, which made every layout walk thousands
of widgets). Finished blocks (``markdown_blocks``) are rendered once to learn their height; only the
lines of the few blocks on screen are kept (a small LRU), so a long answer keeps no large object
graph alive for the garbage collector to walk. Each update renders only the open last block, and
the transcript is re-laid out only when the number of lines changes.

Measuring never holds the event loop for long: a burst of text (a network hiccup releases thousands
of deltas at once) or a resize of a long answer renders blocks for at most ``MEASURE_BUDGET_S`` at a
time, newest first; the others get an estimated height and are measured in later slices (or at once
when they come on screen), so typing and drawing go on meanwhile.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections import OrderedDict
from itertools import accumulate
from typing import TYPE_CHECKING

from textual.widget import Widget

from codex_py.protocol.terminal_text import strip_controls
from codex_py.tui.widgets.markdown_blocks import Block, BlockSplitter, render_block, separated

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions
    from rich.segment import Segment
    from textual.geometry import Size
    from textual.strip import Strip

    Lines = list[list[Segment]]

CACHED_BLOCKS = 24
"""Rendered blocks kept for repaints (the screen rarely shows more)."""
MEASURE_BUDGET_S = 0.004
"""Longest stretch of block rendering before the event loop gets a turn (keys, frames)."""
CATCH_UP_DELAY_S = 0.01
"""Pause between measuring slices: blocks that come on screen meanwhile are measured at once anyway, and
while an answer streams each slice's layout change would cost a full repaint."""
QUIET_BEFORE_CATCH_UP_S = 0.25
"""Catching up waits until no text arrived for this long: during a stream only what is on screen is measured."""
MEASURE_AT_LEAST = 1
"""Blocks measured at once even over budget: a streamed update finishes one or two."""


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
        self._heights: list[int] = []
        """Lines of each finished block (its separator included): measured, or estimated if pending."""
        self._pending: set[int] = set()
        """Blocks whose height is an estimate (not rendered at the current width yet)."""
        self._starts: list[int] = []
        """First line of each finished block; rebuilt from ``_heights`` when ``_dirty``."""
        self._dirty = False
        self._frozen_height = 0
        self._catching_up = False
        self._appended_at = 0.0
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
        """Append ``fragment`` to the answer (the bridge hands big bursts over in pieces)."""
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
        self._heights = []
        self._pending = set()
        self._starts = []
        self._dirty = False
        self._frozen_height = 0
        self._cache.clear()
        self._tail = []

    def _append(self, fragment: str) -> None:
        fragment = strip_controls(fragment)  # model text must not drive the terminal (issue 11)
        self._appended_at = time.perf_counter()
        self.text += fragment
        finished = self._splitter.feed(fragment)
        if not self._width:
            self.refresh(layout=True)
            return
        before = self.line_count
        blocks = self._splitter.blocks
        for index in range(len(blocks) - len(finished), len(blocks)):
            self._heights.append(self._estimate(index))
            self._pending.add(index)
        self._dirty = True
        self._measure_newest_first(time.perf_counter())
        self._render_tail()
        self.refresh(layout=self.line_count != before)

    def _estimate(self, index: int) -> int:
        """A cheap guess of block ``index``'s height: its source lines wrapped at the width."""
        block = self._splitter.blocks[index]
        width = max(1, self._width - 2)
        rows = sum(1 + len(line) // width for line in block.source.strip("\n").split("\n"))
        if block.kind == "fence":
            rows += 1  # Rich pads code blocks
        previous = self._splitter.blocks[index - 1].kind if index else ""
        return rows + (1 if separated(previous) else 0)

    def _measure(self, index: int) -> bool:
        """Render pending block ``index`` at the current width; True when its height changed."""
        self._pending.discard(index)
        height = len(self._block_lines(index))
        if height == self._heights[index]:
            return False
        self._heights[index] = height
        self._dirty = True
        return True

    def _measure_newest_first(self, started: float) -> None:
        """Measure pending blocks, the newest (nearest the bottom) first, until the budget is spent;
        the rest is measured in later slices."""
        for done, index in enumerate(sorted(self._pending, reverse=True)):
            if done >= MEASURE_AT_LEAST and time.perf_counter() - started > MEASURE_BUDGET_S:
                break
            self._measure(index)
        self._sync_starts()
        if self._pending and not self._catching_up:
            self._catching_up = True
            self.set_timer(CATCH_UP_DELAY_S, self._catch_up)

    def _catch_up(self) -> None:
        """One more slice of measuring (keys and frames got their turn in between). Not while text keeps
        arriving: blocks scrolling into view are measured then anyway, and a slice's layout change would
        cost the stream a full repaint."""
        self._catching_up = False
        if not self._pending or not self._width:
            return
        if time.perf_counter() - self._appended_at < QUIET_BEFORE_CATCH_UP_S:
            self._catching_up = True
            self.set_timer(QUIET_BEFORE_CATCH_UP_S, self._catch_up)
            return
        before = self._frozen_height
        self._measure_newest_first(time.perf_counter())
        if self._frozen_height != before:
            self.refresh(layout=True)

    def _sync_starts(self) -> None:
        if self._dirty:
            self._starts = [0, *accumulate(self._heights)][:-1] if self._heights else []
            self._frozen_height = sum(self._heights)
            self._dirty = False

    def measure_all(self) -> None:
        """Measure every pending block now (tests and the pager want exact heights)."""
        for index in sorted(self._pending):
            self._measure(index)
        self._sync_starts()

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
        """A new width: old heights scaled as estimates, then measured newest first within the budget."""
        started = time.perf_counter()
        old_width, old_heights = self._width, self._heights
        self._width = width
        self._cache.clear()
        if old_width and len(old_heights) == len(self._splitter.blocks):
            scale = old_width / width
            self._heights = [max(1, round(h * scale)) for h in old_heights]
        else:
            self._heights = [self._estimate(i) for i in range(len(self._splitter.blocks))]
        self._pending = set(range(len(self._heights)))
        self._dirty = True
        self._measure_newest_first(started)
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
        if index in self._pending and self._measure(index):  # on screen before its slice came
            self._sync_starts()
            self.refresh(layout=True)
        lines = self._block_lines(index)
        row = y - self._starts[index]
        if row >= len(lines):
            return Strip.blank(self.size.width, style)
        return Strip(lines[row]).apply_style(style)

    def on_resize(self) -> None:
        """Measure again at a new width (a width-only change does not always ask for the height)."""
        width = self.content_region.width
        if width != self._width and width > 0:
            self._remeasure(width)
            self.refresh(layout=True)
