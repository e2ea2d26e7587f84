"""Run a model's call of an MCP tool (``mcp__<server>__<tool>``): approval, the call, the result.

Approval (MCP tools run outside the sandbox), in order:
1. ``approval_policy = "never"`` or the tool's mode ``approve`` (``[mcp_servers.S.tools.T] approval_mode``,
   else the server's ``default_tools_approval_mode``): run;
2. mode ``auto``: run when the tool's annotations say it needs no approval (read-only, or neither
   destructive nor open-world) or the user approved this tool for the session;
3. exec (nobody to ask): declined with a message saying how to allow it;
4. otherwise ask (mode ``prompt`` always asks; "for the session" then counts once). "Don't ask again" (mode
   ``auto`` only) writes ``approval_mode = "approve"`` for the tool into the global config.toml.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Literal, Protocol

from codex_py.agent.events import (
    ApprovalRequest,
    Decision,
    McpToolCallBegin,
    McpToolCallEnd,
    Warning,
)
from codex_py.protocol import ToolCall, ToolResult

if TYPE_CHECKING:
    from codex_py.agent.events import ApprovalResult, EventSink
    from codex_py.config import Config
    from codex_py.mcp.manager import McpTool


class ToolRunner(Protocol):
    """What this module needs of ``agent.tools.ToolRunner``."""

    @property
    def config(self) -> Config: ...
    @property
    def sink(self) -> EventSink: ...
    @property
    def interactive(self) -> bool: ...
    @property
    def approved_commands(self) -> set[tuple[str, ...]]: ...
    @property
    def mcp(self) -> Any: ...

    def ask(self, request: ApprovalRequest) -> Awaitable[ApprovalResult]: ...


class Abort(Exception):
    """The user chose "stop the turn" at the approval (``agent.tools`` turns it into ``TurnAbortRequested``)."""


REJECTED = "user rejected MCP tool call"
ARGS_PREVIEW = 2000


async def run_mcp_call(runner: ToolRunner, call: ToolCall) -> ToolResult:
    from codex_py.mcp.manager import McpCallError
    from codex_py.mcp.results import model_images, model_text, result_json
    from codex_py.tools.truncate import truncate_middle

    manager = runner.mcp
    tool: McpTool | None = manager.lookup(call.name)
    if tool is None:
        return ToolResult(
            call.call_id,
            f"unknown MCP tool {call.name!r}: its server is not running or does not offer it",
            is_error=True,
        )
    sink = runner.sink
    arguments: Any = None
    if call.arguments.strip():
        try:
            arguments = json.loads(call.arguments)
        except json.JSONDecodeError as exc:
            return _failed(runner, call, tool, None, f"err: {exc}", begin=True)
        if not isinstance(arguments, dict):
            return _failed(runner, call, tool, arguments, "err: arguments must be a JSON object", begin=True)
    sink(McpToolCallBegin(call.call_id, tool.server, tool.name, arguments))
    refusal = await _approve(runner, call, tool, arguments)
    if refusal is not None:
        return _failed(runner, call, tool, arguments, refusal)
    started = time.monotonic()
    try:
        result = await manager.call(tool, arguments)
    except McpCallError as exc:
        return _failed(runner, call, tool, arguments, f"tool call error: {exc}", time.monotonic() - started)
    except asyncio.CancelledError:
        sink(McpToolCallEnd(call.call_id, tool.server, tool.name, arguments, None, "interrupted", "failed"))
        raise
    duration = time.monotonic() - started
    is_error = bool(getattr(result, "is_error", False))
    shown = result_json(result)
    status: Literal["completed", "failed"] = "failed" if is_error else "completed"
    sink(McpToolCallEnd(call.call_id, tool.server, tool.name, arguments, shown, None, status, duration))
    config = runner.config

    def cut(text: str) -> str:
        return truncate_middle(text, max_bytes=config.tool_output_max_bytes, max_lines=config.tool_output_max_lines)

    decoded = await asyncio.to_thread(model_images, result)
    text = model_text(result, duration_s=duration, cut=cut, images=decoded)
    images = tuple(image for image in decoded if image is not None)
    return ToolResult(call.call_id, text, is_error=is_error, images=images)


def _failed(
    runner: ToolRunner,
    call: ToolCall,
    tool: McpTool,
    arguments: Any,
    message: str,
    duration: float = 0.0,
    *,
    begin: bool = False,
) -> ToolResult:
    if begin:
        runner.sink(McpToolCallBegin(call.call_id, tool.server, tool.name, arguments))
    runner.sink(McpToolCallEnd(call.call_id, tool.server, tool.name, arguments, None, message, "failed", duration))
    return ToolResult(call.call_id, message, is_error=True)


def approval_mode(runner: ToolRunner, tool: McpTool) -> str:
    server = runner.mcp.server_config(tool.server)
    own = server.tools.get(tool.name)
    mode: str = own.approval_mode if own is not None and own.approval_mode else server.default_tools_approval_mode
    return mode


async def _approve(runner: ToolRunner, call: ToolCall, tool: McpTool, arguments: Any) -> str | None:
    """None: run it. Else the error text the model gets."""
    mode = approval_mode(runner, tool)
    if runner.config.approval_policy == "never" or mode == "approve":
        return None
    key = ("mcp", tool.server, tool.name)
    if mode == "auto" and (not tool.needs_approval or key in runner.approved_commands):
        return None
    if not runner.interactive:
        return (
            f"MCP tool call declined: {tool.server}/{tool.name} needs approval and exec mode never prompts "
            f'(allow it with default_tools_approval_mode = "approve" in [mcp_servers.{tool.server}], '
            "or run exec with -a never)"
        )
    shown = json.dumps(arguments, ensure_ascii=False, indent=1) if arguments is not None else "(no arguments)"
    if len(shown) > ARGS_PREVIEW:
        shown = shown[:ARGS_PREVIEW] + " …"
    reason = f'Allow the {tool.server} MCP server to run tool "{tool.name}"?\n{shown}'
    request = ApprovalRequest(call.call_id, "mcp_tool", reason, persist_offered=mode == "auto")
    result = await runner.ask(request)
    if result.decision is Decision.ABORT:
        raise Abort
    if result.decision is Decision.DENY:
        return REJECTED + (f": {result.reason}" if result.reason else "")
    if result.decision in (Decision.APPROVE_SESSION, Decision.APPROVE_ALWAYS) and mode == "auto":
        runner.approved_commands.add(key)
        if result.decision is Decision.APPROVE_ALWAYS:
            _approve_always(runner, tool)
    return None


def _approve_always(runner: ToolRunner, tool: McpTool) -> None:
    """Don't ask again: ``[mcp_servers.S.tools.T] approval_mode = "approve"`` in config.toml (comments kept) and
    in the live config, so a new session (/new) does not ask either. A failure is one warning (the session
    approval stands)."""
    from codex_py.config import ConfigError
    from codex_py.config.model import McpToolConfig
    from codex_py.mcp.commands import set_tool_approval

    server = runner.mcp.server_config(tool.server)
    own = server.tools.setdefault(tool.name, McpToolConfig())
    own.approval_mode = "approve"
    try:
        set_tool_approval(tool.server, tool.name, "approve", runner.config.cwd)
    except ConfigError as exc:
        runner.sink(Warning(f"{exc}; {exc.hint}" if exc.hint else str(exc)))
