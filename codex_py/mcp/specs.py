"""MCP tools as ``ToolSpec`` function tools, with their input schemas made acceptable to every wire.

Codex's fixes: ``type: object`` with a ``properties`` object (added when missing or null), a missing
description becomes "", ``strict`` stays off (providers send ``strict: false``); ``$schema`` and the
output schema are not sent. The same flat ``mcp__server__tool`` name goes to all three wires.
"""

from __future__ import annotations

from typing import Any

from codex_py.mcp.manager import McpTool
from codex_py.protocol import ToolSpec


def input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in schema.items() if k != "$schema"}
    out["type"] = "object"
    if not isinstance(out.get("properties"), dict):
        out["properties"] = {}
    if "required" in out and not isinstance(out["required"], list):
        del out["required"]
    return out


def tool_spec(tool: McpTool) -> ToolSpec:
    return ToolSpec(tool.qualified, tool.description, input_schema(tool.input_schema))


def tool_specs(tools: list[McpTool]) -> list[ToolSpec]:
    return [tool_spec(t) for t in tools]
