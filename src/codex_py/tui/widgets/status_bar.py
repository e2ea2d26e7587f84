"""The bottom line: provider · model · auth mode · cwd · tokens and context left · sandbox/approvals."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from textual.widgets import Static


def short_tokens(n: int) -> str:
    """``950``, ``12.3k``, ``1.2M``."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}M"


def short_path(path: Path) -> str:
    """The path with the home directory shown as ``~``."""
    home = os.path.expanduser("~")
    text = str(path)
    return "~" + text[len(home) :] if home != "/" and text.startswith(home) else text


@dataclass(slots=True)
class StatusInfo:
    """What the status bar shows."""

    provider: str = ""
    model: str = ""
    effort: str | None = None
    auth: str = ""
    cwd: str = ""
    tokens: int = 0
    context_window: int | None = None
    context_used: int = 0
    sandbox: str = ""
    approvals: str = ""

    def context_left(self) -> int | None:
        """Percent of the context window still free, if the window is known."""
        if not self.context_window:
            return None
        return max(0, min(100, round(100 * (1 - self.context_used / self.context_window))))

    def render_line(self) -> str:
        """The status line text."""
        model = f"{self.model} ({self.effort})" if self.effort else self.model
        parts = [p for p in (self.provider, model, self.auth, self.cwd) if p]
        tokens = f"{short_tokens(self.tokens)} tokens"
        left = self.context_left()
        if left is not None:
            tokens += f" · {left}% context left"
        parts.append(tokens)
        parts.append(f"{self.sandbox}/{self.approvals}")
        return " · ".join(parts)


class StatusBar(Static):
    """One line docked at the bottom of the chat screen."""

    DEFAULT_CSS = """
    StatusBar { dock: bottom; height: 1; padding: 0 1; color: $text-muted; background: $panel; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self.info = StatusInfo()

    def show(self, info: StatusInfo) -> None:
        """Replace what is shown."""
        self.info = info
        self.update(info.render_line())
