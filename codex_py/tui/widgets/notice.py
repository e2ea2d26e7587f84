"""One-line notices in the transcript: errors with a next step, warnings, info, usage."""

from __future__ import annotations

from typing import Literal

from textual.content import Content
from textual.widgets import Static

from codex_py.config.redaction import redact_known
from codex_py.protocol.terminal_text import strip_controls

NoticeKind = Literal["error", "warning", "info", "usage"]
_MARK = {"error": ("■ ", "$error"), "warning": ("⚠ ", "$warning"), "info": ("• ", "$accent"), "usage": ("", "")}


class Notice(Static):
    """A message from codex-py itself (not the model)."""

    DEFAULT_CSS = """
    Notice { margin: 1 0 0 0; padding: 0 1; }
    Notice.-usage { margin: 0; color: $text-muted; text-align: right; }
    Notice.-info { color: $text-muted; }
    """

    def __init__(self, message: str, kind: NoticeKind = "info", hint: str = "") -> None:
        message, hint = redact_known(message), redact_known(hint)  # never a credential this process uses
        super().__init__(_content(message, kind, hint), markup=False, classes=f"-{kind}")
        self.message = message
        self.kind = kind
        self.hint = hint

    def set_message(self, message: str) -> None:
        """Show a new message in place (e.g. the next ``Reconnecting... n/m``)."""
        message = redact_known(message)
        self.message = message
        self.update(_content(message, self.kind, self.hint))

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run."""
        return self.message + (f"\n  → {self.hint}" if self.hint else "")


def _content(message: str, kind: NoticeKind, hint: str) -> Content:
    mark, style = _MARK[kind]
    message, hint = strip_controls(message), strip_controls(hint)  # errors may echo model or server text
    if mark and "\n" in message:  # continuation lines start under the first one's text: columns line up
        message = message.replace("\n", "\n" + " " * len(mark))
    parts: list[str | tuple[str, str]] = [(mark, style), (message, "$text-error" if kind == "error" else "")]
    if hint:
        parts.append(("\n  → " + hint, "italic"))
    return Content.assemble(*parts)
