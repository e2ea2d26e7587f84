"""The provider-neutral vocabulary: conversation items, requests and stream events.

Everything above ``providers/`` speaks only these types; no wire format leaks past them.
"""

from __future__ import annotations

from codex_py.protocol.events import (
    Completed,
    Event,
    ItemDone,
    RateLimits,
    ReasoningDelta,
    StreamError,
    StreamRestart,
    TextDelta,
    ToolCallDelta,
    ToolCallStart,
    Usage,
)
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
from codex_py.protocol.request import ModelRequest, ToolSpec, WebSearchOptions
from codex_py.protocol.types import ErrorKind, StopReason

__all__ = [
    "AssistantMessage",
    "Completed",
    "ErrorKind",
    "Event",
    "ImagePart",
    "Item",
    "ItemDone",
    "ModelRequest",
    "RateLimits",
    "Reasoning",
    "ReasoningDelta",
    "StopReason",
    "StreamError",
    "StreamRestart",
    "TextDelta",
    "TextPart",
    "ToolCall",
    "ToolCallDelta",
    "ToolCallStart",
    "ToolResult",
    "ToolSpec",
    "Usage",
    "UserMessage",
    "WebSearch",
    "WebSearchOptions",
]
