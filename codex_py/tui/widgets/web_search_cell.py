"""A web search the provider ran (its hosted / server tool): what it searched and the pages it found, and the
pages an answer cites ("Sources"). URLs come from the provider: shown as text, never as terminal controls."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Static

from codex_py.protocol.terminal_text import strip_controls as _clean

MAX_URLS = 8
"""URLs listed before ``… N more``."""


def search_lines(label: str, urls: Sequence[str]) -> list[str]:
    """The cell's text: the label, then one line per URL (at most ``MAX_URLS``)."""
    lines = [_clean(label)] + [f"  {_clean(url)}" for url in urls[:MAX_URLS]]
    if len(urls) > MAX_URLS:
        lines.append(f"  … {len(urls) - MAX_URLS} more")
    return lines


class WebSearchCell(Static):
    """``🌐 Searched <query>`` and the pages found (or the cited sources of an answer)."""

    DEFAULT_CSS = """
    WebSearchCell { margin: 1 0 0 0; padding: 0 1; color: $text-muted; }
    WebSearchCell.-failed { color: $warning; }
    """

    def __init__(self, label: str, urls: Sequence[str], *, failed: bool = False) -> None:
        self.lines = search_lines(label, urls)
        head, *rest = self.lines
        body = Content.assemble(("● ", "bold $accent"), (head, "bold"), *(("\n" + line) for line in rest))
        super().__init__(body, markup=False, classes="-failed" if failed else "")

    @classmethod
    def sources(cls, sources: Sequence[tuple[str, str]]) -> WebSearchCell:
        """The pages an answer cites: ``title <url>`` per line."""
        return cls("Sources", [f"{title} <{url}>" if title else url for url, title in sources])

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run."""
        return "\n".join(self.lines)
