"""History clean-up shared by the wire modules: every API rejects a tool call without a
result or a result without its call, so histories are made consistent before serialising
(a history may come from another provider, a resumed rollout or an interrupted turn)."""

from __future__ import annotations

import json
from typing import Any

from codex_py.protocol.items import Item, ToolCall, ToolResult, UserMessage

ABORTED = "aborted"


def pair_tool_calls(items: list[Item]) -> list[Item]:
    """Answer unanswered calls with an ``aborted`` error result (placed right after their
    group of calls and results) and turn results whose call is missing into user text."""
    calls = {i.call_id for i in items if type(i) is ToolCall}
    results = {i.call_id for i in items if type(i) is ToolResult}
    if calls == results:
        return items
    out: list[Item] = []
    pending: list[str] = []
    for item in items:
        if type(item) is ToolCall:
            out.append(item)
            if item.call_id not in results:
                pending.append(item.call_id)
        elif type(item) is ToolResult:
            if item.call_id in calls:
                out.append(item)
            else:
                out.append(UserMessage.of(f"(output of an earlier tool call {item.call_id})\n{item.output}"))
        else:
            if pending:
                out.extend(ToolResult(call_id, ABORTED, is_error=True) for call_id in pending)
                pending.clear()
            out.append(item)
    out.extend(ToolResult(call_id, ABORTED, is_error=True) for call_id in pending)
    return out


def custom_input(call: ToolCall) -> str:
    """The raw text input of a call sent to a freeform tool: a custom call's arguments as they
    are, or a function call's ``{"input": ...}`` unwrapped."""
    if call.kind == "custom":
        return call.arguments
    try:
        parsed: Any = json.loads(call.arguments or "{}")
    except (ValueError, RecursionError):
        return call.arguments
    if isinstance(parsed, dict) and isinstance(parsed.get("input"), str):
        return str(parsed["input"])
    return call.arguments


def function_arguments(call: ToolCall) -> str:
    """A call's arguments as a JSON object string, wrapping a freeform call as ``{"input": ...}``."""
    if call.kind == "custom":
        return json.dumps({"input": call.arguments}, ensure_ascii=False)
    return call.arguments or "{}"


def arguments_object(call: ToolCall) -> dict[str, Any]:
    """A call's arguments as a JSON object (freeform input or unparsable JSON wrapped)."""
    if call.kind == "custom":
        return {"input": call.arguments}
    try:
        parsed: Any = json.loads(call.arguments or "{}")
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to send back as an object
        return {"input": call.arguments}
    return parsed if isinstance(parsed, dict) else {"input": parsed}
