"""Turns agent events into transcript cells (one renderer per chat screen)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from textual.widget import Widget

from codex_py.agent import events as ev
from codex_py.protocol.events import Usage
from codex_py.providers._errors import hint_for
from codex_py.tui.widgets.assistant_message import AssistantMessage
from codex_py.tui.widgets.command_cell import CommandCell
from codex_py.tui.widgets.mcp_cell import McpCallCell
from codex_py.tui.widgets.notice import Notice
from codex_py.tui.widgets.patch_cell import PatchCell
from codex_py.tui.widgets.plan_cell import PlanCell
from codex_py.tui.widgets.status_bar import short_tokens
from codex_py.tui.widgets.thinking import ThinkingBlock
from codex_py.tui.widgets.transcript import Transcript


def usage_line(usage: Usage) -> str:
    """``Tokens: 1.2k in (800 cached) · 300 out (120 reasoning)``."""
    text = f"Tokens: {short_tokens(usage.input_tokens)} in"
    if usage.cached_input_tokens:
        text += f" ({short_tokens(usage.cached_input_tokens)} cached)"
    text += f" · {short_tokens(usage.output_tokens)} out"
    if usage.reasoning_output_tokens:
        text += f" ({short_tokens(usage.reasoning_output_tokens)} reasoning)"
    return text


RETRY_HINT = "send the message again, or change the model (/model) or provider (/provider)"
_RESPONSE_EVENTS = frozenset({ev.AgentMessage, ev.AgentReasoning, ev.StreamReset})
"""Events inside one model response (besides the deltas): a retried stream takes back what they showed."""


def tui_hint(hint: str) -> str:
    """The next step after a failed turn, worded for the app (/model, /new, /login instead of flags)."""
    return hint_for(hint, "tui") if hint else RETRY_HINT


@dataclass
class RendererHooks:
    """What the renderer asks of its screen."""

    ask_approval: Callable[[ev.ApprovalRequest], None]
    turn_started: Callable[[], None] = lambda: None
    turn_ended: Callable[[], None] = lambda: None
    usage: Callable[[ev.TokenUsage], None] = lambda _u: None
    mcp_update: Callable[[ev.McpServerUpdate], None] = lambda _u: None
    turn_completed: Callable[[str | None], None] = lambda _m: None
    """A turn completed (not failed or aborted) with this last answer: desktop notification."""


@dataclass
class TranscriptRenderer:
    """Keeps the cells of the turn in progress and routes each event to the right one."""

    transcript: Transcript
    hooks: RendererHooks
    answer: AssistantMessage | None = None
    thinking: ThinkingBlock | None = None
    unclaimed: list[ThinkingBlock] = field(default_factory=list)
    """Thinking blocks of this response streamed from deltas whose reasoning item has not arrived yet
    (Chat Completions sends the item after the answer): the item finishes one of them, never a new one."""
    commands: dict[str, CommandCell] = field(default_factory=dict)
    patches: dict[str, PatchCell] = field(default_factory=dict)
    mcp_calls: dict[str, McpCallCell] = field(default_factory=dict)
    plan: PlanCell | None = None
    """The turn's checklist, updated in place."""
    turn_usage: Usage | None = None
    last_answer: str | None = None
    running: bool = False
    shown: list[Widget] = field(default_factory=list)
    """Answer and thinking cells of the response in progress: a retried stream removes them."""
    reconnect: Notice | None = None
    """The response's ``Reconnecting... n/m`` notice, updated in place by each further retry."""

    async def handle(self, event: ev.AgentEvent) -> None:
        """Apply one event to the transcript."""
        kind = type(event)
        if kind is ev.AgentTextDelta:
            await self._text(event.text)  # type: ignore[union-attr]
        elif kind is ev.AgentReasoningDelta:
            assert isinstance(event, ev.AgentReasoningDelta)
            if self.thinking is None or self.thinking.finished_after is not None:
                self.thinking = ThinkingBlock()
                self.unclaimed.append(self.thinking)
                await self._add_shown(self.thinking)
            await self.thinking.write(event.text, event.section_break)
        else:
            if kind not in _RESPONSE_EVENTS and (self.shown or self.reconnect is not None):
                self.shown.clear()  # the response is over: what it showed stays
                self.unclaimed.clear()
                self.reconnect = None
            handler = _HANDLERS.get(kind)
            if handler is not None:
                await handler(self, event)

    async def _add(self, widget: Widget) -> None:
        await self.transcript.mount(widget)

    async def _add_shown(self, widget: Widget) -> None:
        self.shown.append(widget)
        await self._add(widget)

    async def _text(self, text: str) -> None:
        await self._end_thinking()
        if self.answer is None:
            self.answer = AssistantMessage()
            await self._add_shown(self.answer)
        await self.answer.write(text)

    async def _end_thinking(self, final: str | None = None) -> None:
        if self.thinking is not None:
            await self.thinking.finish(final)
            self.thinking = None

    async def _end_answer(self, final: str | None = None) -> None:
        if self.answer is not None:
            await self.answer.finish(final)
            self.answer = None

    async def _close_stream(self) -> None:
        await self._end_thinking()
        await self._end_answer()

    # --- handlers ------------------------------------------------------------------------
    async def _turn_started(self, event: ev.TurnStarted) -> None:
        self.turn_usage = None
        self.plan = None
        self.running = True
        self.hooks.turn_started()

    async def _message(self, event: ev.AgentMessage) -> None:
        await self._end_thinking()
        if self.answer is None and event.text:
            self.answer = AssistantMessage()
            await self._add_shown(self.answer)
        await self._end_answer(event.text)
        if event.text:
            self.last_answer = event.text
        if event.sources:  # the pages the answer cites, under it
            from codex_py.tui.widgets.web_search_cell import WebSearchCell

            await self._add_shown(WebSearchCell.sources(event.sources))

    async def _reasoning(self, event: ev.AgentReasoning) -> None:
        if self.thinking is None:
            if self.unclaimed:  # streamed earlier and already closed by the answer: the same block
                await self.unclaimed.pop(0).body.finish(event.text)
                return
            self.thinking = ThinkingBlock()
            await self._add_shown(self.thinking)
        elif self.thinking in self.unclaimed:
            self.unclaimed.remove(self.thinking)
        await self._end_thinking(event.text)

    async def _reset(self, event: ev.StreamReset) -> None:
        """The stream is retried from the start: take back what this response showed, finished
        cells included, and say so in one notice that counts the attempts."""
        for widget in self.shown:
            if widget.is_attached:
                await widget.remove()
        self.shown.clear()
        self.unclaimed.clear()
        self.answer = None
        self.thinking = None
        if self.reconnect is not None and self.reconnect.is_attached:
            self.reconnect.set_message(event.message)
        else:
            self.reconnect = Notice(event.message, "warning")
            await self._add(self.reconnect)

    async def _command_begin(self, event: ev.CommandBegin) -> None:
        await self._close_stream()
        cell = CommandCell(event.call_id, event.command, event.workdir, event.approval)
        self.commands[event.call_id] = cell
        await self._add(cell)

    async def _command_output(self, event: ev.CommandOutput) -> None:
        cell = self.commands.get(event.call_id)
        if cell is not None:
            cell.add_output(event.chunk)

    async def _command_end(self, event: ev.CommandEnd) -> None:
        cell = self.commands.pop(event.call_id, None)
        if cell is None:
            await self._close_stream()
            cell = CommandCell(event.call_id, event.command)
            await self._add(cell)
        cell.finish(event.exit_code, event.output, event.duration_s, event.status, event.reason, event.approval)

    async def _patch_begin(self, event: ev.PatchBegin) -> None:
        await self._close_stream()
        cell = PatchCell(event.call_id, event.changes)
        self.patches[event.call_id] = cell
        await self._add(cell)

    async def _patch_end(self, event: ev.PatchEnd) -> None:
        cell = self.patches.pop(event.call_id, None)
        if cell is None:
            await self._close_stream()
            cell = PatchCell(event.call_id, event.changes)
            await self._add(cell)
        cell.finish(event.status, event.message)

    async def _mcp_begin(self, event: ev.McpToolCallBegin) -> None:
        await self._close_stream()
        cell = McpCallCell(event.call_id, event.server, event.tool, event.arguments)
        self.mcp_calls[event.call_id] = cell
        await self._add(cell)

    async def _mcp_end(self, event: ev.McpToolCallEnd) -> None:
        cell = self.mcp_calls.pop(event.call_id, None)
        if cell is None:
            await self._close_stream()
            cell = McpCallCell(event.call_id, event.server, event.tool, event.arguments)
            await self._add(cell)
        cell.finish(event.result, event.error, event.status, event.duration_s)

    async def _web_search(self, event: ev.WebSearchEnd) -> None:
        from codex_py.tui.widgets.web_search_cell import WebSearchCell

        await self._close_stream()
        await self._add_shown(WebSearchCell(ev.search_label(event), event.urls, failed=bool(event.error)))

    async def _mcp_update(self, event: ev.McpServerUpdate) -> None:
        self.hooks.mcp_update(event)

    async def _plan(self, event: ev.PlanUpdated) -> None:
        await self._close_stream()
        if self.plan is not None and self.plan.is_attached:
            self.plan.show(event.explanation, event.plan)
            return
        self.plan = PlanCell(event.explanation, event.plan)
        await self._add(self.plan)

    async def _approval(self, event: ev.ApprovalRequest) -> None:
        await self._close_stream()
        self.hooks.ask_approval(event)

    async def _usage(self, event: ev.TokenUsage) -> None:
        self.turn_usage = event.turn
        self.hooks.usage(event)

    async def _warning(self, event: ev.Warning) -> None:
        await self._add(Notice(event.message, "warning"))

    async def _compacted(self, event: ev.Compacted) -> None:
        from codex_py.tui.widgets.history_cells import CompactionDivider

        self.transcript.history_rewritten()
        await self._add(CompactionDivider(event.summary))
        await self._add(
            Notice(f"Conversation compacted: {short_tokens(event.tokens_before)} → {short_tokens(event.tokens_after)}")
        )

    async def _end_turn(self) -> None:
        await self._close_stream()
        for cell in self.commands.values():
            cell.finish(None, "", 0.0, "failed")
        self.commands.clear()
        for mcp_cell in self.mcp_calls.values():
            mcp_cell.finish(None, "interrupted", "failed", 0.0)
        self.mcp_calls.clear()
        if self.turn_usage is not None:
            await self._add(Notice(usage_line(self.turn_usage), "usage"))
        self.running = False
        self.hooks.turn_ended()

    async def _completed(self, event: ev.TurnCompleted) -> None:
        if event.last_message:
            self.last_answer = event.last_message
        await self._end_turn()
        self.hooks.turn_completed(event.last_message)

    async def _failed(self, event: ev.TurnFailed) -> None:
        await self._close_stream()
        await self._add(Notice(event.message, "error", tui_hint(event.hint)))
        await self._end_turn()

    async def _aborted(self, event: ev.TurnAborted) -> None:
        await self._close_stream()
        await self._add(Notice(f"Turn {event.reason}: tell the model what to do differently.", "error"))
        await self._end_turn()


_HANDLERS: dict[type, Callable[..., Awaitable[None]]] = {
    ev.TurnStarted: TranscriptRenderer._turn_started,
    ev.AgentMessage: TranscriptRenderer._message,
    ev.AgentReasoning: TranscriptRenderer._reasoning,
    ev.StreamReset: TranscriptRenderer._reset,
    ev.CommandBegin: TranscriptRenderer._command_begin,
    ev.CommandOutput: TranscriptRenderer._command_output,
    ev.CommandEnd: TranscriptRenderer._command_end,
    ev.PatchBegin: TranscriptRenderer._patch_begin,
    ev.PatchEnd: TranscriptRenderer._patch_end,
    ev.PlanUpdated: TranscriptRenderer._plan,
    ev.McpToolCallBegin: TranscriptRenderer._mcp_begin,
    ev.McpToolCallEnd: TranscriptRenderer._mcp_end,
    ev.McpServerUpdate: TranscriptRenderer._mcp_update,
    ev.WebSearchEnd: TranscriptRenderer._web_search,
    ev.ApprovalRequest: TranscriptRenderer._approval,
    ev.TokenUsage: TranscriptRenderer._usage,
    ev.Warning: TranscriptRenderer._warning,
    ev.Compacted: TranscriptRenderer._compacted,
    ev.TurnCompleted: TranscriptRenderer._completed,
    ev.TurnFailed: TranscriptRenderer._failed,
    ev.TurnAborted: TranscriptRenderer._aborted,
}
