"""The line above the composer while a turn runs: spinner, elapsed time, how to interrupt."""

from __future__ import annotations

import time

from textual.content import Content
from textual.widgets import Static

from codex_py.tui.widgets.command_cell import SPINNER


class WorkingIndicator(Static):
    """Hidden when idle; ``⠋ Working 3s · esc to interrupt`` while a turn runs."""

    DEFAULT_CSS = """
    WorkingIndicator { height: 1; padding: 0 1; display: none; color: $text-muted; }
    WorkingIndicator.-active { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self.label = "Working"
        self._started = 0.0
        self._frame = 0

    def on_mount(self) -> None:
        self._ticker = self.set_interval(0.1, self._tick, pause=True)

    def start(self, label: str = "Working") -> None:
        """Show the indicator from now on."""
        self.label = label
        self._started = time.monotonic()
        self.add_class("-active")
        self._ticker.resume()
        self._tick()

    def stop(self) -> None:
        """Hide it."""
        self.remove_class("-active")
        self._ticker.pause()

    def _tick(self) -> None:
        self._frame += 1
        secs = int(time.monotonic() - self._started)
        elapsed = f"{secs}s" if secs < 60 else f"{secs // 60}m {secs % 60:02d}s"
        self.update(
            Content.assemble(
                (SPINNER[self._frame % len(SPINNER)] + " ", "$accent"),
                (self.label, "bold"),
                f" ({elapsed} · esc to interrupt)",
            )
        )
