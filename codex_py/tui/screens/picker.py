"""A keyboard picker: a title, a list of choices, Enter picks, Esc cancels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class PickerScreen(ModalScreen[str | None]):
    """Dismisses with the chosen value, or None on Esc."""

    CSS_PATH = "picker.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        choices: Sequence[tuple[str, str, str]],
        *,
        current: str | None = None,
        hint: str = "enter to choose · esc to cancel",
    ) -> None:
        """``choices`` are (value, label, detail) triples."""
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.current = current
        self.hint = hint

    def compose(self) -> ComposeResult:
        options = [
            Option(
                Content.assemble(
                    ("● " if value == self.current else "  ", "$accent"), (label, "bold"), (f"  {detail}", "dim")
                ),
                id=value,
            )
            for value, label, detail in self.choices
        ]
        with Vertical(id="dialog"):
            yield Static(self.title_text, id="title", markup=False)
            yield Static(self.hint, id="hint", markup=False)
            yield OptionList(*options)

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        option_list.focus()
        values = [value for value, _, _ in self.choices]
        if self.current in values:
            option_list.highlighted = values.index(self.current)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)
