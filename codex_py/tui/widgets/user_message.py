"""A user message in the transcript."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class UserMessage(Static):
    """What the user sent, shown verbatim (no markup) after a ``›`` gutter."""

    DEFAULT_CSS = """
    UserMessage {
        margin: 1 0 0 0;
        padding: 0 1;
        background: $boost;
        color: $text;
    }
    """

    def __init__(self, text: str) -> None:
        super().__init__(Content.assemble(("› ", "bold $accent"), text), markup=False)
        self.text = text

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run."""
        return "› " + self.text
