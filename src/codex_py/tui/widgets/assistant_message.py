"""An assistant answer, rendered as Markdown while it streams."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream

CHUNK_CHARS = 3000
"""A long answer is split into Markdown widgets of about this size, at paragraph breaks outside
code fences: layout then only re-measures the live (last) piece, so a 100 KiB answer costs the
same per update as a short one."""


class AssistantMessage(Vertical):
    """Streams text through Textual's ``MarkdownStream`` (which coalesces fragments while the widget
    is busy); never re-renders the whole answer per delta."""

    DEFAULT_CSS = """
    AssistantMessage { height: auto; margin: 1 0 0 0; padding: 0 1; }
    AssistantMessage > Markdown { margin: 0; padding: 0; background: transparent; }
    AssistantMessage.-dim > Markdown { color: $text-muted; }
    """

    def __init__(self, markdown: str = "", *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.text = markdown
        self._live = Markdown(markdown)
        self._live_chars = len(markdown)
        self._fences = markdown.count("```")
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        yield self._live

    @property
    def source(self) -> str:
        """What the Markdown widgets hold (catches up with ``text`` as the stream drains)."""
        return "".join(piece.source for piece in self.query_children(Markdown))

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run."""
        return self.text

    async def write(self, fragment: str) -> None:
        """Append ``fragment`` to the answer."""
        self.text += fragment
        if self._live_chars >= CHUNK_CHARS and (cut := self._split_point(fragment)) is not None:
            head, fragment = fragment[:cut], fragment[cut:]
            await self._write_live(head)
            await self._new_piece()
        await self._write_live(fragment)

    def _split_point(self, fragment: str) -> int | None:
        """Index just after a paragraph break in ``fragment`` that is outside a code fence."""
        start = 0
        fences = self._fences
        while True:
            brk = fragment.find("\n\n", start)
            if brk < 0:
                return None
            fences_before = fences + fragment.count("```", 0, brk)
            if fences_before % 2 == 0:
                return brk + 2
            start = brk + 2

    async def _write_live(self, fragment: str) -> None:
        if not fragment:
            return
        self._live_chars += len(fragment)
        self._fences += fragment.count("```")
        if self._stream is None:
            self._stream = Markdown.get_stream(self._live)
        await self._stream.write(fragment)

    async def _new_piece(self) -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        self._live = Markdown()
        self._live_chars = 0
        self._fences = 0
        await self.mount(self._live)

    async def finish(self, final_text: str | None = None) -> None:
        """Stop streaming; if ``final_text`` differs from what was streamed, show it instead."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        if final_text is not None and final_text != self.text:
            await self._replace(final_text)

    async def reset(self) -> None:
        """Discard the partial answer (the stream is being retried)."""
        await self.finish()
        await self._replace("")

    async def _replace(self, text: str) -> None:
        self.text = text
        await self.remove_children()
        self._live = Markdown(text)
        self._live_chars = len(text)
        self._fences = text.count("```")
        await self.mount(self._live)
