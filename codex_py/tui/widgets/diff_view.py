"""A coloured unified diff."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from codex_py.protocol.terminal_text import strip_controls


def diff_stats(diff: str) -> tuple[int, int]:
    """(lines added, lines removed) of a unified diff."""
    added = removed = 0
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def render_diff(diff: str) -> Content:
    """Colour a unified diff: additions green, removals red, hunk headers cyan, file headers bold."""
    parts: list[tuple[str, str] | str] = []
    for line in strip_controls(diff).splitlines(keepends=True):
        if line.startswith(("+++", "---", "diff ", "index ")):
            parts.append((line, "bold"))
        elif line.startswith("+"):
            parts.append((line, "$text-success on $success-muted"))
        elif line.startswith("-"):
            parts.append((line, "$text-error on $error-muted"))
        elif line.startswith("@@"):
            parts.append((line, "$accent"))
        else:
            parts.append(line)
    return Content.assemble(*parts).rstrip("\n")


class DiffView(Static):
    """A read-only unified diff."""

    DEFAULT_CSS = """
    DiffView { height: auto; padding: 0 0 0 2; }
    """

    def __init__(self, diff: str, *, classes: str | None = None) -> None:
        super().__init__(render_diff(diff), classes=classes, markup=False)
        self.diff = diff

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run."""
        return self.diff.rstrip()
