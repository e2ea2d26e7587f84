"""An assistant answer, rendered as Markdown while it streams."""

from __future__ import annotations

from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream


class AssistantMessage(Markdown):
    """Streams text through Textual's ``MarkdownStream`` (which coalesces fragments while the
    widget is busy); never re-renders the whole answer per delta."""

    DEFAULT_CSS = """
    AssistantMessage {
        margin: 1 0 0 0;
        padding: 0 1;
        background: transparent;
    }
    AssistantMessage.-dim { color: $text-muted; }
    """

    def __init__(self, markdown: str = "", *, classes: str | None = None) -> None:
        super().__init__(markdown, classes=classes)
        self._stream: MarkdownStream | None = None
        self.text = markdown

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run."""
        return self.text

    async def write(self, fragment: str) -> None:
        """Append ``fragment`` to the answer."""
        if self._stream is None:
            self._stream = Markdown.get_stream(self)
        self.text += fragment
        await self._stream.write(fragment)

    async def finish(self, final_text: str | None = None) -> None:
        """Stop streaming; if ``final_text`` differs from what was streamed, show it instead."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        if final_text is not None and final_text != self.text:
            self.text = final_text
            await self.update(final_text)

    async def reset(self) -> None:
        """Discard the partial answer (the stream is being retried)."""
        await self.finish()
        self.text = ""
        await self.update("")
