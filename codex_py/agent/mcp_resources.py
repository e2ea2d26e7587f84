"""Codex's MCP resource tools for the model: ``list_mcp_resources``, ``list_mcp_resource_templates`` and
``read_mcp_resource``.

They are offered while a ready MCP server serves resources. Reading is side-effect free, so they run unasked
(as in Codex). Each call is shown like an MCP tool call (``McpToolCallBegin``/``End``, the server's name, or
``codex`` for a list across every server) and answers the model with JSON in MCP's own field names:

- ``list_mcp_resources {server?, cursor?}``: ``{"server", "resources": [...], "nextCursor"?}`` for one server
  (a page; ``cursor`` asks for the next one), or ``{"resources": [...]}`` across every server (each resource
  carries its ``server``; a cursor needs a server);
- ``list_mcp_resource_templates {server?, cursor?}``: the same with ``resourceTemplates``;
- ``read_mcp_resource {server, uri}``: ``{"server", "uri", "contents": [...]}``. A binary part's ``blob`` is
  left out (its size is given): base64 text would only fill the context.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from codex_py.agent.events import McpToolCallBegin, McpToolCallEnd
from codex_py.protocol import ToolCall, ToolResult, ToolSpec

if TYPE_CHECKING:
    from codex_py.agent.mcp_calls import ToolRunner

LIST, TEMPLATES, READ = "list_mcp_resources", "list_mcp_resource_templates", "read_mcp_resource"
NAMES = frozenset({LIST, TEMPLATES, READ})
ALL_SERVERS = "codex"
"""The server name shown for a list across every server."""
MAX_PAGES = 20
"""Pages read per server for a list across every server."""

_SERVER = {"type": "string", "description": "Name of the MCP server (as configured in [mcp_servers])."}
_CURSOR = {"type": "string", "description": "The nextCursor of a previous call to the same server, for more."}


def _spec(name: str, description: str, properties: dict[str, Any], required: list[str]) -> ToolSpec:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return ToolSpec(name, description, schema)


SPECS = (
    _spec(
        LIST,
        "List the resources the MCP servers offer (files, documents, schemas, records the user's tools expose), "
        "with their uri, name, description and mimeType. Give `server` for one server (then `cursor` pages "
        "through it); without it, every server's resources are listed. Prefer these to searching elsewhere "
        "when they cover what you need.",
        {"server": _SERVER, "cursor": _CURSOR},
        [],
    ),
    _spec(
        TEMPLATES,
        "List the MCP servers' resource templates: parameterised uris (RFC 6570, e.g. `db://tables/{name}`) whose "
        "filled-in form can be read with read_mcp_resource. Give `server` for one server (then `cursor` pages).",
        {"server": _SERVER, "cursor": _CURSOR},
        [],
    ),
    _spec(
        READ,
        "Read one resource of an MCP server by its uri (from list_mcp_resources, or a filled-in template).",
        {"server": _SERVER, "uri": {"type": "string", "description": "The resource's uri."}},
        ["server", "uri"],
    ),
)


def resource_tool_specs() -> list[ToolSpec]:
    return list(SPECS)


class _Refused(Exception):
    """The arguments cannot be used (the message goes back to the model)."""


async def run_resource_tool(runner: ToolRunner, call: ToolCall) -> ToolResult:
    """Run one of the three tools; the model gets JSON, or an error saying what to change."""
    from codex_py.mcp.manager import McpCallError

    try:
        args = json.loads(call.arguments or "{}")
    except json.JSONDecodeError as exc:
        return ToolResult(call.call_id, f"failed to parse function arguments: {exc}", is_error=True)
    if not isinstance(args, dict):
        return ToolResult(call.call_id, "failed to parse function arguments: expected a JSON object", is_error=True)
    server = args.get("server")
    shown = server if isinstance(server, str) and server else ALL_SERVERS
    runner.sink(McpToolCallBegin(call.call_id, shown, call.name, args))
    started = time.monotonic()
    try:
        answer = await _answer(runner, call.name, args)
    except (_Refused, McpCallError) as exc:
        message = str(exc)
        runner.sink(McpToolCallEnd(call.call_id, shown, call.name, args, None, message, "failed", _since(started)))
        return ToolResult(call.call_id, message, is_error=True)
    text = json.dumps(answer, ensure_ascii=False)
    result = {"content": [{"type": "text", "text": text}], "structured_content": None}
    runner.sink(McpToolCallEnd(call.call_id, shown, call.name, args, result, None, "completed", _since(started)))
    from codex_py.tools.truncate import truncate_middle

    config = runner.config
    cut = truncate_middle(text, max_bytes=config.tool_output_max_bytes, max_lines=config.tool_output_max_lines)
    return ToolResult(call.call_id, cut)


def _since(started: float) -> float:
    return time.monotonic() - started


def _text_arg(args: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        if required:
            raise _Refused(f"failed to parse function arguments: `{name}` is required")
        return None
    if not isinstance(value, str):
        raise _Refused(f"failed to parse function arguments: `{name}` must be a string")
    return value


async def _answer(runner: ToolRunner, name: str, args: dict[str, Any]) -> dict[str, Any]:
    manager = runner.mcp
    servers: list[str] = manager.resource_servers()
    if name == READ:
        target = _known(_text_arg(args, "server", required=True), servers)
        uri = _text_arg(args, "uri", required=True)
        contents = [_without_blob(part) for part in await manager.resource_contents(target, uri)]
        return {"server": target, "uri": uri, "contents": contents}
    kind = "resources" if name == LIST else "resourceTemplates"
    server = _text_arg(args, "server", required=False)
    cursor = _text_arg(args, "cursor", required=False)
    if server is not None:
        page = await manager.resource_page(_known(server, servers), kind, cursor)
        listed = [{**entry, "server": server} for entry in page.get(kind, [])]
        answer: dict[str, Any] = {"server": server, kind: listed}
        if page.get("nextCursor"):
            answer["nextCursor"] = page["nextCursor"]
        return answer
    if cursor is not None:
        raise _Refused("`cursor` can only be used with `server` (a cursor belongs to one server's list)")
    every: list[dict[str, Any]] = []
    for each in servers:
        following: str | None = None
        for _ in range(MAX_PAGES):
            page = await manager.resource_page(each, kind, following)
            every += [{**entry, "server": each} for entry in page.get(kind, [])]
            following = page.get("nextCursor")
            if not following:
                break
    return {kind: every}


def _known(server: str | None, servers: list[str]) -> str:
    if server is None or server not in servers:
        offered = ", ".join(servers) or "none"
        raise _Refused(f"unknown MCP server {server!r}: the servers with resources are {offered}")
    return server


def _without_blob(part: dict[str, Any]) -> dict[str, Any]:
    blob = part.get("blob")
    if not isinstance(blob, str):
        return part
    kept = {k: v for k, v in part.items() if k != "blob"}
    kept["text"] = f"[binary {part.get('mimeType') or 'data'}, {len(blob) * 3 // 4:,} bytes not included]"
    return kept
