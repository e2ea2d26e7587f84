"""Serve ``codex`` and ``codex-reply`` over stdio with the official ``mcp`` SDK's low-level server.

A ``codex`` call builds a session from the server's flags plus the call's knobs, runs one turn and answers with
the last agent message (``{threadId, content}``); the session stays open for ``codex-reply`` (by thread id;
a thread this process does not hold is resumed from its rollout). While the turn runs, every agent event goes
to the client as a ``codex/event`` notification (``{_meta: {requestId, threadId}, id, msg: {type, ...}}``, as
Codex sends them) and, when the client asked for progress, as ``notifications/progress`` with a short message.
Approvals: a client that declares the elicitation capability is asked (``elicitation/create``); otherwise the
session runs like ``exec`` (nobody to ask: the approval policy decides, requests that need a person are
declined). Cancelling the ``tools/call`` interrupts the turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codex_py.agent import events as ev
from codex_py.config import CliOverrides
from codex_py.mcp_server.tools import (
    CODEX_DESCRIPTION,
    CODEX_INPUT,
    OUTPUT,
    REPLY_DESCRIPTION,
    REPLY_INPUT,
    ToolArgumentError,
    check_config,
    codex_overrides,
    reply_arguments,
)

if TYPE_CHECKING:
    from mcp.server.context import ServerRequestContext

    from codex_py.agent.session import Session

log = logging.getLogger(__name__)

SERVER_NAME = "codex-py-mcp-server"
EVENT_METHOD = "codex/event"
EVENT_TYPES = {
    "TurnStarted": "task_started",
    "AgentTextDelta": "agent_message_delta",
    "AgentReasoningDelta": "agent_reasoning_delta",
    "StreamReset": "stream_error",
    "AgentMessage": "agent_message",
    "AgentReasoning": "agent_reasoning",
    "CommandBegin": "exec_command_begin",
    "CommandOutput": "exec_command_output_delta",
    "CommandEnd": "exec_command_end",
    "PatchBegin": "patch_apply_begin",
    "PatchEnd": "patch_apply_end",
    "PlanUpdated": "plan_update",
    "McpServerUpdate": "mcp_startup_update",
    "McpToolCallBegin": "mcp_tool_call_begin",
    "McpToolCallEnd": "mcp_tool_call_end",
    "TokenUsage": "token_count",
    "Warning": "warning",
    "Compacted": "context_compacted",
    "TurnCompleted": "task_complete",
    "TurnFailed": "error",
    "TurnAborted": "turn_aborted",
}
"""Codex's ``msg.type`` for each agent event (the other fields are codex-py's, see docs/mcp.md)."""
DECISIONS = {
    "approved": ev.Decision.APPROVE,
    "approved_for_session": ev.Decision.APPROVE_SESSION,
    "denied": ev.Decision.DENY,
    "abort": ev.Decision.ABORT,
}


def event_message(event: ev.AgentEvent) -> dict[str, Any]:
    """One agent event as Codex's ``msg`` object: ``{"type": <snake_case>, ...the event's fields}``."""
    name = type(event).__name__
    if isinstance(event, ev.ApprovalRequest):
        kind = {"command": "exec_approval_request", "patch": "apply_patch_approval_request"}
        msg: dict[str, Any] = {"type": kind.get(event.kind, "mcp_tool_call_approval_request")}
    else:
        msg = {"type": EVENT_TYPES.get(name, name.lower())}
    for f in dataclasses.fields(event):  # type: ignore[arg-type]
        if f.name == "future":
            continue
        value = getattr(event, f.name)
        if isinstance(value, list):
            value = [dataclasses.asdict(v) if dataclasses.is_dataclass(v) else v for v in value]  # type: ignore[arg-type]
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = dataclasses.asdict(value)
        msg[f.name] = value
    return msg


def progress_text(event: ev.AgentEvent) -> str | None:
    """A short progress message for the events worth one (None for deltas and the like)."""
    if isinstance(event, ev.TurnStarted):
        return "turn started"
    if isinstance(event, ev.CommandBegin):
        return "running: " + shlex.join(event.command)[:200]
    if isinstance(event, ev.PatchBegin):
        return "editing: " + ", ".join(c.path for c in event.changes)[:200]
    if isinstance(event, ev.McpToolCallBegin):
        return f"calling MCP tool {event.server}.{event.tool}"
    if isinstance(event, ev.AgentMessage):
        return "answer: " + event.text[:200]
    if isinstance(event, ev.TurnCompleted):
        return "turn completed"
    if isinstance(event, ev.TurnFailed):
        return "turn failed: " + event.message[:200]
    return None


@dataclass
class _Call:
    """One running ``tools/call``: where its thread's events go."""

    ctx: ServerRequestContext[Any, Any]
    thread_id: str
    cwd: Path
    elicit: bool
    queue: asyncio.Queue[ev.AgentEvent | None] = field(default_factory=asyncio.Queue)
    outcome: ev.AgentEvent | None = None
    progress: int = 0
    event_id: int = 0
    pending: set[asyncio.Task[None]] = field(default_factory=set)

    def push(self, event: ev.AgentEvent) -> None:
        if isinstance(event, (ev.TurnCompleted, ev.TurnFailed, ev.TurnAborted)):
            self.outcome = event
        if isinstance(event, ev.ApprovalRequest):
            task = asyncio.get_running_loop().create_task(self._answer(event))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
        self.queue.put_nowait(event)

    async def send_events(self) -> None:
        """Send queued events in order until the None that ends the call."""
        while (event := await self.queue.get()) is not None:
            try:
                await self._send(event)
            except Exception as exc:  # the client went away: the turn goes on, its result may still reach it
                log.debug("sending %s failed: %s", type(event).__name__, exc)

    async def _send(self, event: ev.AgentEvent) -> None:
        from pydantic import BaseModel

        class _Notification(BaseModel):
            method: str
            params: dict[str, Any]

        self.event_id += 1
        params = {
            "_meta": {"requestId": self.ctx.request_id, "threadId": self.thread_id},
            "id": str(self.event_id),
            "msg": event_message(event),
        }
        session = self.ctx.session
        await session.send_notification(
            _Notification(method=EVENT_METHOD, params=params),  # type: ignore[arg-type]
            related_request_id=self.ctx.request_id,
        )
        text = progress_text(event)
        if text is not None:
            self.progress += 1
            await session.report_progress(self.progress, None, text)

    async def _answer(self, request: ev.ApprovalRequest) -> None:
        future = request.future
        result = await self._elicit(request) if self.elicit else ev.ApprovalResult(ev.Decision.DENY)
        if future is not None and not future.done():
            future.set_result(result)

    async def _elicit(self, request: ev.ApprovalRequest) -> ev.ApprovalResult:
        """Ask the client (``elicitation/create``, Codex's fields beside the spec's); a failed or unreadable
        answer denies."""
        import mcp.types as types
        from mcp.shared.message import ServerMessageMetadata
        from pydantic import BaseModel

        class _Request(BaseModel):
            method: str
            params: dict[str, Any]

        if request.kind == "command":
            message = f"Allow Codex to run `{shlex.join(request.command or [])}` in `{self.cwd}`?"
            kind = "exec-approval"
        elif request.kind == "patch":
            message = "Allow Codex to apply proposed code changes?"
            kind = "patch-approval"
        else:
            message, kind = request.reason, "mcp-tool-approval"
        schema = {
            "type": "object",
            "properties": {"decision": {"type": "string", "enum": list(DECISIONS), "title": "Decision"}},
        }
        params: dict[str, Any] = {
            "mode": "form",
            "message": message,
            "requestedSchema": schema,
            "threadId": self.thread_id,
            "codex_elicitation": kind,
            "codex_mcp_tool_call_id": str(self.ctx.request_id),
            "codex_call_id": request.call_id,
        }
        if request.kind == "command":
            params |= {"codex_command": request.command, "codex_cwd": str(self.cwd)}
        elif request.kind == "patch":
            params |= {
                "codex_reason": request.reason,
                "codex_changes": [dataclasses.asdict(c) for c in request.changes or []],
            }
        try:
            answer = await self.ctx.session.send_request(
                _Request(method="elicitation/create", params=params),  # type: ignore[arg-type]
                types.ElicitResult,
                metadata=ServerMessageMetadata(related_request_id=self.ctx.request_id),
            )
        except Exception as exc:
            log.info("elicitation failed (%s): denied", exc)
            return ev.ApprovalResult(ev.Decision.DENY, "the MCP client did not answer the approval request")
        if answer.action == "cancel":
            return ev.ApprovalResult(ev.Decision.ABORT)
        if answer.action != "accept":
            return ev.ApprovalResult(ev.Decision.DENY)
        decision = (answer.content or {}).get("decision", "approved")
        return ev.ApprovalResult(DECISIONS.get(str(decision), ev.Decision.DENY))


@dataclass
class _Thread:
    session: Session
    early: list[ev.AgentEvent] = field(default_factory=list)
    """Events from before the first call (warnings while the session was built): sent with its first turn."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    call: _Call | None = None

    def sink(self, event: ev.AgentEvent) -> None:
        if self.call is not None:
            self.call.push(event)


class CodexMcpServer:
    """The tools' behaviour; ``serve`` wires it to the SDK."""

    def __init__(self, base: CliOverrides, cwd: Path) -> None:
        self.base = base
        self.cwd = cwd
        self.threads: dict[str, _Thread] = {}

    async def call_tool(self, ctx: ServerRequestContext[Any, Any], name: str, args: dict[str, Any]) -> Any:
        import mcp.types as types

        try:
            if name == "codex":
                prompt, overrides = codex_overrides(args, self.base, self.cwd)
                thread = await self._open(ctx, overrides, None)
            elif name == "codex-reply":
                prompt, thread_id = reply_arguments(args)
                thread = self.threads.get(thread_id) or await self._open(ctx, self.base, thread_id)
            else:
                raise ToolArgumentError(f"unknown tool {name!r}: this server has 'codex' and 'codex-reply'")
        except ToolArgumentError as exc:
            return _error(types, str(exc))
        except Exception as exc:  # credentials, a session that cannot be resumed...
            hint = getattr(exc, "hint", "")
            return _error(types, f"Codex runtime error: {exc}" + (f" ({hint})" if hint else ""))
        return await self._run(ctx, thread, prompt)

    async def _open(
        self, ctx: ServerRequestContext[Any, Any], overrides: CliOverrides, resume_id: str | None
    ) -> _Thread:
        from codex_py.agent.factory import create_session
        from codex_py.session.resume import ResumeTarget

        config = check_config(overrides)
        caps = ctx.session.client_capabilities
        elicit = caps is not None and caps.elicitation is not None
        holder: list[_Thread] = []
        early: list[ev.AgentEvent] = []

        def sink(event: ev.AgentEvent) -> None:
            if holder:
                holder[0].sink(event)
            else:
                early.append(event)

        resume = ResumeTarget(resume_id) if resume_id is not None else None
        session = await create_session(config, sink, interactive=elicit, resume=resume)
        thread = _Thread(session, early)
        holder.append(thread)
        self.threads[session.session_id] = thread
        return thread

    async def _run(self, ctx: ServerRequestContext[Any, Any], thread: _Thread, prompt: str) -> Any:
        import mcp.types as types

        session = thread.session
        caps = ctx.session.client_capabilities
        call = _Call(ctx, session.session_id, session.config.cwd, caps is not None and caps.elicitation is not None)
        async with thread.lock:
            thread.call = call
            for event in thread.early:
                call.push(event)
            thread.early.clear()
            sender = asyncio.create_task(call.send_events())
            try:
                await session.run_turn(prompt)
            finally:
                for task in list(call.pending):
                    task.cancel()
                call.queue.put_nowait(None)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(sender, timeout=10)
                thread.call = None
        outcome = call.outcome
        if isinstance(outcome, ev.TurnCompleted):
            return _result(types, session.session_id, outcome.last_message or "", False)
        if isinstance(outcome, ev.TurnFailed):
            text = outcome.message + (f" ({outcome.hint})" if outcome.hint else "")
            return _result(types, session.session_id, text, True)
        return _result(types, session.session_id, "turn aborted", True)

    async def aclose(self) -> None:
        for thread in self.threads.values():
            session = thread.session
            try:
                await session.aclose()
            except Exception:
                log.exception("closing a session failed")
            close = getattr(session.recorder, "close", None)
            if callable(close):
                close()
        self.threads.clear()


def _result(types: Any, thread_id: str, text: str, is_error: bool) -> Any:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content={"threadId": thread_id, "content": text},
        is_error=is_error,
    )


def _error(types: Any, text: str) -> Any:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)


def serve(base: CliOverrides) -> int:
    """Run until the client closes stdin."""
    import anyio

    return int(anyio.run(_serve, base) or 0)


async def _serve(base: CliOverrides) -> int:
    import mcp.types as types
    from mcp.server.lowlevel.server import NotificationOptions, Server
    from mcp.server.stdio import stdio_server

    from codex_py import __version__

    app = CodexMcpServer(base, Path.cwd())
    tools = [
        types.Tool(
            name="codex", title="Codex", description=CODEX_DESCRIPTION, input_schema=CODEX_INPUT, output_schema=OUTPUT
        ),
        types.Tool(
            name="codex-reply",
            title="Codex Reply",
            description=REPLY_DESCRIPTION,
            input_schema=REPLY_INPUT,
            output_schema=OUTPUT,
        ),
    ]

    async def list_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: Any) -> Any:
        return await app.call_tool(ctx, params.name, dict(params.arguments or {}))

    server: Server[Any] = Server(
        SERVER_NAME, version=__version__, title="codex-py", on_list_tools=list_tools, on_call_tool=call_tool
    )
    try:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options(NotificationOptions(tools_changed=True)))
    finally:
        await app.aclose()
    return 0
