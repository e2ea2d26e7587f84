"""The turn loop: stream a response, run its tool calls one after another, feed results back.

Interrupts are task cancellation; failures end the turn with a ``TurnFailed`` event; the
history stays valid for every wire API whatever happens (every call gets a result).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from codex_py.agent.cost import usage_record
from codex_py.agent.events import (
    AgentEvent,
    AgentMessage,
    AgentReasoning,
    AgentReasoningDelta,
    AgentTextDelta,
    ApprovalRequest,
    ApprovalResult,
    CommandEnd,
    Compacted,
    EventSink,
    McpToolCallEnd,
    PatchEnd,
    StreamReset,
    TokenUsage,
    TurnAborted,
    TurnCompleted,
    TurnFailed,
    TurnStarted,
    Warning,
    WebSearchEnd,
)
from codex_py.agent.tools import ToolRunner, TurnAbortRequested
from codex_py.config import Config
from codex_py.protocol import (
    AssistantMessage,
    Completed,
    ItemDone,
    ModelRequest,
    RateLimits,
    Reasoning,
    ReasoningDelta,
    StopReason,
    StreamError,
    StreamRestart,
    TextDelta,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
    WebSearch,
    WebSearchOptions,
)
from codex_py.protocol.events import TurnError
from codex_py.protocol.items import Item
from codex_py.protocol.types import ErrorKind

if TYPE_CHECKING:
    from codex_py.hooks.runner import HookOutcome, HookRunner
    from codex_py.mcp.manager import McpManager
    from codex_py.providers import ModelClient
    from codex_py.session.checkpoints import TurnCheckpointer
    from codex_py.skills.loader import SkillSet

ABORTED_OUTPUT = "aborted by the user"
CUT_SHORT_OUTPUT = (
    "not run: the response reached its output token limit before this call's arguments were complete. "
    "Send it again in smaller steps (for example several shorter patches)."
)
SESSION_END_HOOKS_S = 10.0
"""Longest wait for the SessionEnd hooks: quitting must not hang on one (its own timeout may be 600 s)."""
REFUSAL_NOTE = "The model declined to answer; its refusal is left out of the conversation it sees next."


class Recorder(Protocol):
    def record_item(self, item: Item) -> None: ...

    def record_event(self, kind: str, payload: dict[str, Any]) -> None: ...


@dataclass(slots=True)
class _Sample:
    items: list[Item]
    stop_reason: StopReason


class Session:
    """One conversation: history, model client, tools, and the sink that front ends listen to."""

    def __init__(
        self,
        config: Config,
        client: ModelClient,
        sink: EventSink,
        *,
        session_id: str,
        instructions: str,
        history: list[Item] | None = None,
        recorder: Recorder | None = None,
        interactive: bool = True,
        tools: list[Any] | None = None,
        context_window: int | None = None,
        transcript: list[Item] | None = None,
        tool_records: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.config = config
        self.client = client
        self.sink = sink
        self.session_id = session_id
        self.instructions = instructions
        self.history: list[Item] = list(history or [])
        self.transcript: list[Item] = list(transcript) if transcript is not None else list(self.history)
        """Everything said, compactions included (each as its summary message): what a front end redraws.
        ``history`` is what the model sees; after a compaction it no longer holds the earlier turns."""
        self.tool_records: dict[str, dict[str, Any]] = dict(tool_records or {})
        """How each command and patch ended, by call id (``tool_record``): recorded as ``tool_end`` lines."""
        self.recorder = recorder
        self.interactive = interactive
        self.usage = Usage()
        self.last_usage: Usage | None = None
        self.rate_limits: RateLimits | None = None
        self.context_window = context_window
        self._measured_tokens = 0
        """Prompt + output tokens of the last response, as the provider reported them."""
        self._measured_at = 0
        """``len(history)`` when ``_measured_tokens`` was taken; later items are estimated."""
        self._tools_override = tools
        self._parallel_calls = False
        self.auth_mode = ""
        """How we authenticate, for the status bar (e.g. "API key (OPENAI_API_KEY)")."""
        from codex_py.agent.cost import CostMeter

        self.cost = CostMeter(config)
        """Estimated cost per turn, ``max_session_cost_usd``, usage-window warnings (``agent/cost.py``)."""
        self.output_schema: dict[str, Any] | None = None
        """A JSON schema the final answer must follow (``exec --output-schema``), sent with every request."""
        self.runner = ToolRunner(config, self._tool_event, self._ask, interactive)
        self.mcp: McpManager | None = None
        """The session's MCP servers (``attach_mcp``); their ready tools join every request."""
        self._mcp_specs: tuple[object, list[Any]] = (None, [])
        self._mcp_pending = False
        """The MCP servers start when the first response begins (``attach_mcp(start=False)``)."""
        self.checkpointer: TurnCheckpointer | None = None
        """Snapshots the workspace before a turn's first tool call and after the turn (``codex-py undo``)."""
        self.hooks: HookRunner | None = None
        """The user's lifecycle hooks that may run (``attach_hooks``; docs/extending.md)."""
        self.skills: SkillSet | None = None
        """The skills found at start-up: ``$name`` in a prompt puts that skill's SKILL.md into the turn."""
        self.untrusted_hooks: list[Any] = []
        """Project hooks not run because the user has not trusted them (the TUI asks about them)."""
        self.notify_client = "codex-py-tui" if interactive else "codex-py-exec"
        self._search_noted = False
        self._hook_session_started = False
        self._background: set[asyncio.Task[Any]] = set()
        """Hooks run without waiting for them (Interrupt, from a cancelled turn)."""

    # --- public --------------------------------------------------------------------------
    async def run_turn(self, text: str | UserMessage) -> None:
        """Run one user turn to its end (see module docstring)."""
        message = UserMessage.of(text) if isinstance(text, str) else text
        turn_id = uuid.uuid4().hex[:12]
        self.sink(TurnStarted(turn_id))
        if self.mcp is not None and message.text.startswith("/mcp__"):  # an MCP prompt: its text is the turn
            expanded = await self._mcp_prompt(message)
            if expanded is None:
                return
            message = expanded
        if (refusal := self._images_refused(message)) is not None:
            self.sink(refusal)
            return
        turn_usage = Usage()
        extra = await self._turn_inputs(message, turn_id)  # hooks and invoked skills
        if extra is None:
            return
        self._append(message)
        for item in extra:
            self._append(item)
        last_text: str | None = None
        stop_blocks = 0
        try:
            await self._maybe_compact()
            for _ in range(self.config.max_tool_iterations):
                if (stop := self.cost.over_budget()) is not None:
                    self.sink(TurnFailed(*stop))
                    return
                sample = await self._sample_fitting(turn_usage)
                for item in sample.items:
                    if isinstance(item, AssistantMessage) and item.text:
                        last_text = item.text
                calls = [i for i in sample.items if isinstance(i, ToolCall)]
                if not calls:
                    if sample.stop_reason is StopReason.PAUSE_TURN:
                        continue
                    if sample.stop_reason is StopReason.MAX_TOKENS:
                        self.sink(Warning("The answer was cut short: the model reached its output token limit."))
                    if await self._stop_hook_continues(turn_id, last_text, stop_blocks):
                        stop_blocks += 1
                        continue
                    self.sink(TurnCompleted(last_text))
                    self._notify(turn_id, message, last_text)
                    return
                truncated = sample.stop_reason is StopReason.MAX_TOKENS
                for call in calls:
                    if truncated and _cut_short(call):
                        self.sink(Warning(f"A `{call.name}` call was cut off by the output token limit; not run."))
                        self._append(ToolResult(call.call_id, CUT_SHORT_OUTPUT, is_error=True))
                    else:
                        await self._checkpoint_before(turn_id, call)
                        self._append(await self.runner.run(call))
                await self._maybe_compact()
            self.sink(
                TurnFailed(
                    f"stopped after {self.config.max_tool_iterations} model round-trips in one turn",
                    "raise max_tool_iterations in config.toml if the task really needs more",
                )
            )
        except TurnError as exc:
            err = exc.error
            message_text = err.message
            if err.request_id:
                message_text += f" (request id: {err.request_id})"
            self.sink(TurnFailed(message_text, err.hint, 3 if err.kind is ErrorKind.AUTHENTICATION else 1))
            failure = {"turn_id": turn_id, "error": message_text, "last_assistant_message": last_text}
            await self.run_hooks("StopFailure", failure)
        except TurnAbortRequested:
            self._close_open_calls()
            self._record_event("turn_aborted", {"reason": "denied"})
            self.sink(TurnAborted("stopped by the user at an approval"))
            await self.run_hooks("Interrupt", {"turn_id": turn_id, "reason": "denied"})
        except asyncio.CancelledError:
            self._close_open_calls()
            self._record_event("turn_aborted", {"reason": "interrupted"})
            self.sink(TurnAborted())
            if self.hooks is not None and self.hooks.has("Interrupt"):  # this task is being cancelled: not awaited
                interrupted = self.run_hooks("Interrupt", {"turn_id": turn_id, "reason": "interrupted"})
                self._background.add(task := asyncio.get_running_loop().create_task(interrupted))
                task.add_done_callback(self._background.discard)
            raise
        finally:
            if self.checkpointer is not None:  # synchronous: the task may be cancelled (~tens of ms)
                for note in self.checkpointer.after(turn_id):
                    self.sink(Warning(note))

    async def compact(self, trigger: str = "manual") -> None:
        """Summarize the conversation and replace the history with the summary (/compact)."""
        from codex_py.session.compaction import compact_history, estimate_tokens

        await self.run_hooks("PreCompact", {"trigger": trigger}, (trigger,))
        before = self.context_tokens()
        new_history, summary = await compact_history(
            self.client,
            model=self.config.model,
            instructions=self.instructions,
            history=self.history,
            base=self._request(),
        )
        self.history = new_history
        self.transcript.append(new_history[-1])  # the summary message: shown as a divider
        self._measured_tokens = self._measured_at = 0
        after = estimate_tokens(new_history)
        self._record_event("compacted", {"summary": summary, "replacement_history": new_history})
        self.sink(Compacted(summary, before, after))
        await self.run_hooks("PostCompact", {"trigger": trigger, "compact_summary": summary}, (trigger,))

    def roll_back(self, history: list[Item], transcript: list[Item], prompts_kept: int) -> None:
        """Replace the conversation by an earlier state (``/rewind``): ``history`` is what the model sees from
        now on, ``transcript`` what is redrawn; recorded as ``thread_rolled_back`` so a resume agrees."""
        self.history = list(history)
        self.transcript = list(transcript)
        self._measured_tokens = self._measured_at = 0
        self._record_event("thread_rolled_back", {"replacement_history": self.history, "prompts_kept": prompts_kept})

    def context_tokens(self) -> int:
        """Tokens the next request will carry: the last response's reported total plus an estimate
        for the items added since (tool outputs, the next user message)."""
        from codex_py.session.compaction import estimate_tokens

        return self._measured_tokens + estimate_tokens(self.history[self._measured_at :])

    def add_item(self, item: Item) -> None:
        """Append ``item`` to the history and the session file without starting a turn
        (e.g. the output of a command the user ran with ``!cmd``)."""
        self._append(item)

    def attach_mcp(self, manager: McpManager, *, start: bool = True) -> None:
        """Offer ``manager``'s tools to the model and run their calls; start its servers in the background
        (``start=False``: once the first request has gone out, so the servers' start-up takes no CPU from it;
        exec does that when no server is ``required``). Call inside the running loop. A failed server is
        reported once as a ``Warning``."""
        from codex_py.agent.events import McpServerUpdate

        def on_update(status: Any) -> None:
            ready, total = manager.counts()
            self.sink(McpServerUpdate(status.name, status.state, status.error, ready, total))
            if status.state == "failed":
                self.sink(Warning(status.report()))

        manager.on_update = on_update
        if manager.on_notice is None:  # e.g. an elicitation nobody can answer (exec): one line
            manager.on_notice = lambda text: self.sink(Warning(text))
        self.mcp = self.runner.mcp = manager
        self._mcp_pending = not start
        if start:
            manager.start()

    def attach_hooks(self, hooks: HookRunner) -> None:
        """Run ``hooks`` at this session's events (docs/extending.md); tool hooks run in the tool runner."""
        self.hooks = self.runner.hooks = hooks

    async def run_hooks(self, event: str, fields: dict[str, Any], names: tuple[str, ...] = ()) -> HookOutcome | None:
        """Run ``event``'s hooks; their warnings are shown. None when no hook is configured for it."""
        if self.hooks is None or not self.hooks.has(event):
            return None
        outcome = await self.hooks.run(event, fields, names)
        for note in outcome.warnings:
            self.sink(Warning(note))
        return outcome

    async def _turn_inputs(self, message: UserMessage, turn_id: str) -> list[Item] | None:
        """What joins the user's message: SessionStart and UserPromptSubmit hook context, the SKILL.md of
        each ``$skill`` named. None: a UserPromptSubmit hook blocked the prompt (the turn ends, nothing sent)."""
        from codex_py.protocol.items import TextPart

        extra: list[Item] = []
        self.runner.turn_id = turn_id
        if not self._hook_session_started:
            self._hook_session_started = True
            source = "resume" if self.history else "startup"
            started = await self.run_hooks("SessionStart", {"source": source}, (source,))
            if started is not None and started.contexts:
                extra.append(_hook_context("SessionStart", started.contexts))
        submitted = await self.run_hooks("UserPromptSubmit", {"turn_id": turn_id, "prompt": message.text})
        if submitted is not None:
            if submitted.block is not None or submitted.stop is not None:
                reason = submitted.block or submitted.stop
                self.sink(TurnFailed(f"prompt blocked by a UserPromptSubmit hook: {reason}", "nothing was sent"))
                return None
            if submitted.contexts:
                extra.append(_hook_context("UserPromptSubmit", submitted.contexts))
        if self.skills is not None and "$" in message.text:
            for skill in self.skills.mentioned(message.text):
                try:
                    extra.append(UserMessage((TextPart(skill.injection()),)))
                except OSError as exc:
                    self.sink(Warning(f"Failed to load skill {skill.name} at {skill.path}: {exc.strerror or exc}"))
        if self.mcp is not None and "@" in message.text:  # @server:uri attaches an MCP resource's text
            from codex_py.mcp.attach import resource_blocks

            blocks, notes = await resource_blocks(self.mcp, message.text)
            extra += [UserMessage((TextPart(block),)) for block in blocks]
            for note in notes:
                self.sink(Warning(note))
        return extra

    async def _mcp_prompt(self, message: UserMessage) -> UserMessage | None:
        """``/mcp__server__prompt key=value ...`` replaced by the server's prompt; None (turn failed) on error."""
        from codex_py.mcp.attach import expand_prompt
        from codex_py.mcp.manager import McpCallError
        from codex_py.protocol.items import TextPart

        assert self.mcp is not None
        try:
            text = await expand_prompt(self.mcp, message.text)
        except McpCallError as exc:
            self.sink(TurnFailed(str(exc), "nothing was sent"))
            return None
        return UserMessage((TextPart(text), *(p for p in message.content if not isinstance(p, TextPart))))

    async def _stop_hook_continues(self, turn_id: str, last_text: str | None, blocks: int) -> bool:
        """Run the Stop hooks; True when one blocked (its reason goes to the model and the turn goes on).
        After 8 blocks in a row the turn ends anyway (a hook that always blocks would never let it)."""
        fields = {"turn_id": turn_id, "stop_hook_active": blocks > 0, "last_assistant_message": last_text}
        outcome = await self.run_hooks("Stop", fields)
        if outcome is None or outcome.block is None:
            return False
        if blocks >= 8:
            self.sink(Warning("A Stop hook blocked the end of the turn 8 times in a row; ending the turn anyway."))
            return False
        self._append(UserMessage.of(f'<hook_prompt hook_event="Stop">{outcome.block}</hook_prompt>'))
        return True

    def _notify(self, turn_id: str, message: UserMessage, last_text: str | None) -> None:
        """Run the ``notify`` program with Codex's agent-turn-complete payload (not waited for)."""
        if not self.config.notify:
            return
        from codex_py.extensions.notify import run_notify, turn_complete_payload

        payload = turn_complete_payload(
            thread_id=self.session_id,
            turn_id=turn_id,
            cwd=self.config.cwd,
            client=self.notify_client,
            input_messages=[message.text],
            last_message=last_text,
        )
        run_notify(self.config.notify, payload)

    async def aclose(self, reason: str = "other") -> None:
        """Run the SessionEnd hooks (``reason``: ``clear`` for /new, ``prompt_input_exit`` when the app is quit,
        else ``other``; at most ``SESSION_END_HOOKS_S``), stop the MCP servers and close the model client."""
        if self._hook_session_started and self.hooks is not None and self.hooks.has("SessionEnd"):
            if self._background:  # an Interrupt hook still running
                await asyncio.wait(set(self._background), timeout=SESSION_END_HOOKS_S)
            try:
                async with asyncio.timeout(SESSION_END_HOOKS_S):
                    await self.run_hooks("SessionEnd", {"reason": reason}, (reason,))
            except TimeoutError:
                self.sink(Warning(f"SessionEnd hooks were stopped after {SESSION_END_HOOKS_S:g} s (the session ends)"))
        self._mcp_pending = False
        if self.mcp is not None:
            await self.mcp.aclose()
        await self.client.aclose()

    # --- internals -----------------------------------------------------------------------
    def _tool_event(self, event: AgentEvent) -> None:
        """The tool runner's events: a finished command or patch is remembered (and recorded) for a redraw."""
        record = tool_record(event)
        if record is not None:
            self.tool_records[record["call_id"]] = record
            self._record_event("tool_end", record)
        self.sink(event)

    def _append(self, item: Item) -> None:
        self.history.append(item)
        self.transcript.append(item)
        if self.recorder is not None:
            self.recorder.record_item(item)

    def _record_event(self, kind: str, payload: dict[str, Any]) -> None:
        if self.recorder is not None:
            self.recorder.record_event(kind, payload)

    def _request(self) -> ModelRequest:
        tools = self._tools()
        if self.mcp is not None:  # the servers ready now (a later request picks up late starters)
            ready = self.mcp.tools()
            if self._mcp_specs[0] is not ready:
                from codex_py.mcp.specs import tool_specs as mcp_tool_specs

                self._mcp_specs = (ready, mcp_tool_specs(ready))
            tools = [*tools, *self._mcp_specs[1]]
            if self.mcp.resource_servers():  # Codex's list/read tools, while a server serves resources
                from codex_py.agent.mcp_resources import resource_tool_specs

                tools += resource_tool_specs()
        return ModelRequest(
            model=self.config.model,
            instructions=self.instructions,
            items=list(self.history),
            tools=tools,
            reasoning_effort=self.config.model_reasoning_effort,
            reasoning_summary=self.config.model_reasoning_summary,
            max_output_tokens=self.config.model_max_output_tokens,
            session_id=self.session_id,
            parallel_tool_calls=self._parallel_calls,
            web_search=self._web_search(),
            output_schema=self.output_schema,
        )

    def _images_refused(self, message: UserMessage) -> TurnFailed | None:
        """A message with images for a model the catalog knows cannot see: fail before sending anything."""
        from codex_py.protocol.items import ImagePart

        if not any(isinstance(part, ImagePart) for part in message.content):
            return None
        from codex_py.providers.catalog import model_info

        info = model_info(self.config.provider, self.config.model)
        if not info.known or info.supports_images:
            return None
        return TurnFailed(
            f"model {self.config.model} does not accept images; nothing was sent",
            "pick a model that does (-m, /model) or send the prompt without the image",
        )

    def _web_search(self) -> WebSearchOptions | None:
        """The provider's web search tool from ``web_search`` / ``[tools.web_search]`` (None when off, or on
        Chat Completions, which has none: said once per session)."""
        mode = self.config.web_search
        if mode == "disabled":
            return None
        if self.config.provider.wire_api == "chat":
            if not self._search_noted:
                self._search_noted = True
                name = self.config.provider.name or self.config.model_provider
                self.sink(
                    Warning(
                        f"Web search is unavailable for provider {name} (Chat Completions API has no search tool); "
                        "continuing without it."
                    )
                )
            return None
        tool = self.config.tools.web_search
        if isinstance(tool, bool):  # Codex's legacy `[tools] web_search = true`: ignored, as Codex does
            return WebSearchOptions(live=mode == "live")
        where = tool.location
        location = tuple(
            (key, value)
            for key, value in (
                ("country", where.country if where else ""),
                ("region", where.region if where else ""),
                ("city", where.city if where else ""),
                ("timezone", where.timezone if where else ""),
            )
            if value
        )
        return WebSearchOptions(
            live=mode == "live",
            allowed_domains=tuple(tool.allowed_domains),
            blocked_domains=tuple(tool.blocked_domains),
            max_uses=tool.max_uses,
            context_size=tool.context_size,
            location=location,
        )

    def _tools(self) -> list[Any]:
        if self._tools_override is not None:
            return self._tools_override
        from codex_py.agent.tool_specs import tool_specs
        from codex_py.providers.catalog import model_info

        info = model_info(self.config.provider, self.config.model)
        # several calls per response save round-trips; they still run one after another here
        self._parallel_calls = info.supports_parallel_tool_calls
        self._tools_override = tool_specs(frozenset(info.native_tools))
        if self.config.tools.view_image and (info.supports_images or not info.known):
            from codex_py.agent.view_image import view_image_spec

            self._tools_override.append(view_image_spec())
        return self._tools_override

    async def _sample(self, turn_usage: Usage) -> _Sample:
        """Stream one response. Items are committed to history when the response completes
        (or, on interrupt, what arrived so far plus the partial text)."""
        pending: list[Item] = []
        partial: list[str] = []
        emit = self.sink
        show_reasoning = not self.config.hide_agent_reasoning
        try:
            async for event in self.client.stream(self._request()):
                if self._mcp_pending:
                    self._mcp_pending = False
                    assert self.mcp is not None
                    self.mcp.start()
                if type(event) is TextDelta:
                    partial.append(event.text)
                    emit(AgentTextDelta(event.text))
                elif type(event) is ReasoningDelta:
                    if show_reasoning:
                        emit(AgentReasoningDelta(event.text, event.section_break))
                elif type(event) is ItemDone:
                    item = event.item
                    pending.append(item)
                    if isinstance(item, AssistantMessage):
                        partial.clear()
                        emit(AgentMessage(item.text, item.citations) if item.provider_data else AgentMessage(item.text))
                    elif type(item) is WebSearch:
                        emit(WebSearchEnd(item.call_id, item.query, list(item.urls), item.action, item.error))
                    elif isinstance(item, Reasoning) and item.text and show_reasoning:
                        emit(AgentReasoning(item.text))
                elif type(event) is StreamRestart:
                    pending.clear()
                    partial.clear()
                    wait = f"{event.delay_s:.1f}".removesuffix(".0")
                    emit(
                        StreamReset(
                            event.attempt,
                            event.max_attempts,
                            f"Reconnecting... {event.attempt}/{event.max_attempts} in {wait}s ({event.reason})",
                        )
                    )
                elif type(event) is RateLimits:
                    self.rate_limits = event
                    for note in self.cost.limit_warnings(event):
                        emit(Warning(note))
                elif type(event) is Completed:
                    if event.stop_reason is StopReason.REFUSAL:
                        # shown, but neither replayed nor run: the API asks for the refused turn to be dropped
                        pending = [i for i in pending if type(i) is AssistantMessage]
                        emit(Warning(REFUSAL_NOTE))
                    else:
                        for item in pending:
                            self._append(item)
                    if event.usage is not None:
                        self._account(event.usage, turn_usage)
                    return _Sample(pending, event.stop_reason)
                elif type(event) is StreamError:
                    raise TurnError(event)
        except asyncio.CancelledError:
            for item in pending:
                self._append(item)
            if partial:
                self._append(AssistantMessage("".join(partial)))
            raise
        raise TurnError(StreamError(ErrorKind.STREAM, "the stream ended without a result", retryable=True))

    def _account(self, usage: Usage, turn_usage: Usage) -> None:
        self.usage = self.usage + usage
        self.last_usage = usage
        turn_usage.accumulate(usage)
        self._measured_tokens = usage.input_tokens + usage.output_tokens
        self._measured_at = len(self.history)
        used = self._measured_tokens
        model = self.config.model or self.config.provider.default_model
        self.cost.add(usage, turn_usage, model)
        cost = self.cost
        self._record_event("token_count", usage_record(usage, model, cost.turns[-1].index))
        spent = (cost.session_usd, cost.turn_usd)
        self.sink(TokenUsage(turn_usage + Usage(), self.usage, self._window(), used, self.rate_limits, *spent))
        if (note := cost.budget_note()) is not None:
            self.sink(Warning(note))

    def restore_usage(self, records: list[dict[str, Any]]) -> None:
        """A resumed session: the token total, the last response's usage and the cost per turn (``/cost``, the
        status bar, ``max_session_cost_usd``) of the responses its rollout recorded (``token_count``)."""
        from codex_py.agent.cost import replay

        self.usage, self.last_usage = replay(self.cost, records)

    def _window(self) -> int | None:
        if self.config.model_context_window:
            return self.config.model_context_window
        return self.context_window

    async def _sample_fitting(self, turn_usage: Usage) -> _Sample:
        """``_sample``, compacting the history and trying once more if the request outgrew the
        model's context window (the size estimate that triggers compaction ahead of time is rough)."""
        try:
            return await self._sample(turn_usage)
        except TurnError as exc:
            if exc.error.kind is not ErrorKind.CONTEXT_WINDOW:
                raise
        self.sink(Warning("The conversation outgrew the model's context window: compacting it and trying again."))
        await self.compact("auto")
        return await self._sample(turn_usage)

    async def _maybe_compact(self) -> None:
        from codex_py.session.compaction import should_compact

        if should_compact(
            self.context_tokens(),
            context_window=self._window(),
            ratio=self.config.auto_compact_ratio,
            limit=self.config.model_auto_compact_token_limit,
        ):
            await self.compact("auto")

    async def _checkpoint_before(self, turn_id: str, call: ToolCall) -> None:
        """Snapshot the workspace before the turn's first call that may change files (once per turn)."""
        if self.checkpointer is None or call.name == "update_plan":
            return
        for note in await asyncio.to_thread(self.checkpointer.before, turn_id):
            self.sink(Warning(note))

    def _close_open_calls(self) -> None:
        answered = {i.call_id for i in self.history if isinstance(i, ToolResult)}
        for item in list(self.history):
            if isinstance(item, ToolCall) and item.call_id not in answered:
                self._append(ToolResult(item.call_id, ABORTED_OUTPUT, is_error=True))
                answered.add(item.call_id)

    async def _ask(self, request: ApprovalRequest) -> ApprovalResult:
        loop = asyncio.get_running_loop()
        request.future = loop.create_future()
        self.sink(request)
        return await request.future


def _cut_short(call: ToolCall) -> bool:
    """True when a function call's arguments are not a whole JSON object (the output limit hit
    mid-call); freeform input cannot be judged here, and the patch applier rejects a cut patch."""
    if call.kind != "function":
        return False
    try:
        return not isinstance(json.loads(call.arguments or "{}"), dict)
    except ValueError:
        return True


_RECORDED: dict[type, tuple[str, tuple[str, ...]]] = {
    CommandEnd: ("command", ("call_id", "exit_code", "duration_s", "status", "reason", "approval")),
    PatchEnd: ("patch", ("call_id", "status", "message")),
    McpToolCallEnd: ("mcp", ("call_id", "server", "tool", "arguments", "error", "status", "duration_s")),
}
"""The events a ``tool_end`` record keeps, their ``kind`` and the fields copied as they are."""


def tool_record(event: AgentEvent) -> dict[str, Any] | None:
    """What a front end needs to redraw a finished command, patch or MCP tool call as it was shown (None for
    other events)."""
    recorded = _RECORDED.get(type(event))
    if recorded is None:
        return None
    kind, names = recorded
    record: dict[str, Any] = {"kind": kind, **{name: getattr(event, name) for name in names}}
    if type(event) is PatchEnd:
        record["changes"] = [
            {"path": c.path, "kind": c.kind, "diff": c.diff, "move_to": c.move_to} for c in event.changes
        ]
    elif type(event) is McpToolCallEnd:
        record["result"] = _without_media(event.result)
    return record


def _without_media(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """An MCP result with each image's or audio's data replaced by its size (``bytes``): the cell shows one line
    for them, and the data is in the rollout already (the tool result the model got)."""
    if not result or not isinstance(result.get("content"), list):
        return result
    content: list[Any] = []
    for block in result["content"]:
        if isinstance(block, dict) and block.get("type") in ("image", "audio") and isinstance(block.get("data"), str):
            block = {**block, "data": "", "bytes": len(block["data"]) * 3 // 4}
        content.append(block)
    return {**result, "content": content}


def _hook_context(event: str, contexts: list[str]) -> UserMessage:
    """Hook output added to the conversation (Codex adds it as a developer message; not every wire has one)."""
    body = "\n\n".join(contexts)
    return UserMessage.of(f'<hook_context hook_event="{event}">\n{body}\n</hook_context>')


def new_session_id() -> str:
    """A fresh session id (a UUID, like Codex's thread ids)."""
    return str(uuid.uuid4())


SinkFactory = Callable[[], EventSink]
