"""File changes made by the agent: one coloured unified diff per file."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from codex_py.agent.events import FileChange
from codex_py.protocol.terminal_text import strip_controls
from codex_py.tui.widgets.diff_view import DiffView, diff_stats

KIND_VERB = {"add": "Added", "update": "Edited", "delete": "Deleted"}
PROPOSED_VERB = {"add": "Add", "update": "Edit", "delete": "Delete"}
"""For a change not (yet) made: asked about, applying, declined or failed."""
NAMED_FILES = 3
"""A title names up to this many files ("Patch to a.py, b.py declined"), else counts them."""


def change_title(change: FileChange, *, done: bool = True) -> Content:
    """``Edited src/a.py (+3 -1)`` or ``Renamed a.py → b.py``; ``Edit src/a.py (+3 -1)`` when not ``done``."""
    if change.move_to:
        verb = "Renamed" if done else "Rename"
    else:
        verb = (KIND_VERB if done else PROPOSED_VERB).get(change.kind, change.kind)
    path = strip_controls(f"{change.path} → {change.move_to}" if change.move_to else change.path)
    if not change.diff and not done:  # a patch that failed before its diff was made: only its files are known
        return Content.assemble((verb + " ", "bold"), path)
    added, removed = diff_stats(change.diff)
    return Content.assemble(
        (verb + " ", "bold"),
        path,
        " (",
        (f"+{added}", "$text-success"),
        " ",
        (f"-{removed}", "$text-error"),
        ")",
    )


def files_named(changes: Sequence[FileChange]) -> str:
    """``README.md``, ``a.py, b.py``, or ``5 files`` (``no file`` for none)."""
    if not changes:
        return "no file"
    if len(changes) <= NAMED_FILES:
        return ", ".join(c.path for c in changes)
    return f"{len(changes)} files"


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
            yield Static(classes="file", markup=False)
            if change.diff:
                yield DiffView(change.diff)
        yield self._message

    def on_mount(self) -> None:
        self._show()

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run."""
        done = self.status == "completed"
        lines = [] if done else [self._title_text().plain]
        lines += [f"{change_title(c, done=done).plain}\n{c.diff.rstrip()}".rstrip() for c in self.changes]
        if self.message and not done:
            lines.append(self.message)
        return "\n".join(lines)

    def finish(self, status: str, message: str = "") -> None:
        """Applied (``completed``), ``failed`` or ``declined``."""
        self.status = status
        self.message = message
        if self.is_mounted:
            self._show()

    def _show(self) -> None:
        self._title.update(self._title_text())
        done = self.status == "completed"
        for line, change in zip(self.query(".file").results(Static), self.changes, strict=False):
            line.update(change_title(change, done=done))
        show = bool(self.message) and self.status != "completed"
        self._message.display = show
        if show:
            self._message.update(strip_controls(self.message))

    def _title_text(self) -> Content:
        n = len(self.changes)
        files = f"{n} file{'s' if n != 1 else ''}"
        if self.status == "pending":
            return Content.assemble(("• ", "$accent"), f"Applying patch to {files}…")
        if self.status == "completed":
            return Content.assemble(("✓ ", "$success"), f"Changed {files}")
        verb = "declined" if self.status == "declined" else "failed"
        return Content.assemble(("✗ ", "$error"), f"Patch to {files_named(self.changes)} {verb}")
