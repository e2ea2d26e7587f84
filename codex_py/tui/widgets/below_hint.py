"""``↓ new output below`` while the user reads earlier output and the conversation grows."""

from __future__ import annotations

from textual.widgets import Static


class NewOutputHint(Static):
    """Hidden unless shown; one dim line above the composer."""

    DEFAULT_CSS = """
    NewOutputHint { height: 1; padding: 0 2; display: none; color: $accent; text-style: bold; }
    NewOutputHint.-active { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("↓ new output below · end or pgdn to follow", markup=False, id=id)

    @property
    def active(self) -> bool:
        """Whether the hint is on screen."""
        return self.has_class("-active")

    def show(self, active: bool) -> None:
        """Show or hide the hint."""
        self.set_class(active, "-active")
