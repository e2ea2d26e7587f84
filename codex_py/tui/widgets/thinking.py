"""The model's thinking: a dim, collapsible block with the elapsed time."""

from __future__ import annotations

import time

from textual.timer import Timer
from textual.widgets import Collapsible

from codex_py.tui.widgets.assistant_message import AssistantMessage


class ThinkingBlock(Collapsible):
    """Open while the model thinks; collapsed (title ``Thought for 4s``) once it is done."""

    DEFAULT_CSS = """
    ThinkingBlock {
        margin: 1 0 0 0;
        padding: 0;
        border: none;
        background: transparent;
        color: $text-muted;
    }
    ThinkingBlock CollapsibleTitle { color: $text-muted; padding: 0 1; }
    ThinkingBlock Contents { padding: 0 0 0 2; }
    ThinkingBlock AssistantMessage { margin: 0; color: $text-muted; }
    """

    def __init__(self) -> None:
        self.body = AssistantMessage(classes="-dim")
        super().__init__(self.body, title="Thinking…", collapsed=False)
        self.started = time.monotonic()
        self.finished_after: float | None = None
        self._ticker: Timer | None = None

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.finished_after is None:
            self.title = f"Thinking… {int(time.monotonic() - self.started)}s"

    def plain_text(self) -> str:
        """Only the title: thinking stays out of the scrollback copy."""
        return str(self.title)

    async def write(self, text: str, section_break: bool = False) -> None:
        """Append thinking text (a blank line first when a new section starts)."""
        if section_break and self.body.text:
            text = "\n\n" + text
        await self.body.write(text)

    async def finish(self, final_text: str | None = None) -> None:
        """Stop the clock and collapse."""
        if self.finished_after is not None:
            return
        self.finished_after = time.monotonic() - self.started
        if self._ticker is not None:
            self._ticker.stop()
        self.title = f"Thought for {max(1, round(self.finished_after))}s"
        self.collapsed = True
        await self.body.finish(final_text)
