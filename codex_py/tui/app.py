"""The Textual application: one chat screen, a session created in a worker, onboarding when needed."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from codex_py.tui.screens.chat import ChatScreen

if TYPE_CHECKING:
    from rich.console import RenderableType

    from codex_py.agent.events import EventSink
    from codex_py.agent.session import Session
    from codex_py.config import Config, Paths
    from codex_py.session.resume import ResumeTarget

SessionFactory = Callable[..., Awaitable["Session"]]
"""``create_session(config, sink, *, interactive, resume)``."""

QUIT_WINDOW_S = 1.5
INLINE_FLUSH_S = 0.2
"""Inline, how often finished cells are moved from the app to the terminal's scrollback."""


class CodexApp(App[int]):
    """``CodexApp(config).run()``; ``app.session`` is the live session (None until it is ready)."""

    TITLE = "codex-py"
    CSS_PATH = "screens/chat.tcss"
    """Textual loads a screen's ``CSS_PATH`` when it is pushed, never for the default screen: the app loads it."""
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "ctrl_c", "Clear / quit", priority=True, show=False),
        Binding("ctrl+d", "ctrl_d", "Quit", show=False),
    ]

    def __init__(
        self,
        config: Config,
        *,
        prompt: str | None = None,
        resume: ResumeTarget | None = None,
        session_factory: SessionFactory | None = None,
        connect: bool = True,
        paths: Paths | None = None,
    ) -> None:
        """``connect=False`` starts without a session (for replaying recorded events)."""
        super().__init__()
        from codex_py.config import resolve_paths

        self.config = config
        self.paths = paths or resolve_paths()
        self.session: Session | None = None
        self.prompt = prompt
        self.resume = resume
        self.connect = connect
        self._factory = session_factory
        self._last_ctrl_c = 0.0
        self._early_input: list[events.Key | events.Paste] | None = []
        """Keys (and pastes) typed before the composer had the focus: given to it once it has (None after)."""
        self.input_at = 0.0
        """When a typed key left the input thread (0: none in flight), see ``tui/input_path.py``."""
        self._switch_interval = 0.0
        self.above = ""
        """Inline: finished cells rendered for the terminal, printed above the app with the next frame."""
        self.scrollback: list[RenderableType] = []
        """The conversation as it was on screen when the app exited (printed after an inline run)."""
        self.chat = ChatScreen(config.tui.transcript_line_budget)
        if config.tui.theme in self.available_themes:
            self.theme = config.tui.theme

    def get_default_screen(self) -> Screen[Any]:
        return self.chat

    def on_mount(self) -> None:
        from codex_py.tui.input_path import install

        self._switch_interval = sys.getswitchinterval()
        install(self)  # keys first: a typed key reaches the composer before more output renders
        if self.prompt:
            self.chat.queued.append(self.prompt)
        if self.connect:
            self.start_session(self.resume)
        # an app timer, not call_after_refresh: that callback belongs to the screen, and when the sign-in screen
        # covers the chat screen at once it may never run, leaving every key held
        self.set_timer(0.02, self._release_early_input)
        if self.is_inline:
            from codex_py.tui.inline import install_resize_handler

            install_resize_handler(self)  # a resize leaves no stale copies of the app in the scrollback
            if self.config.tui.inline_live_scrollback:  # finished cells go to the scrollback as they complete
                self.set_interval(INLINE_FLUSH_S, self._flush_inline)

    async def _flush_inline(self) -> None:
        from codex_py.tui.inline import flush_finished

        await flush_finished(self)

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        """Inline: the terminal cursor goes where the composer really is (``fit_cursor``), and finished cells
        waiting in ``above`` are printed above the app in the same write as the frame."""
        driver = self._driver
        if renderable is None or self._batch_count or driver is None or not driver.is_inline:
            super()._display(screen, renderable)
            return
        from codex_py.tui.inline import above_the_frame, fit_cursor

        fit_cursor(self, renderable)
        if self.above:
            text, self.above = self.above, ""
            with above_the_frame(self, text):
                super()._display(screen, renderable)
            return
        super()._display(screen, renderable)

    async def on_event(self, event: events.Event) -> None:
        """Hold keys that arrive before anything has the focus (typed while the app loaded). A key that a binding
        took (PageUp, Ctrl+T...) or that went to another widget than the composer no longer holds the output back
        (``tui/input_path.py``): only the composer's keys wait for their echo."""
        early = self._early_input
        if early is not None and isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            early.append(event)
            return
        await super().on_event(event)
        if isinstance(event, events.Key) and (not event.is_forwarded or self.focused is not self.chat.composer):
            from codex_py.tui.input_path import key_arrived

            key_arrived(self)

    def _release_early_input(self, tries: int = 0) -> None:
        """Replay the held keys, in order, to whatever has the focus now (the composer, or a sign-in field)."""
        if self.focused is None and tries < 40:
            self.set_timer(0.025, lambda: self._release_early_input(tries + 1))
            return
        early, self._early_input = self._early_input or [], None
        for event in early:
            if isinstance(event, events.Key):
                self.post_message(events.Key(event.key, event.character))
            else:
                self.post_message(events.Paste(event.text))

    # --- session -----------------------------------------------------------------------------
    @property
    def sink(self) -> EventSink:
        """Where the agent sends events (coalesced and posted to the chat screen)."""
        return self.chat.bridge

    async def _create(self, config: Config, resume: ResumeTarget | None) -> Session:
        factory = self._factory
        if factory is None:
            from codex_py.agent.factory import create_session

            factory = create_session
        return await factory(config, self.sink, interactive=True, resume=resume)

    @work(exclusive=True, group="session", exit_on_error=False)
    async def start_session(self, resume: ResumeTarget | None = None, *, replace: bool = True) -> None:
        """Create (or resume) the session; shows onboarding when credentials are missing."""
        from codex_py.config import ConfigError
        from codex_py.errors import CodexPyError, NoCredentialsError

        self.chat.status_bar.update("connecting…")
        if self._factory is None and not await asyncio.to_thread(_has_credentials, self.config):
            self.show_onboarding()
            return
        try:
            session = await self._create(self.config, resume)
        except NoCredentialsError as exc:
            self.show_onboarding(str(exc))
            return
        except (CodexPyError, ConfigError) as exc:
            self.chat.notice(str(exc), "error", exc.hint)
            self.chat.refresh_status()
            return
        old, self.session = self.session, session
        if old is not None and replace:  # frees its rollout for other processes (exec resume)
            await _close_session(old, "other" if resume is not None else "clear")
        self.config = session.config
        self.chat.session_ready()

    def show_onboarding(self, message: str = "") -> None:
        """Push the sign-in screen; a successful login starts the session."""
        from codex_py.tui.screens.onboarding import OnboardingScreen

        def done(family: str | None) -> None:
            if family is None:
                return
            self.switch_to_family(family)
            self.start_session(self.continue_target())

        cancellable = self.session is not None
        self.push_screen(OnboardingScreen(self.config, message=message, cancellable=cancellable), done)

    def continue_target(self) -> ResumeTarget | None:
        """What a new session should resume: the live conversation, else what the app was started with (a session
        with nothing said yet has no session file to resume: a fresh one replaces it)."""
        if self.session is None or not self.session.transcript:
            return self.resume
        from codex_py.session.resume import ResumeTarget

        return ResumeTarget(self.session.session_id)

    def switch_to_family(self, family: str) -> None:
        """After a login, use a provider of that family if the configured one is of another."""
        from dataclasses import replace

        if self.config.provider.auth == family:
            return
        for pid, info in self.config.model_providers.items():
            if info.auth == family:
                self.config = replace(self.config, model_provider=pid, model=info.default_model or self.config.model)
                return

    def apply_config(self, config: Config) -> None:
        """Use ``config`` from now on (model, effort, approvals, sandbox changes)."""
        self.config = config
        session = self.session
        if session is not None:
            session.config = config
            session.runner.config = config
            session.runner.reset_policy()
        self.chat.refresh_status()

    async def on_unmount(self) -> None:
        if self._switch_interval:
            sys.setswitchinterval(self._switch_interval)
        if self.session is not None:
            await _close_session(self.session, "prompt_input_exit")

    def exit(self, result: int | None = None, return_code: int = 0, message: RenderableType | None = None) -> None:
        """Quit, keeping the conversation for the scrollback (the widgets are gone once ``run`` returns)."""
        if not self.scrollback:
            self.scrollback = self.chat.transcript.scrollback()
        super().exit(result, return_code, message)

    # --- keys --------------------------------------------------------------------------------
    def action_ctrl_c(self) -> None:
        """Close a modal; else end a history search or clear the composer; else interrupt; a second press quits."""
        if len(self.screen_stack) > 1 and self.screen is not self.chat:
            screen = self.screen
            if hasattr(screen, "action_cancel"):
                screen.action_cancel()
                return
        chat = self.chat
        if self.screen is chat and chat.composer.searching:
            chat.composer.cancel_search()
            return
        if self.screen is chat and chat.composer.text:
            chat.composer.clear()
            return
        now = time.monotonic()
        if now - self._last_ctrl_c < QUIT_WINDOW_S:
            self.exit(0)
            return
        self._last_ctrl_c = now
        if chat.busy:
            chat.action_interrupt()
        chat.status_bar.flash("ctrl+c again to quit", QUIT_WINDOW_S)
        if self.screen is not chat:  # the status bar is hidden under a full screen
            self.notify("ctrl+c again to quit", timeout=QUIT_WINDOW_S)

    def action_ctrl_d(self) -> None:
        """Ctrl+D on an empty composer quits."""
        if self.screen is self.chat and not self.chat.composer.text:
            self.exit(0)


async def _close_session(session: Session, reason: str) -> None:
    """Close the model client and the rollout (which unlocks the session); ``reason`` for SessionEnd hooks."""
    await session.aclose(reason)
    close = getattr(session.recorder, "close", None)
    if callable(close):
        close()


def _has_credentials(config: Config) -> bool:
    from codex_py.login.resolve import has_credentials

    return has_credentials(config, config.provider)
