"""SSE encoding shared by the fake provider's dialect renderers."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def dumps(value: Any) -> str:
    """Compact JSON, UTF-8 friendly (no ``\\u`` escapes for non-ASCII)."""
    return _dumps(value)


def named(name: str, data: Any) -> bytes:
    """One SSE event with an ``event:`` line (Responses and Messages style)."""
    return f"event: {name}\ndata: {_dumps(data)}\n\n".encode()


def unnamed(data: Any) -> bytes:
    """One SSE event with only a ``data:`` line (Chat Completions style)."""
    return f"data: {_dumps(data)}\n\n".encode()


@dataclass(slots=True)
class Context:
    """Per-request facts a renderer needs."""

    n: int
    """The request's number (1-based), used to make ids unique and reproducible."""
    model: str
    body: dict[str, Any]
    created: int = field(default_factory=lambda: int(time.time()))

    def include_usage(self) -> bool:
        opts = self.body.get("stream_options")
        return isinstance(opts, dict) and bool(opts.get("include_usage"))


@dataclass(slots=True)
class Rendered:
    """A reply rendered for one dialect: the SSE events (each a complete event) and the non-streaming body."""

    events: list[bytes]
    body: dict[str, Any]
