"""A small, allocation-light Server-Sent Events reader over raw byte chunks.

Yields the ``data`` of each event as bytes (``json.loads`` takes bytes directly), joining
repeated ``data:`` lines with ``\\n``. Handles lines split across reads, CRLF and bare CR
endings, ``:`` comments and multi-byte UTF-8 split across reads (lines are cut on the ASCII
newline byte, so a multi-byte character is never split). The ``event:`` name is not needed:
all three wire APIs repeat it as the JSON ``type``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any


def _select_loads() -> Callable[[bytes], Any]:
    try:  # jiter (a Rust JSON parser that comes with the openai/anthropic SDKs) is ~4x faster per event
        from jiter import from_json
    except ImportError:  # pragma: no cover - depends on the environment
        return _json_loads

    def fast(data: bytes) -> Any:
        try:
            return from_json(data)
        except ValueError:  # e.g. a lone surrogate escape, which the stdlib accepts
            return json.loads(data.decode("utf-8"))

    return fast


def _json_loads(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))


loads = _select_loads()
"""Parse one event's JSON data (raises ``ValueError`` when it is not JSON)."""


async def iter_sse_data(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Yield each event's data from a stream of byte chunks. A final event that is not followed
    by a blank line is still delivered when its last line is complete (lenient servers)."""
    buf = b""
    data: bytes | None = None
    async for chunk in chunks:
        if buf:
            chunk = buf + chunk
        if b"\r" in chunk:
            if chunk[-1] == 13:  # a lone CR may be the first half of CRLF: wait for the next read
                buf = chunk
                continue
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = chunk.split(b"\n")
        buf = lines.pop()
        for line in lines:
            if not line:
                if data is not None:
                    yield data
                    data = None
            elif line[:5] == b"data:":
                value = line[6:] if line[5:6] == b" " else line[5:]
                data = value if data is None else data + b"\n" + value
            # "event:", "id:", "retry:" and ":" comments carry nothing we need.
    if buf.endswith(b"\r"):
        buf = buf[:-1]
    if buf[:5] == b"data:":
        # The last line had no newline at all: an incomplete event, unless it is exactly a
        # sentinel some servers send without a trailing newline.
        value = buf[6:] if buf[5:6] == b" " else buf[5:]
        if value == b"[DONE]":
            data = value if data is None else data + b"\n" + value
    if data is not None:
        yield data
