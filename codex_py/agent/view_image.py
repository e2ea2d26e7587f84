"""Codex's ``view_image`` tool: the model looks at an image file (a screenshot, a diagram in the repo).

The file is read in-process, so a path in codex-py's own home needs approval as a shell read of it does;
the image goes back in the tool result in each wire's native form (``ToolResult.images``)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from codex_py.protocol import ToolCall, ToolResult, ToolSpec

if TYPE_CHECKING:
    from codex_py.agent.tools import ToolRunner

NAME = "view_image"
DESCRIPTION = (
    "View a local image from the filesystem (only use if given a full filepath by the user, and the image "
    "isn't already attached to the thread context within <image ...> tags)."
)
PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"path": {"type": "string", "description": "Local filesystem path to an image file"}},
    "required": ["path"],
    "additionalProperties": False,
}


def view_image_spec() -> ToolSpec:
    return ToolSpec(NAME, DESCRIPTION, PARAMETERS)


async def run_view_image(runner: ToolRunner, call: ToolCall, args: dict[str, Any]) -> ToolResult:
    """Read the image at ``args["path"]`` (relative to the workspace) into the result, or say why not."""
    from codex_py.providers.images import ImageError, load_image
    from codex_py.sandbox.approvals import assess_home_read
    from codex_py.sandbox.home_guard import in_codex_home

    path = args.get("path")
    if not isinstance(path, str) or not path.strip():
        return ToolResult(call.call_id, "failed to parse function arguments: `path` must be a non-empty string", True)
    cwd = runner.config.cwd
    if in_codex_home(path, cwd):
        argv = [NAME, path]
        verdict = assess_home_read(runner.config.approval_policy, runner.policy)
        if verdict != "run":
            refused = await runner._home_read_refused(call, argv, cwd, verdict)
            if refused is not None:
                return refused
    try:
        image = await asyncio.to_thread(load_image, path, cwd)
    except ImageError as exc:
        return ToolResult(call.call_id, f"unable to view image: {exc}", is_error=True)
    return ToolResult(call.call_id, f"image {path} ({image.media_type})", images=(image,))
