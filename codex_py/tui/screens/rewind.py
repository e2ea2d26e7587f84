"""``/rewind`` (and Esc Esc on an empty composer): pick one of your earlier messages, then what to restore.

Two steps in one dialog: the messages (oldest first, the newest highlighted), then code and
conversation / conversation / code / never mind. Esc on the second step goes back to the first.
Dismisses with ``(message index, mode)`` or None.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from textual import on
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from codex_py.tui.screens.picker import PickerScreen

Mode = Literal["both", "conversation", "code"]
MODES: tuple[tuple[str, str, str], ...] = (
    ("both", "Restore code and conversation", "files and chat go back to just before this message"),
    ("conversation", "Restore conversation", "later messages are dropped; the files stay as they are"),
    ("code", "Restore code", "the files go back; the conversation stays"),
    ("cancel", "Never mind", ""),
)
MESSAGES_HINT = "enter to choose · esc to cancel"
MODES_HINT = "enter to restore · esc to choose another message"


def one_line(text: str, width: int = 72) -> str:
    """The message on one line, cut to ``width`` characters."""
    flat = " ".join(text.split()) or "(empty)"
    return flat if len(flat) <= width else flat[: width - 1] + "…"


class RewindScreen(PickerScreen):
    """The message list, then the restore modes (styled like every picker)."""

    def __init__(self, messages: Sequence[str]) -> None:
        """``messages``: the text of each earlier message, oldest first."""
        choices = [(str(i), one_line(text), f"#{i + 1}") for i, text in enumerate(messages)]
        super().__init__(
            "Rewind to just before which message?",
            choices,
            current=choices[-1][0] if choices else None,
            hint=MESSAGES_HINT,
        )
        self.messages = list(messages)
        self.picked: int | None = None

    def _fill(self, title: str, hint: str, options: list[Option], highlight: int) -> None:
        self.query_one("#title", Static).update(title)
        self.query_one("#hint", Static).update(hint)
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        option_list.add_options(options)
        option_list.highlighted = highlight
        option_list.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        event.prevent_default()  # not PickerScreen's handler, which would dismiss with the raw value
        value = event.option.id or ""
        if self.picked is None:
            self.picked = int(value)
            options = [
                Option(Content.assemble((label, "bold"), (f"  {detail}" if detail else "", "dim")), id=mode)
                for mode, label, detail in MODES
            ]
            title = f"Rewind to before #{self.picked + 1}: {one_line(self.messages[self.picked], 60)}"
            self._fill(title, MODES_HINT, options, 0)
        elif value == "cancel":
            self.dismiss(None)
        else:
            self.dismiss(f"{self.picked}:{value}")

    def action_cancel(self) -> None:
        """Esc: back to the messages from the second step; else close."""
        if self.picked is None:
            self.dismiss(None)
            return
        picked, self.picked = self.picked, None
        options = [
            Option(Content.assemble(("  ", ""), (label, "bold"), (f"  {detail}", "dim")), id=value)
            for value, label, detail in self.choices
        ]
        self._fill(self.title_text, MESSAGES_HINT, options, picked)


def parse_choice(value: str | None) -> tuple[int, Mode] | None:
    """``"3:both"`` (what the screen dismisses with) -> ``(3, "both")``."""
    if not value:
        return None
    index, _, mode = value.partition(":")
    if not index.isdigit() or mode not in ("both", "conversation", "code"):
        return None
    return int(index), mode  # type: ignore[return-value]
