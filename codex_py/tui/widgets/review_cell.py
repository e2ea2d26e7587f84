"""The findings of a ``/review``: who reviewed what, the verdict, and each finding with its place."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from codex_py.config.redaction import redact_known
from codex_py.protocol.terminal_text import strip_controls


class ReviewCell(Static):
    """``Review of the uncommitted changes by anthropic · claude-sonnet-4-5 — patch is incorrect`` and the
    rendered review (Codex's text: explanation, then ``- [P1] title — path:start-end`` and the body)."""

    DEFAULT_CSS = """
    ReviewCell { margin: 1 0 0 0; padding: 0 1; border-left: outer $accent; }
    """

    def __init__(self, title: str, text: str) -> None:
        # the reviewer's text comes from a model: no terminal escapes, no credential this process uses
        self.title = redact_known(strip_controls(title))
        self.text = redact_known(strip_controls(text))
        super().__init__(_content(self.title, self.text), markup=False)

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run."""
        return f"{self.title}\n{self.text}"


def _content(title: str, text: str) -> Content:
    parts: list[str | tuple[str, str]] = [(title, "bold $accent"), "\n"]
    for line in text.splitlines():
        if line.startswith("- [P0]") or line.startswith("- [P1]"):
            parts.append((line, "bold $error"))
        elif line.startswith("- "):
            parts.append((line, "bold"))
        elif line.startswith("  "):
            parts.append((line, "$text-muted"))
        else:
            parts.append(line)
        parts.append("\n")
    return Content.assemble(*parts[:-1])
