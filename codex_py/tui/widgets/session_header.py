"""The first cell of a session: version, model, provider and auth, directory, session id, sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

if TYPE_CHECKING:
    from codex_py.agent.session import Session
    from codex_py.config import Config


@dataclass(frozen=True, slots=True)
class HeaderInfo:
    """What the header shows (a snapshot taken when the session starts)."""

    version: str
    model: str
    effort: str | None
    provider: str
    auth: str
    cwd: str
    session_id: str
    sandbox: str
    approvals: str

    def rows(self) -> list[tuple[str, str, str]]:
        """(label, value, hint) per line."""
        model = self.model + (f" ({self.effort})" if self.effort else "")
        provider = self.provider + (f" · {self.auth}" if self.auth else "")
        return [
            ("model", model, "/model to change"),
            ("provider", provider, ""),
            ("directory", self.cwd, ""),
            ("session", self.session_id, ""),
            ("sandbox", f"{self.sandbox} · approvals: {self.approvals}", "/approvals to change"),
        ]


def header_info(config: Config, session: Session | None) -> HeaderInfo:
    """The header for ``config`` and the live ``session`` (None before it exists)."""
    from codex_py import __version__
    from codex_py.tui.widgets.status_bar import short_path

    return HeaderInfo(
        version=__version__,
        model=config.model,
        effort=config.model_reasoning_effort,
        provider=config.provider.name or config.model_provider,
        auth=session.auth_mode if session else "",
        cwd=short_path(config.cwd),
        session_id=session.session_id if session else "-",
        sandbox=config.sandbox_mode,
        approvals=config.approval_policy,
    )


class SessionHeader(Static):
    """A small bordered box at the top of the transcript, like Codex's session header."""

    DEFAULT_CSS = """
    SessionHeader {
        width: auto;
        max-width: 100%;
        height: auto;
        border: round $primary 50%;
        border-title-color: $text;
        border-title-style: bold;
        padding: 0 1;
    }
    """

    def __init__(self, info: HeaderInfo) -> None:
        self.info = info
        width = max(len(label) for label, _, _ in info.rows()) + 2
        parts: list[str | tuple[str, str]] = []
        for i, (label, value, hint) in enumerate(info.rows()):
            if i:
                parts.append("\n")
            parts += [((label + ":").ljust(width), "dim"), value]
            if hint:
                parts.append((f"   {hint}", "dim italic"))
        super().__init__(Content.assemble(*parts), markup=False)
        self.border_title = f">_ codex-py (v{info.version})"

    def plain_text(self) -> str:
        """For the terminal scrollback after an inline run."""
        lines = [f">_ codex-py (v{self.info.version})"]
        lines += [f"  {label}: {value}" for label, value, _ in self.info.rows()]
        return "\n".join(lines)
