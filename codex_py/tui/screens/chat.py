"""The main screen: transcript, working indicator, completion popup, composer, status bar."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import UPDATE_PERIOD, Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from codex_py.agent.events import AgentEvent, ApprovalRequest, ApprovalResult, Decision, McpServerUpdate, TokenUsage
from codex_py.protocol.events import Usage
from codex_py.protocol.items import ImagePart
from codex_py.protocol.items import UserMessage as ProtocolUserMessage
from codex_py.tui.bridge import AgentEvents, EventBridge
from codex_py.tui.files import list_files
from codex_py.tui.frames import SUPPORTED as FRAMES_SUPPORTED
from codex_py.tui.frames import FrameTimer, start_frame_timer
from codex_py.tui.history import HistoryCursor, append_history, load_history
from codex_py.tui.host import AppHost, host_of
from codex_py.tui.input_path import key_in_flight
from codex_py.tui.renderer import RendererHooks, TranscriptRenderer
from codex_py.tui.widgets.attachments import AttachmentBar
from codex_py.tui.widgets.below_hint import NewOutputHint
from codex_py.tui.widgets.completion import Candidate, CompletionList
from codex_py.tui.widgets.composer import Composer
from codex_py.tui.widgets.notice import Notice, NoticeKind
from codex_py.tui.widgets.status_bar import StatusBar, StatusInfo, mcp_text, short_path
from codex_py.tui.widgets.transcript import Transcript
from codex_py.tui.widgets.user_message import UserMessage
from codex_py.tui.widgets.working import WorkingIndicator

if TYPE_CHECKING:
    from codex_py.mcp.manager import Elicitation

INLINE_SHARE = 0.8
"""Inline (``--no-alt-screen``), the app takes at most this share of the terminal's height."""


RENDER_BUDGET_S = 0.004
"""Longest stretch of rendering agent events before keys and frames get a turn."""
ESC_ESC_WINDOW_S = 1.0
"""A second Esc within this many seconds (idle, empty composer) opens /rewind."""


class RenderMore(Message, bubble=False):
    """Go on rendering the backlog of agent events (for this screen only: not the app's business)."""


class BottomPane(Vertical):
    """The working line, completion popup, composer and status bar, docked at the bottom."""

    def on_resize(self, event: events.Resize) -> None:
        screen = self.screen
        if isinstance(screen, ChatScreen):
            screen.fit_inline()


class ChatScreen(Screen[None]):
    """Owns the transcript and the turn worker; the app owns the session."""

    CSS_PATH = "chat.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "interrupt", "Interrupt the turn", show=False),
        # the composer always has the focus: these scroll the transcript from there (priority beats the
        # TextArea's own page/selection keys; home/end only with an empty composer, see check_action)
        Binding("pageup,shift+pageup", "scroll_transcript('page_up')", show=False, priority=True),
        Binding("pagedown,shift+pagedown", "scroll_transcript('page_down')", show=False, priority=True),
        Binding("shift+up", "scroll_transcript('up')", show=False, priority=True),
        Binding("shift+down", "scroll_transcript('down')", show=False, priority=True),
        Binding("home", "scroll_transcript('home')", show=False, priority=True),
        Binding("end", "scroll_transcript('end')", show=False, priority=True),
        Binding("ctrl+t", "pager", "Transcript", show=False, priority=True),
    ]

    def __init__(self, line_budget: int = 4000) -> None:
        super().__init__()
        self.transcript = Transcript(line_budget, id="transcript")
        self.working = WorkingIndicator(id="working")
        self.below_hint = NewOutputHint(id="below-hint")
        self.popup = CompletionList(id="completion")
        self.status_bar = StatusBar(id="status")
        self.history = HistoryCursor([])
        self.composer = Composer(
            self.popup,
            history=self.history,
            commands=self._command_candidates,
            files=self._file_candidates,
            skills=self._skill_candidates,
            id="composer",
        )
        self.bridge = EventBridge(self.post_message)
        self.renderer = TranscriptRenderer(
            self.transcript,
            RendererHooks(
                ask_approval=self.ask_approval,
                turn_started=self._turn_started,
                turn_ended=self._turn_ended,
                usage=self._usage,
                mcp_update=self._mcp_update,
                turn_completed=self._notify_turn_complete,
            ),
        )
        self.queued: list[str] = []
        self.attachments: list[ImagePart] = []
        """Images that go with the next message sent (``-i``, a pasted path, Ctrl+V), shown as chips."""
        self.attachment_bar = AttachmentBar(id="attachments")
        self.turn_worker: Worker[None] | None = None
        self._files: list[str] | None = None
        self._usage_event: TokenUsage | None = None
        self._backlog: deque[AgentEvent] = deque()
        """Agent events received but not rendered yet (a burst is rendered in slices)."""
        self._render_more_posted = False
        self.frame_timer: FrameTimer | None = None
        self._yielded_to = 0
        """The key (``FrameTimer.hurries``) whose echo rendering last gave way to."""
        self._last_escape = 0.0
        """When Esc was last pressed idle on an empty composer (a second one soon after opens /rewind)."""

    @property
    def _update_timer(self) -> Timer:
        """Textual's frame timer, replaced by one that draws a key's echo sooner (see tui/frames.py)."""
        if not FRAMES_SUPPORTED:
            return super()._update_timer
        if self.frame_timer is None:
            self.frame_timer = start_frame_timer(self, UPDATE_PERIOD, hold=lambda: key_in_flight(self.app))
        return self.frame_timer

    @property
    def codex(self) -> AppHost:
        """The app's session, config and paths (Textual's own app API stays ``self.app``)."""
        return host_of(self.app)

    def compose(self) -> ComposeResult:
        yield self.transcript
        with BottomPane(id="bottom"):
            yield self.below_hint
            yield self.working
            yield self.popup
            yield self.attachment_bar
            yield self.composer
            yield self.status_bar

    def on_resize(self, event: events.Resize) -> None:
        self.fit_inline()

    def fit_inline(self) -> None:
        """Inline, the transcript grows with its content up to what the docked bottom pane leaves free."""
        if self.app.is_inline:
            bottom = self.query_one(BottomPane).outer_size.height
            self.transcript.styles.max_height = max(3, int(self.app.size.height * INLINE_SHARE) - bottom)

    def on_mount(self) -> None:
        self.attachment_bar.show(self.attachments)
        self.composer.focus()
        self._load_history()
        self.refresh_status()
        self.watch(self.transcript, "scroll_y", self._scrolled, init=False)

    # --- reading: scrolling from the composer, focus always back to it ---------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Home/End scroll only when the composer is empty (else they move its cursor)."""
        if action == "scroll_transcript" and parameters and parameters[0] in ("home", "end"):
            return not self.composer.text and self.focused is self.composer
        return True

    def action_scroll_transcript(self, how: str) -> None:
        """Scroll the conversation: a page, a line, or to either end."""
        transcript = self.transcript
        if how == "page_up":
            transcript.scroll_page_up(animate=False)
        elif how == "page_down":
            transcript.scroll_page_down(animate=False)
        elif how == "up":
            transcript.scroll_relative(y=-1, animate=False)
        elif how == "down":
            transcript.scroll_relative(y=1, animate=False)
        elif how == "home":
            transcript.scroll_home(animate=False)
        else:
            transcript.scroll_end(animate=False)
        self.call_after_refresh(self._sync_hint)  # an anchored scroll to the end sets scroll_y unwatched

    def action_pager(self) -> None:
        """Ctrl+T: the whole conversation in a full-screen pager with search."""
        from codex_py.tui.screens.pager import PagerScreen

        self.app.push_screen(PagerScreen(self.transcript.full_text()))

    def _at_end(self) -> bool:
        transcript = self.transcript
        return transcript.scroll_y >= transcript.max_scroll_y - 1

    def _scrolled(self, _y: float) -> None:
        self._sync_hint()

    def _sync_hint(self, output: bool = False) -> None:
        """Hide the new-output hint at the bottom; show it when output arrived while the user reads further up."""
        if self._at_end():
            if self.below_hint.active:
                self.below_hint.show(False)
        elif output and self.transcript.max_scroll_y > 0:
            self.below_hint.show(True)

    def on_key(self, event: events.Key) -> None:
        """A key that reached the screen while a cell has the focus: typing goes to the composer."""
        if self.focused is self.composer or not event.is_printable or event.character is None:
            return
        if self.focused is not None and self.transcript not in self.focused.ancestors:
            return
        event.stop()
        event.prevent_default()
        self.composer.focus()
        self.composer.insert(event.character)

    @work(thread=True, exit_on_error=False)
    def _load_history(self) -> None:
        entries = load_history(self.codex.paths.history_file)
        self.app.call_from_thread(self._set_history, entries)

    def _set_history(self, entries: list[str]) -> None:
        self.history.entries[:0] = entries

    # --- completion sources ------------------------------------------------------------------
    def _command_candidates(self) -> list[Candidate]:
        from codex_py.tui.commands import COMMANDS
        from codex_py.tui.extensions import extension_candidates

        builtin = [Candidate("/" + c.name, "/" + c.name, c.description) for c in COMMANDS]
        return builtin + extension_candidates(self, {c.name for c in COMMANDS}) + self._mcp_prompt_candidates()

    def _mcp_prompt_candidates(self) -> list[Candidate]:
        """``/mcp__server__prompt`` for each prompt of the MCP servers ready now (expanded by the session)."""
        mcp = self.codex.session.mcp if self.codex.session is not None else None
        if mcp is None:
            return []
        return [Candidate("/" + p.command, "/" + p.command, p.description or "MCP prompt") for p in mcp.prompts()]

    def _skill_candidates(self) -> list[Candidate]:
        """``$name`` for each skill the session found, with its description."""
        skills = self.codex.session.skills if self.codex.session is not None else None
        if skills is None:
            return []
        return [Candidate("$" + s.name, "$" + s.name, s.description) for s in skills.skills]

    def _file_candidates(self) -> list[str]:
        if self._files is None:
            self._files = []
            self._scan_files()
        mcp = self.codex.session.mcp if self.codex.session is not None else None
        if mcp is not None:  # @server:uri attaches an MCP resource
            return self._files + [f"{r.server}:{r.uri}" for r in mcp.resources()]
        return self._files

    def _mcp_update(self, update: McpServerUpdate) -> None:
        self.refresh_status()
        mcp = self.codex.session.mcp if self.codex.session is not None else None
        if mcp is not None and mcp.on_elicit is None:
            mcp.on_elicit = self.ask_elicitation

    async def ask_elicitation(self, request: Elicitation) -> tuple[str, dict[str, Any] | None]:
        """A server's elicitation as a form (tui/screens/elicitation.py); Esc answers cancel."""
        from codex_py.tui.screens.elicitation import ElicitationScreen

        answer: asyncio.Future[tuple[str, dict[str, Any] | None]] = asyncio.get_running_loop().create_future()

        def done(result: tuple[str, dict[str, Any] | None] | None) -> None:
            if not answer.done():
                answer.set_result(result or ("cancel", None))

        self.app.push_screen(ElicitationScreen(request.server, request.message, request.schema, request.url), done)
        return await answer

    @work(thread=True, exit_on_error=False)
    def _scan_files(self) -> None:
        files = list_files(self.codex.config.cwd)
        self.app.call_from_thread(self._set_files, files)

    def _set_files(self, files: list[str]) -> None:
        self._files = files
        if self.popup.kind == "@" or "@" in self.composer.text:
            self.composer.update_completion()

    # --- agent events ------------------------------------------------------------------------
    async def on_agent_events(self, message: AgentEvents) -> None:
        """Render agent events in order, for at most ``RENDER_BUDGET_S`` at a time: what is left waits in
        the backlog behind a ``RenderMore`` message, so keys and frames get through during a burst."""
        self._backlog.extend(message.events)
        if key_in_flight(self.app):  # a typed key goes first (tui/input_path.py)
            self._post_render_more()
            return
        await self._render_backlog()

    @on(RenderMore)
    async def _render_more(self, message: RenderMore) -> None:
        self._render_more_posted = False
        if key_in_flight(self.app):  # a typed key is on its way to the composer: it goes first
            self._post_render_more()
            return
        timer = self.frame_timer
        if timer is not None and timer.hurried and self._yielded_to != timer.hurries:
            # a key's echo waits for a frame: let this screen go idle first (which starts that frame), then
            # render the next slice; once per key, so output never waits on a key that changed nothing
            self._yielded_to = timer.hurries
            self._post_render_more()
            return
        await self._render_backlog()

    def _post_render_more(self) -> None:
        if not self._render_more_posted:
            # posted from the next loop turn: a message already in the queue would be taken at once, without
            # the loop running keys, timers and frames in between
            self._render_more_posted = True
            asyncio.get_running_loop().call_soon(self.post_message, RenderMore())

    async def _render_backlog(self) -> None:
        backlog = self._backlog
        handle = self.renderer.handle
        started = time.perf_counter()
        while backlog:
            await handle(backlog.popleft())
            if backlog and time.perf_counter() - started > RENDER_BUDGET_S:
                self._post_render_more()
                break
        self.call_after_refresh(self._sync_hint, True)

    def ask_approval(self, request: ApprovalRequest) -> None:
        """Show the approval modal; its answer resolves the request's future."""
        from codex_py.tui.screens.approval import ApprovalScreen

        future = request.future
        if future is None or future.done():
            return
        modal = ApprovalScreen(request)

        def answer(result: ApprovalResult | None) -> None:
            if not future.done():
                future.set_result(result or ApprovalResult(Decision.ABORT))

        def closed_elsewhere(_f: object) -> None:
            if modal.is_current and not modal.answered:
                modal.dismiss(None)

        future.add_done_callback(closed_elsewhere)
        self.app.push_screen(modal, answer)
        from codex_py.extensions.notify import approval_text
        from codex_py.tui.notifications import desktop_notify

        what = " ".join(request.command or []) or ", ".join(c.path for c in request.changes or []) or request.kind
        desktop_notify(self.app, self.codex.config, "approval-requested", approval_text(what))

    def _notify_turn_complete(self, last_message: str | None) -> None:
        from codex_py.extensions.notify import turn_text
        from codex_py.tui.notifications import desktop_notify

        desktop_notify(self.app, self.codex.config, "agent-turn-complete", turn_text(last_message))

    def _turn_started(self) -> None:
        self.working.start()

    def _turn_ended(self) -> None:
        self.working.stop()
        self.refresh_status()
        self.call_after_refresh(self.after_turn)

    async def after_turn(self) -> None:
        """Prune old turns and send what was queued while the turn ran."""
        await self.transcript.prune()
        if self.queued and not self.busy:
            self.send(self.queued.pop(0))

    def _usage(self, event: TokenUsage) -> None:
        self._usage_event = event
        self.refresh_status()

    # --- user input --------------------------------------------------------------------------
    @on(Composer.Submitted)
    async def _submitted(self, event: Composer.Submitted) -> None:
        text = event.text
        session = self.codex.session
        append_history(self.codex.paths.history_file, text, session.session_id if session else "")
        if text.startswith("/") and not text.startswith("//"):
            from codex_py.tui.commands import dispatch

            await dispatch(self, text)
            return
        self.send(text[1:] if text.startswith("//") else text)

    @property
    def busy(self) -> bool:
        """True while a turn (or a /compact) runs."""
        return self.turn_worker is not None and not self.turn_worker.is_finished

    def send(self, text: str) -> None:
        """Show ``text`` and run a turn with it (queued while another turn runs or the session starts).

        ``!command`` runs the command instead (see ``tui.shell_mode``)."""
        if self.busy or self.codex.session is None:
            self.queued.append(text)
            if self.codex.session is not None:
                what = "run" if text.startswith("!") else "be sent"
                self.notice(f"Queued: it will {what} when the current turn ends.", "info")
            return
        if text.startswith("!"):
            self.run_shell(text[1:].strip())
            return
        message: str | ProtocolUserMessage = text
        shown = text
        if self.attachments:  # the images go first, as Codex sends them
            from codex_py.protocol.items import TextPart

            images, self.attachments = self.attachments, []
            self.attachment_bar.show([])
            message = ProtocolUserMessage((*images, TextPart(text)))
            names = " ".join(f"[Image #{i}: {Path(p.path).name or 'clipboard'}]" for i, p in enumerate(images, 1))
            shown = f"{names}\n{text}"
        self.transcript.add(UserMessage(shown))
        self.transcript.scroll_end(animate=False)
        self.run_session_task(message)

    def run_shell(self, command: str) -> None:
        """``!command``: run it under the sandbox, show it, keep its output for the model's next turn."""
        if not command:
            self.notice("no command after !", "error", "type a shell command after it, e.g. !git status")
            return
        from codex_py.tui.shell_mode import run_user_command

        run_user_command(self, command)

    @on(Composer.ImagePath)
    def _attach_path(self, event: Composer.ImagePath) -> None:
        self.attach_image(event.path)

    def attach_image(self, path: str) -> None:
        """Attach the image at ``path`` to the next message (a chip), or say why it cannot be."""
        from codex_py.providers.images import ImageError, load_image

        if any(p.path == str(Path(path).resolve()) for p in self.attachments):
            return
        try:
            self.attachments.append(load_image(path, self.codex.config.cwd))
        except ImageError as exc:
            self.notice(str(exc), "error", "attach a PNG, JPEG, GIF or WebP file")
            return
        self.attachment_bar.show(self.attachments)

    @on(Composer.ClipboardImage)
    def _attach_clipboard(self) -> None:
        from codex_py.tui.widgets.attachments import clipboard_image

        path, problem, hint = clipboard_image()
        if path is None:
            self.notice(f"Ctrl+V: {problem}", "warning", hint)
            return
        self.attach_image(str(path))

    @on(Composer.RemoveAttachment)
    def _remove_attachment(self) -> None:
        if self.attachments:
            self.attachments.pop()
            self.attachment_bar.show(self.attachments)

    def run_session_task(self, text: str | ProtocolUserMessage | None) -> None:
        """Run a turn with ``text`` (or ``/compact`` when None) in the turn worker."""
        session = self.codex.session
        assert session is not None

        async def task() -> None:
            if text is None:
                self.working.start("Compacting")
                try:
                    await session.compact()
                except Exception as exc:  # a provider error: say what failed, keep the conversation
                    logging.getLogger(__name__).warning("compaction failed", exc_info=exc)
                    hint = getattr(exc, "hint", "") or "try /compact again in a moment, or start over with /new"
                    self.notice(f"/compact failed: {exc}", "error", hint)
                finally:
                    self.working.stop()
            else:
                await session.run_turn(text)

        self.turn_worker = self.run_worker(task(), group="turn", exclusive=True, exit_on_error=False)

    def session_ready(self) -> None:
        """The app has a session: draw a resumed conversation, send what was queued meanwhile."""
        session = self.codex.session
        self._usage_event = None  # the last turn's usage belonged to the previous session
        if session is not None:
            self.show_header()
            self.call_later(self.transcript.show_history, session.session_id, list(session.transcript))
            if session.untrusted_hooks:
                from codex_py.tui.extensions import ask_hook_trust

                ask_hook_trust(self)
        self.refresh_status()
        if self.queued and not self.busy:
            self.send(self.queued.pop(0))

    def show_header(self) -> None:
        """Put the session header (version, model, provider, auth, directory, id, sandbox) at the top."""
        from codex_py.tui.widgets.session_header import SessionHeader, header_info

        app = self.codex
        self.call_later(self.transcript.set_header, SessionHeader(header_info(app.config, app.session)))

    def action_interrupt(self) -> None:
        """Esc: stop the turn at once (the stream and any running command); focus goes back to the composer.
        Idle with an empty composer, Esc twice opens ``/rewind``."""
        if self.focused is not self.composer:
            self.composer.focus()
        if self.busy and self.turn_worker is not None:
            self.turn_worker.cancel()
            self.queued.clear()
        elif not self.composer.text and self.codex.session is not None:
            now = time.monotonic()
            if now - self._last_escape < ESC_ESC_WINDOW_S:
                self._last_escape = 0.0
                from codex_py.tui.commands import open_rewind

                open_rewind(self)
                return
            self._last_escape = now
            self.status_bar.flash("esc again to rewind to an earlier message", ESC_ESC_WINDOW_S)

    def notice(self, message: str, kind: NoticeKind = "info", hint: str = "") -> None:
        """Add a notice to the transcript."""
        self.transcript.add(Notice(message, kind, hint))

    def refresh_status(self) -> None:
        """Redraw the status bar from the config, session and last usage."""
        from codex_py.tui.spend import session_spend_text, spend_text

        app = self.codex
        config = app.config
        session = app.session
        usage = self._usage_event
        self.status_bar.show(
            StatusInfo(
                provider=config.model_provider,
                model=config.model,
                effort=config.model_reasoning_effort,
                auth=session.auth_mode if session else "connecting…",
                cwd=short_path(config.cwd),
                tokens=_total(usage.session) if usage else (_total(session.usage) if session else 0),
                spend=spend_text(usage) if usage else session_spend_text(session),
                context_window=usage.context_window if usage else (session.context_window if session else None),
                context_used=usage.context_used if usage else (session.context_tokens() if session else 0),
                sandbox=config.sandbox_mode,
                approvals=config.approval_policy,
                mcp=mcp_text(session.mcp.counts() if session is not None and session.mcp is not None else None),
            )
        )

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Report a turn worker that died of an unexpected error (the session reports the rest)."""
        worker = event.worker
        if worker is self.turn_worker and event.state is WorkerState.ERROR:
            from codex_py.session.logs import LOG_FILE

            logging.getLogger(__name__).error("the turn failed unexpectedly", exc_info=worker.error)
            self.working.stop()
            log = self.codex.paths.log_dir / LOG_FILE
            self.notice(f"internal error: {worker.error!r}", "error", f"details in {log}; the session was kept")
            if self.renderer.running:
                self.renderer.running = False


def _total(usage: Usage) -> int:
    return usage.input_tokens + usage.output_tokens
