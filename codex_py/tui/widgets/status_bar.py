"""The bottom line: provider · model · auth mode · cwd · tokens and context left · sandbox/approvals."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from textual.timer import Timer
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
    spend: str = ""
    """Estimated cost (``$0.0421``) or subscription usage (``5h 42% · weekly 10%``)."""
    context_window: int | None = None
    context_used: int = 0
    sandbox: str = ""
    approvals: str = ""
    mcp: str = ""
    """``MCP 2/3 ready`` when MCP servers are configured (left out only at the narrowest widths)."""

    def context_left(self) -> int | None:
        """Percent of the context window still free, if the window is known."""
        if not self.context_window:
            return None
        return max(0, min(100, round(100 * (1 - self.context_used / self.context_window))))

    def render_line(self, width: int = 0) -> str:
        """The status line text, shortened step by step (cwd, provider, auth, token count) to fit ``width``."""
        from rich.cells import cell_len

        model = f"{self.model} ({self.effort})" if self.effort else self.model
        left = self.context_left()
        tokens = f"{short_tokens(self.tokens)} tokens" + (f" · {self.spend}" if self.spend else "")
        tokens_long = tokens + (f" · {left}% context left" if left is not None else "")
        tokens_short = f"{left}% context left" if left is not None else tokens
        policy = f"{self.sandbox}/{self.approvals}"
        folder = self.cwd.rstrip("/").rsplit("/", 1)[-1] or self.cwd
        variants = (
            (self.provider, model, self.auth, self.cwd, tokens_long, policy, self.mcp),
            (self.provider, model, self.auth, folder, tokens_long, policy, self.mcp),
            (self.provider, model, folder, tokens_long, policy, self.mcp),
            (model, folder, tokens_short, policy, self.mcp),
            (model, tokens_short, policy, self.mcp),
            (model, tokens_short, policy),
            (model, f"{left}% left" if left is not None else "", policy),
        )
        line = ""
        for parts in variants:
            line = " · ".join(p for p in parts if p)
            if not width or cell_len(line) <= width:
                break
        return line


def mcp_text(counts: tuple[int, int] | None) -> str:
    """``MCP 2/3 ready`` from (ready, enabled) servers; empty without MCP servers."""
    if not counts or not counts[1]:
        return ""
    return f"MCP {counts[0]}/{counts[1]} ready"


class StatusBar(Static):
    """One line docked at the bottom of the chat screen; ``flash`` shows a short-lived hint instead."""

    DEFAULT_CSS = """
    StatusBar { height: 1; padding: 0 1; color: $text-muted; background: $panel; }
    StatusBar.-flash { color: $text; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self.info = StatusInfo()
        self._flash: Timer | None = None

    def show(self, info: StatusInfo) -> None:
        """Replace what is shown."""
        self.info = info
        if self._flash is None:
            self.update(info.render_line(self.content_region.width))

    def flash(self, text: str, seconds: float) -> None:
        """Show ``text`` for ``seconds``, then the status again."""
        if self._flash is not None:
            self._flash.stop()
        self._flash = self.set_timer(seconds, self._end_flash)
        self.add_class("-flash")
        self.update(text)

    def _end_flash(self) -> None:
        self._flash = None
        self.remove_class("-flash")
        self.show(self.info)

    def on_resize(self) -> None:
        """Fit the line to the new width."""
        self.show(self.info)
