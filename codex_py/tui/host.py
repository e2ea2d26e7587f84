"""What the chat screen and the slash commands need from the app, as a protocol: the screen never imports
the app module (which builds the screen), so the import arrows stay one-way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.app import App

    from codex_py.agent.session import Session
    from codex_py.config import Config, Paths
    from codex_py.session.resume import ResumeTarget


class AppHost(Protocol):
    """The parts of ``tui.app.CodexApp`` that screens and commands use (besides Textual's ``App``)."""

    config: Config
    session: Session | None
    paths: Paths
    resume: ResumeTarget | None

    def apply_config(self, config: Config) -> None: ...

    def start_session(self, resume: ResumeTarget | None = None, *, replace: bool = True) -> object: ...

    def continue_target(self) -> ResumeTarget | None: ...

    def show_onboarding(self, message: str = "") -> None: ...


def host_of(app: App[int]) -> AppHost:
    """The running app as an ``AppHost`` (it is always ``CodexApp``, which implements the protocol)."""
    return app  # type: ignore[return-value]
