"""A ``CallToolResult`` as the model sees it (Codex's rules) and as ``exec --json`` shows it.

- ``structuredContent`` present: the model gets that JSON as text (the content blocks are dropped);
- else the JSON of the whole ``content`` array (``[{"type":"text","text":...}]``), images included as
  ``image`` blocks with their mime type but without their data (the wires' tool results carry text);
- a ``Wall time: X seconds`` / ``Output:`` header first, the body cut head + tail like shell output.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

IMAGE_OMITTED = "<image content omitted: {mime}, {size} bytes of base64>"


def content_json(result: Any) -> list[dict[str, Any]]:
    """The result's content blocks as MCP JSON, without ``_meta`` (the exec view)."""
    blocks: list[dict[str, Any]] = []
    for block in getattr(result, "content", None) or []:
        data = block.model_dump(mode="json", by_alias=True, exclude_none=True)
        data.pop("_meta", None)
        blocks.append(data)
    return blocks


def result_json(result: Any) -> dict[str, Any]:
    """``{"content": [...], "structured_content": ...}`` as Codex's ``mcp_tool_call`` item carries it."""
    return {"content": content_json(result), "structured_content": getattr(result, "structured_content", None)}


def model_text(result: Any, *, duration_s: float, cut: Callable[[str], str]) -> str:
    """What goes back to the model for one call; ``cut`` shortens the body (head + tail, like shell output)."""
    structured = getattr(result, "structured_content", None)
    if structured is not None:
        body = json.dumps(structured, ensure_ascii=False)
    else:
        blocks = []
        for block in content_json(result):
            if block.get("type") in ("image", "audio") and isinstance(block.get("data"), str):
                mime = block.get("mimeType") or "application/octet-stream"
                block = {"type": "text", "text": IMAGE_OMITTED.format(mime=mime, size=len(block["data"]))}
            blocks.append(block)
        body = json.dumps(blocks, ensure_ascii=False)
    return f"Wall time: {duration_s:.4f} seconds\nOutput:\n{cut(body)}"
