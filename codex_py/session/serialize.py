"""Protocol items to and from JSON, losslessly (rollouts, compaction records).

The JSON shape is ours (it is not a wire format): ``{"type": <item type>, ...fields}``,
with default-valued optional fields left out to keep rollout lines short.
``item_from_json(item_to_json(x)) == x`` holds for every protocol item.
"""

from __future__ import annotations

import dataclasses
import logging
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
    WebSearch,
)

log = logging.getLogger(__name__)

ITEM_TYPES = (UserMessage, AssistantMessage, Reasoning, ToolCall, ToolResult, WebSearch)


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
                parts.append(_image_to_json(part))
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
        if item.images:
            out["images"] = [_image_to_json(image) for image in item.images]
        return out
    if isinstance(item, WebSearch):
        out = {"type": "web_search", "call_id": item.call_id, "query": item.query}
        if item.urls:
            out["urls"] = list(item.urls)
        if item.action != "search":
            out["action"] = item.action
        if item.provider:
            out["provider"] = item.provider
        if item.payload:
            out["payload"] = item.payload
        if item.error:
            out["error"] = item.error
        return out
    raise TypeError(f"not a protocol item: {type(item).__name__}")


def _image_to_json(part: ImagePart) -> dict[str, Any]:
    """An image read from a file is kept as a reference (path + hash), not megabytes of base64."""
    if part.path and part.sha256:
        return {"type": "image", "path": part.path, "sha256": part.sha256, "media_type": part.media_type}
    return {"type": "image", "url": part.url, "media_type": part.media_type}


def _image_from_json(part: dict[str, Any]) -> ImagePart | str:
    """An image part back; one recorded by reference is read again from its file. When that file is gone
    or changed, the text to send instead (the model is told, the user sees it in the transcript)."""
    if "url" in part or "path" not in part:
        return ImagePart(
            _str(part, "url"),
            _str(part, "media_type", "image/png"),
            path=_str(part, "path", ""),
            sha256=_str(part, "sha256", ""),
        )
    from codex_py.providers.images import ImageError, placeholder, reload_image

    path, digest = _str(part, "path"), _str(part, "sha256", "")
    try:
        return reload_image(path, digest)
    except ImageError as exc:
        log.warning("resume: %s", exc)
        return placeholder(path, str(exc))


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
                image = _image_from_json(part)
                parts.append(TextPart(image) if isinstance(image, str) else image)
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
        output = _str(data, "output")
        images: list[ImagePart] = []
        raw_images = data.get("images", [])
        for raw in raw_images if isinstance(raw_images, list) else []:
            if isinstance(raw, dict):
                image = _image_from_json(raw)
                if isinstance(image, str):
                    output = f"{output}\n{image}" if output else image
                else:
                    images.append(image)
        return ToolResult(_str(data, "call_id"), output, bool(data.get("is_error", False)), images=tuple(images))
    if kind == "web_search":
        urls = data.get("urls", [])
        return WebSearch(
            _str(data, "call_id"),
            _str(data, "query", ""),
            tuple(u for u in urls if isinstance(u, str)) if isinstance(urls, list) else (),
            _str(data, "action", "search"),
            _str(data, "provider", ""),
            _dict(data, "payload"),
            _str(data, "error", ""),
        )
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
