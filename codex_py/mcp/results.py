"""A ``CallToolResult`` as the model sees it (Codex's rules) and as ``exec --json`` shows it.

- ``structuredContent`` present: the model gets that JSON as text (the content blocks are dropped);
- else the JSON of the whole ``content`` array (``[{"type":"text","text":...}]``); each image block becomes
  a one-line text block there and the image itself goes back as ``ToolResult.images`` (``model_images``),
  the path ``view_image`` uses: Responses ``input_image`` / Messages ``image`` inside the tool result,
  a user message after the tool messages on Chat. An image that cannot be decoded, and audio, stay a
  one-line placeholder;
- a ``Wall time: X seconds`` / ``Output:`` header first, the body cut head + tail like shell output.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codex_py.protocol.items import ImagePart

IMAGE_OMITTED = "<image content omitted: {mime}, {size} bytes of base64>"
IMAGE_ATTACHED = "<image {index}: {mime}, attached after this output>"


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


def model_images(result: Any) -> list[ImagePart | None]:
    """The result's images as ``ImagePart``s (fitted to 2048 px; None for one that cannot be decoded), in
    content order; empty when ``structuredContent`` is what the model gets."""
    if getattr(result, "structured_content", None) is not None:
        return []
    from codex_py.providers.images import ImageError, encode_image

    images: list[ImagePart | None] = []
    for block in getattr(result, "content", None) or []:
        if getattr(block, "type", None) != "image" or not isinstance(getattr(block, "data", None), str):
            continue
        try:
            images.append(encode_image(base64.b64decode(block.data, validate=True)))
        except (ValueError, ImageError):
            images.append(None)
    return images


def model_text(
    result: Any, *, duration_s: float, cut: Callable[[str], str], images: Sequence[ImagePart | None] = ()
) -> str:
    """What goes back to the model for one call; ``cut`` shortens the body (head + tail, like shell output).

    ``images`` is ``model_images(result)``: a decoded image is named as attached, others as omitted."""
    structured = getattr(result, "structured_content", None)
    if structured is not None:
        body = json.dumps(structured, ensure_ascii=False)
    else:
        blocks = []
        decoded = iter(images)
        attached = 0
        for block in content_json(result):
            if block.get("type") in ("image", "audio") and isinstance(block.get("data"), str):
                mime = block.get("mimeType") or "application/octet-stream"
                part = next(decoded, None) if block["type"] == "image" else None
                if part is not None:
                    attached += 1
                    text = IMAGE_ATTACHED.format(index=attached, mime=part.media_type)
                else:
                    text = IMAGE_OMITTED.format(mime=mime, size=len(block["data"]))
                block = {"type": "text", "text": text}
            blocks.append(block)
        body = json.dumps(blocks, ensure_ascii=False)
    return f"Wall time: {duration_s:.4f} seconds\nOutput:\n{cut(body)}"
