"""File changes made by the agent: one coloured unified diff per file."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from codex_py.agent.events import FileChange
from codex_py.tui.widgets.diff_view import DiffView, diff_stats

KIND_VERB = {"add": "Added", "update": "Edited", "delete": "Deleted"}


def change_title(change: FileChange) -> Content:
    """``Edited src/a.py (+3 -1)`` or ``Renamed a.py → b.py``."""
    added, removed = diff_stats(change.diff)
    verb = "Renamed" if change.move_to else KIND_VERB.get(change.kind, change.kind)
    path = f"{change.path} → {change.move_to}" if change.move_to else change.path
    return Content.assemble(
        (verb + " ", "bold"),
        path,
        " (",
        (f"+{added}", "$text-success"),
        " ",
        (f"-{removed}", "$text-error"),
        ")",
    )


class PatchCell(Widget):
    """A patch: pending (asked or applying), then applied, failed or declined."""

    DEFAULT_CSS = """
    PatchCell { height: auto; margin: 1 0 0 0; padding: 0 1; }
    PatchCell > .title { text-style: bold; }
    PatchCell > .file { padding: 0 0 0 2; }
    PatchCell > .message { color: $text-muted; padding: 0 0 0 2; }
    """

    def __init__(self, call_id: str, changes: Sequence[FileChange]) -> None:
        super().__init__()
        self.call_id = call_id
        self.changes = list(changes)
        self.status = "pending"
        self.message = ""
        self._title = Static(classes="title", markup=False)
        self._message = Static(classes="message", markup=False)

    def compose(self) -> ComposeResult:
        yield self._title
        for change in self.changes:
            yield Static(change_title(change), classes="file", markup=False)
            if change.diff:
                yield DiffView(change.diff)
        yield self._message

    def on_mount(self) -> None:
        self._show()

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run."""
        return "\n".join(f"{change_title(c).plain}\n{c.diff.rstrip()}" for c in self.changes)

    def finish(self, status: str, message: str = "") -> None:
        """Applied (``completed``), ``failed`` or ``declined``."""
        self.status = status
        self.message = message
        if self.is_mounted:
            self._show()

    def _show(self) -> None:
        self._render_title()
        show = bool(self.message) and self.status != "completed"
        self._message.display = show
        if show:
            self._message.update(self.message)

    def _render_title(self) -> None:
        n = len(self.changes)
        files = f"{n} file{'s' if n != 1 else ''}"
        if self.status == "pending":
            self._title.update(Content.assemble(("• ", "$accent"), f"Applying patch to {files}…"))
        elif self.status == "completed":
            self._title.update(Content.assemble(("✓ ", "$success"), f"Changed {files}"))
        elif self.status == "declined":
            self._title.update(Content.assemble(("✗ ", "$error"), f"Patch to {files} declined"))
        else:
            self._title.update(Content.assemble(("✗ ", "$error"), f"Patch to {files} failed"))
