"""``exec --json``: agent events as the contract's JSON Lines (compatible with Codex CLI's ``exec --json``).

``thread.started`` / ``turn.started`` / ``item.started|updated|completed`` / ``turn.completed`` /
``turn.failed`` / ``error``. Items get ids ``item_0``, ``item_1``, ... in order of first appearance;
messages and reasoning appear only completed, commands started then completed, file changes
completed, the plan as one ``todo_list`` (started on the first update, updated later, completed
at turn end), warnings as ``error`` items. ``turn.completed`` carries the session's cumulative usage.

A finished message or reasoning block is held until its response is over: a retried stream
(``StreamReset``) withdraws it, so a restarted answer is never reported twice; a failed turn drops
what its last, failed response said (it is not in the conversation either).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from typing import Any

from codex_py.agent.events import (
    AgentEvent,
    AgentMessage,
    AgentReasoning,
    AgentReasoningDelta,
    AgentTextDelta,
    ApprovalRequest,
    ApprovalResult,
    CommandBegin,
    CommandEnd,
    Decision,
    McpToolCallBegin,
    McpToolCallEnd,
    PatchBegin,
    PatchEnd,
    PlanUpdated,
    StreamReset,
    TokenUsage,
    TurnAborted,
    TurnCompleted,
    TurnFailed,
    TurnStarted,
    Warning,
    WebSearchEnd,
)
from codex_py.config.redaction import redact_known
from codex_py.protocol.events import Usage

Json = dict[str, Any]


def usage_json(usage: Usage | None) -> Json:
    """The four usage counts of ``turn.completed``."""
    usage = usage or Usage()
    return {
        "input_tokens": usage.input_tokens,
        "cached_input_tokens": usage.cached_input_tokens,
        "output_tokens": usage.output_tokens,
        "reasoning_output_tokens": usage.reasoning_output_tokens,
    }


def deny_approval(event: ApprovalRequest) -> None:
    """exec never prompts: refuse any approval request that still reaches a front end."""
    if event.future is not None and not event.future.done():
        event.future.set_result(ApprovalResult(Decision.DENY, "exec mode never prompts"))


class JsonlMapper:
    """Turns agent events into contract event objects (pure; no I/O)."""

    def __init__(self) -> None:
        self._next_id = 0
        self._commands: dict[str, Json] = {}
        self._mcp_calls: dict[str, Json] = {}
        self._patch_changes: dict[str, list[Json]] = {}
        self._todo: Json | None = None
        self._held: list[Json] = []
        """Messages and reasoning of the response in progress (ids are given when they are released)."""
        self.session_usage: Usage | None = None
        self.cost_usd: float | None = None
        self.rate_limits: Json | None = None

    def _new_id(self) -> str:
        item_id = f"item_{self._next_id}"
        self._next_id += 1
        return item_id

    def _completed(self, item: Json) -> Json:
        return {"type": "item.completed", "item": item}

    def thread_started(self, session_id: str) -> Json:
        return {"type": "thread.started", "thread_id": session_id}

    def map(self, event: AgentEvent) -> list[Json]:
        """The contract events for one agent event (often none)."""
        kind = type(event)
        if kind is AgentMessage:
            assert isinstance(event, AgentMessage)
            if event.text:
                self._held.append({"type": "agent_message", "text": event.text})
            return []
        if kind is AgentReasoning:
            assert isinstance(event, AgentReasoning)
            if event.text.strip():
                self._held.append({"type": "reasoning", "text": event.text})
            return []
        if kind is StreamReset or kind is TurnFailed:
            self._held.clear()
        elif self._held and kind is not AgentTextDelta and kind is not AgentReasoningDelta:
            return [*self._release(), *self._map_rest(event)]
        return self._map_rest(event)

    def _release(self) -> list[Json]:
        out = [self._completed({"id": self._new_id(), **item}) for item in self._held]
        self._held.clear()
        return out

    def _map_rest(self, event: AgentEvent) -> list[Json]:
        kind = type(event)
        if kind is CommandBegin:
            assert isinstance(event, CommandBegin)
            begun: Json = {
                "id": self._new_id(),
                "type": "command_execution",
                "command": shlex.join(event.command),
                "aggregated_output": "",
                "exit_code": None,
                "status": "in_progress",
            }
            self._commands[event.call_id] = begun
            return [{"type": "item.started", "item": dict(begun)}]
        if kind is CommandEnd:
            assert isinstance(event, CommandEnd)
            started = self._commands.pop(event.call_id, None)
            item: Json = {
                "id": started["id"] if started else self._new_id(),
                "type": "command_execution",
                "command": shlex.join(event.command),
                "aggregated_output": event.output,
                "exit_code": event.exit_code,
                "status": event.status,
            }
            return [self._completed(item)]
        if kind is McpToolCallBegin:
            assert isinstance(event, McpToolCallBegin)
            call: Json = {
                "id": self._new_id(),
                "type": "mcp_tool_call",
                "server": event.server,
                "tool": event.tool,
                "arguments": event.arguments,
                "result": None,
                "error": None,
                "status": "in_progress",
            }
            self._mcp_calls[event.call_id] = call
            return [{"type": "item.started", "item": dict(call)}]
        if kind is McpToolCallEnd:
            assert isinstance(event, McpToolCallEnd)
            opened = self._mcp_calls.pop(event.call_id, None)
            done: Json = {
                "id": opened["id"] if opened else self._new_id(),
                "type": "mcp_tool_call",
                "server": event.server,
                "tool": event.tool,
                "arguments": event.arguments,
                "result": event.result,
                "error": {"message": event.error} if event.error is not None else None,
                "status": event.status,
            }
            return [self._completed(done)]
        if kind is WebSearchEnd:
            assert isinstance(event, WebSearchEnd)
            return self._web_search(event)
        if kind is PatchBegin:
            assert isinstance(event, PatchBegin)
            self._patch_changes[event.call_id] = [{"path": c.path, "kind": c.kind} for c in event.changes]
            return []
        if kind is PatchEnd:
            assert isinstance(event, PatchEnd)
            before = self._patch_changes.pop(event.call_id, [])
            changes = [{"path": c.path, "kind": c.kind} for c in event.changes] or before
            status = "completed" if event.status == "completed" else "failed"
            return [
                self._completed({"id": self._new_id(), "type": "file_change", "changes": changes, "status": status})
            ]
        if kind is PlanUpdated:
            assert isinstance(event, PlanUpdated)
            items = [{"text": s.step, "completed": s.status == "completed"} for s in event.plan]
            if self._todo is None:
                self._todo = {"id": self._new_id(), "type": "todo_list", "items": items}
                return [{"type": "item.started", "item": dict(self._todo)}]
            self._todo = {**self._todo, "items": items}
            return [{"type": "item.updated", "item": dict(self._todo)}]
        if kind is Warning:
            assert isinstance(event, Warning)
            return [self._completed({"id": self._new_id(), "type": "error", "message": event.message})]
        if kind is StreamReset:
            assert isinstance(event, StreamReset)
            return [{"type": "error", "message": event.message}]
        if kind is TokenUsage:
            assert isinstance(event, TokenUsage)
            self.session_usage = event.session
            self.cost_usd = None if event.cost_usd is None else round(event.cost_usd, 8)
            if event.rate_limits is not None:
                from codex_py.providers.ratelimits import usage_limits

                limits = usage_limits(event.rate_limits.limits)
                self.rate_limits = limits.to_json() if limits is not None else None
            return []
        if kind is TurnStarted:
            self._todo = None
            return [{"type": "turn.started"}]
        if kind is TurnCompleted:
            end: Json = {"type": "turn.completed", "usage": usage_json(self.session_usage), "cost_usd": self.cost_usd}
            if self.rate_limits is not None:  # subscription logins: the usage windows (Codex's snapshot shape)
                end["rate_limits"] = self.rate_limits
            return [*self._finish_items(), end]
        if kind is TurnFailed:
            assert isinstance(event, TurnFailed)
            message = f"{event.message}; {event.hint}" if event.hint else event.message
            return [*self._finish_items(), {"type": "turn.failed", "error": {"message": message}}]
        if kind is TurnAborted:
            assert isinstance(event, TurnAborted)
            return [*self._finish_items(), {"type": "turn.failed", "error": {"message": f"turn {event.reason}"}}]
        if kind is ApprovalRequest:
            assert isinstance(event, ApprovalRequest)
            deny_approval(event)
        return []

    def _web_search(self, event: WebSearchEnd) -> list[Json]:
        """Codex's ``web_search`` item, started (empty query, action ``other``) then completed; codex-py adds
        ``urls``, the pages found. The search ran on the provider's side, so both lines come at its end."""
        item_id = self._new_id()
        action: Json = {"type": event.action}
        if event.action == "search":
            action["query"] = event.query
        elif event.action == "open_page":
            action["url"] = event.urls[0] if event.urls else None
        elif event.action == "find_in_page":
            action.update(url=event.urls[0] if event.urls else None, pattern=event.query)
        started: Json = {"id": item_id, "type": "web_search", "query": "", "action": {"type": "other"}}
        done: Json = {"id": item_id, "type": "web_search", "query": event.query, "action": action, "urls": event.urls}
        if event.error:
            done["error"] = {"message": event.error}
        return [{"type": "item.started", "item": started}, self._completed(done)]

    def _finish_items(self) -> list[Json]:
        """Complete what the turn left open: the plan, and commands that never reported an end."""
        out: list[Json] = []
        for item in self._commands.values():
            out.append(self._completed({**item, "status": "failed"}))
        self._commands.clear()
        for item in self._mcp_calls.values():
            out.append(self._completed({**item, "status": "failed", "error": {"message": "interrupted"}}))
        self._mcp_calls.clear()
        if self._todo is not None:
            out.append(self._completed(dict(self._todo)))
            self._todo = None
        return out


class JsonlOutput:
    """An ``EventSink`` writing contract JSON Lines through ``write`` (stdout in exec)."""

    def __init__(self, write: Callable[[str], object], flush: Callable[[], object] | None = None) -> None:
        self.mapper = JsonlMapper()
        self._write = write
        self._flush = flush

    def emit(self, obj: Json) -> None:
        line = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        self._write(redact_known(line) + "\n")  # never a credential this process uses
        if self._flush is not None:
            self._flush()

    def thread_started(self, session_id: str) -> None:
        self.emit(self.mapper.thread_started(session_id))

    def __call__(self, event: AgentEvent) -> None:
        for obj in self.mapper.map(event):
            self.emit(obj)
