"""Protocol items to and from JSON, losslessly (rollouts, compaction records).

The JSON shape is ours (it is not a wire format): ``{"type": <item type>, ...fields}``,
with default-valued optional fields left out to keep rollout lines short.
``item_from_json(item_to_json(x)) == x`` holds for every protocol item.
"""

from __future__ import annotations

import dataclasses
from pathlib import PurePath
from typing import Any

from codex_py.protocol.items import (
    AssistantMessage,
    ImagePart,
    Item,
    Reasoning,
    TextPart,
    ToolCall,
    ToolResult,
    UserMessage,
)

ITEM_TYPES = (UserMessage, AssistantMessage, Reasoning, ToolCall, ToolResult)


class ItemDecodeError(ValueError):
    """A JSON object that is not a protocol item we know."""


def item_to_json(item: Item) -> dict[str, Any]:
    """One item as a JSON-ready dict."""
    if isinstance(item, UserMessage):
        parts: list[dict[str, Any]] = []
        for part in item.content:
            if isinstance(part, TextPart):
                parts.append({"type": "text", "text": part.text})
            else:
                parts.append({"type": "image", "url": part.url, "media_type": part.media_type})
        return {"type": "user", "content": parts}
    if isinstance(item, AssistantMessage):
        out: dict[str, Any] = {"type": "assistant", "text": item.text}
        if item.provider_data:
            out["provider_data"] = item.provider_data
        return out
    if isinstance(item, Reasoning):
        out = {"type": "reasoning", "text": item.text}
        if item.provider:
            out["provider"] = item.provider
        if item.payload:
            out["payload"] = item.payload
        return out
    if isinstance(item, ToolCall):
        out = {"type": "tool_call", "call_id": item.call_id, "name": item.name, "arguments": item.arguments}
        if item.kind != "function":
            out["kind"] = item.kind
        if item.provider_data:
            out["provider_data"] = item.provider_data
        return out
    if isinstance(item, ToolResult):
        out = {"type": "tool_result", "call_id": item.call_id, "output": item.output}
        if item.is_error:
            out["is_error"] = True
        return out
    raise TypeError(f"not a protocol item: {type(item).__name__}")


def _str(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ItemDecodeError(f"{data.get('type')} item: {key!r} must be a string")
    return value


def _dict(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ItemDecodeError(f"{data.get('type')} item: {key!r} must be an object")
    return value


def item_from_json(data: Any) -> Item:
    """Rebuild an item written by :func:`item_to_json`; raises :class:`ItemDecodeError` on anything else."""
    if not isinstance(data, dict):
        raise ItemDecodeError("an item must be a JSON object")
    kind = data.get("type")
    if kind == "user":
        raw_parts = data.get("content")
        if not isinstance(raw_parts, list):
            raise ItemDecodeError("user item: 'content' must be a list")
        parts: list[TextPart | ImagePart] = []
        for part in raw_parts:
            if not isinstance(part, dict):
                raise ItemDecodeError("user item: content parts must be objects")
            if part.get("type") == "text":
                parts.append(TextPart(_str(part, "text")))
            elif part.get("type") == "image":
                parts.append(ImagePart(_str(part, "url"), _str(part, "media_type", "image/png")))
            else:
                raise ItemDecodeError(f"user item: unknown content part {part.get('type')!r}")
        return UserMessage(tuple(parts))
    if kind == "assistant":
        return AssistantMessage(_str(data, "text"), _dict(data, "provider_data"))
    if kind == "reasoning":
        return Reasoning(_str(data, "text"), _str(data, "provider", ""), _dict(data, "payload"))
    if kind == "tool_call":
        call_kind = data.get("kind", "function")
        if call_kind not in ("function", "custom"):
            raise ItemDecodeError(f"tool_call item: unknown kind {call_kind!r}")
        return ToolCall(
            _str(data, "call_id"),
            _str(data, "name"),
            _str(data, "arguments"),
            call_kind,
            _dict(data, "provider_data"),
        )
    if kind == "tool_result":
        return ToolResult(_str(data, "call_id"), _str(data, "output"), bool(data.get("is_error", False)))
    raise ItemDecodeError(f"unknown item type {kind!r}")


def to_jsonable(value: Any) -> Any:
    """Make an event payload JSON-ready: items via :func:`item_to_json`, other dataclasses as dicts,
    tuples as lists, paths as strings."""
    if isinstance(value, ITEM_TYPES):
        return item_to_json(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, PurePath):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value
