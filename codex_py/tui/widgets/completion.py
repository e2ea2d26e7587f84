"""The popup above the composer: slash commands or ``@`` files."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option


@dataclass(frozen=True, slots=True)
class Candidate:
    """One completion: ``insert`` replaces the token being typed."""

    insert: str
    label: str
    detail: str = ""


class CompletionList(OptionList, can_focus=False):
    """Never focused: the composer drives it with Up/Down/Tab/Enter/Esc."""

    DEFAULT_CSS = """
    CompletionList {
        display: none;
        height: auto;
        max-height: 10;
        border: none;
        padding: 0 1;
        background: $panel;
    }
    CompletionList.-open { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.candidates: list[Candidate] = []
        self.kind = ""
        """``"/"`` for commands, ``"@"`` for files."""

    @property
    def is_open(self) -> bool:
        """True while shown."""
        return self.has_class("-open")

    def show(self, kind: str, candidates: list[Candidate]) -> None:
        """Show ``candidates`` (closes the popup if there are none)."""
        if not candidates:
            self.close()
            return
        self.kind = kind
        self.candidates = candidates
        self.set_options(
            Option(Content.assemble((c.label, "bold"), (f"  {c.detail}" if c.detail else "", "dim")))
            for c in candidates
        )
        self.highlighted = 0
        self.add_class("-open")

    def close(self) -> None:
        """Hide the popup."""
        self.remove_class("-open")
        self.candidates = []
        self.kind = ""

    def move(self, step: int) -> None:
        """Move the highlight (wrapping)."""
        if self.candidates:
            self.highlighted = ((self.highlighted or 0) + step) % len(self.candidates)

    def selected(self) -> Candidate | None:
        """The highlighted candidate."""
        if not self.candidates:
            return None
        return self.candidates[self.highlighted or 0]
