"""Protocol history -> Anthropic ``messages``: alternating, merged, and valid whatever wire API
produced the history.

Rules the API enforces and this module keeps: roles alternate (same-role turns are merged) and
start with ``user``; ``tool_use`` ids match ``^[a-zA-Z0-9_-]+$``; every ``tool_use`` is answered
by a ``tool_result`` in the next user message, results first; empty text blocks are dropped;
thinking blocks go back verbatim with their signatures (other vendors' reasoning is dropped).
"""

from __future__ import annotations

import re
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
from codex_py.providers._history import arguments_object, pair_tool_calls

WIRE = "messages"
_BAD_ID = re.compile(r"[^a-zA-Z0-9_-]")


def tool_id(call_id: str) -> str:
    """A call id the Messages API accepts (``^[a-zA-Z0-9_-]+$``)."""
    if call_id and _BAD_ID.search(call_id) is None:
        return call_id
    return _BAD_ID.sub("_", call_id) or "call_0"


def _image(part: ImagePart) -> dict[str, Any]:
    if part.url.startswith("data:"):
        from codex_py.providers.images import ANTHROPIC_LIMITS, fit

        part = fit(part, ANTHROPIC_LIMITS)
        header, _, data = part.url.partition(",")
        media_type = header[5:].split(";", 1)[0] or part.media_type
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": part.url}}


def _user_blocks(item: UserMessage) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for part in item.content:
        if isinstance(part, TextPart):
            if part.text:
                blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            blocks.append(_image(part))
    return blocks


def _reasoning_block(item: Reasoning) -> dict[str, Any] | None:
    if item.provider != WIRE:
        return None
    if "redacted" in item.payload:
        return {"type": "redacted_thinking", "data": item.payload["redacted"]}
    signature = item.payload.get("signature")
    if not signature:
        return None  # a cut-off thinking block cannot be replayed
    return {"type": "thinking", "thinking": item.text, "signature": signature}


def _block(item: Item) -> tuple[str, list[dict[str, Any]]]:
    if type(item) is UserMessage:
        return "user", _user_blocks(item)
    if type(item) is AssistantMessage:
        return "assistant", [{"type": "text", "text": item.text}] if item.text else []
    if type(item) is Reasoning:
        block = _reasoning_block(item)
        return "assistant", [block] if block else []
    if type(item) is ToolCall:
        return "assistant", [
            {"type": "tool_use", "id": tool_id(item.call_id), "name": item.name, "input": arguments_object(item)}
        ]
    if type(item) is ToolResult:
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_id(item.call_id)}
        if item.images:
            text = [{"type": "text", "text": item.output}] if item.output else []
            result["content"] = [*text, *(_image(image) for image in item.images)]
        elif item.output:
            result["content"] = item.output
        if item.is_error:
            result["is_error"] = True
        return "user", [result]
    payload: dict[str, Any] = getattr(item, "payload", {})
    if getattr(item, "type", "") == "web_search" and getattr(item, "provider", "") == WIRE:
        # server_tool_use + web_search_tool_result, verbatim (encrypted content included) as the API requires
        blocks = payload.get("blocks")
        return "assistant", [dict(b) for b in blocks if isinstance(b, dict)] if isinstance(blocks, list) else []
    return "user", []


def messages_json(items: list[Item]) -> list[dict[str, Any]]:
    """The ``messages`` array for ``items``."""
    messages: list[dict[str, Any]] = []
    for item in pair_tool_calls(items):
        role, blocks = _block(item)
        if not blocks:
            continue
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].extend(blocks)
        else:
            messages.append({"role": role, "content": blocks})
    for message in messages:
        content = message["content"]
        mixed = len(content) > 1 and content[0].get("type") != "tool_result"
        if message["role"] == "user" and mixed and any(b.get("type") == "tool_result" for b in content):
            content.sort(key=lambda b: b.get("type") != "tool_result")  # results first, stable
    if messages and messages[0]["role"] != "user":
        messages.insert(0, {"role": "user", "content": [{"type": "text", "text": "(conversation continued)"}]})
    return messages
