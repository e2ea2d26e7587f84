"""A small, allocation-light Server-Sent Events reader over raw byte chunks.

Yields the ``data`` of each event as bytes (``json.loads`` takes bytes directly), joining
repeated ``data:`` lines with ``\\n``. Handles lines split across reads, CRLF and bare CR
endings (also a CR ending one read and its LF starting the next), ``:`` comments and
multi-byte UTF-8 split across reads (lines are cut on the ASCII newline byte, so a multi-byte
character is never split). The ``event:`` name is not needed: all three wire APIs repeat it as
the JSON ``type``.

A misbehaving server cannot make it hold unbounded memory or wait forever: a line or an event
longer than ``max_event_bytes`` and a body longer than ``max_body_bytes`` raise
:class:`StreamLimitError`, and so does a read that arrives past ``deadline`` or more than
``idle_s`` after the last *event* (``:`` keepalive comments and bytes of an unfinished line do
not count: only a whole event proves the response is moving). A line arriving in many reads is
collected in a list and joined once, so a long line costs linear, not quadratic, time.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

MAX_EVENT_BYTES = 16 * 1024 * 1024
"""The largest SSE line or event accepted. The largest legitimate events are a Responses
``response.completed`` / ``output_item.done`` repeating a whole answer or a tool call's arguments
(a patch writing a big file, a base64 image: a few MB at most, the output token limit keeps them
under ~2 MB of text); 16 MiB leaves a wide margin yet stops a line that never ends early."""

_LONG_LINE = 64 * 1024
"""An unfinished line longer than this is collected in a list rather than re-copied at every read."""

LimitKind = Literal["line", "event", "body", "idle", "deadline"]


class StreamLimitError(Exception):
    """The stream broke one of the reader's limits (see the module docstring)."""

    def __init__(self, kind: LimitKind, limit: float) -> None:
        super().__init__(f"{kind} limit {limit:g} exceeded")
        self.kind: LimitKind = kind
        self.limit = limit
        """Bytes for ``line``/``event``/``body``, seconds for ``idle``/``deadline``."""


def _select_loads() -> Callable[[bytes], Any]:
    try:  # jiter (a Rust JSON parser that comes with the openai/anthropic SDKs) is ~4x faster per event
        from jiter import from_json
    except ImportError:  # pragma: no cover - depends on the environment
        return _json_loads

    def fast(data: bytes) -> Any:
        try:
            return from_json(data)
        except ValueError:  # e.g. a lone surrogate escape, which the stdlib accepts
            return _json_loads(data)

    return fast


def _json_loads(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:  # thousands of nested brackets from a broken or hostile server: not JSON we can use
        raise ValueError("JSON nested too deeply") from None


loads = _select_loads()
"""Parse one event's JSON data (raises ``ValueError`` when it is not JSON)."""


async def iter_sse_data(
    chunks: AsyncIterator[bytes],
    *,
    max_event_bytes: int = MAX_EVENT_BYTES,
    max_body_bytes: int | None = None,
    idle_s: float | None = None,
    deadline: float | None = None,
) -> AsyncIterator[bytes]:
    """Yield each event's data from a stream of byte chunks. A final event that is not followed
    by a blank line is still delivered when its last line is complete (lenient servers).

    ``deadline`` is a ``time.monotonic()`` instant. The time limits are checked as reads arrive
    (no timer per read): a stream that goes wholly silent is ended by the HTTP read timeout.
    Raises :class:`StreamLimitError` when a limit is broken."""
    end = float("inf") if deadline is None else deadline
    idle = float("inf") if idle_s is None else idle_s
    body_cap = float("inf") if max_body_bytes is None else max_body_bytes
    monotonic = time.monotonic
    long_line = min(_LONG_LINE, max_event_bytes)
    buf = b""  # the unfinished last line
    long: list[bytes] | None = None  # ... and its later pieces, when it spans several reads
    long_len = 0
    body = 0
    lf_next = False  # the previous read ended with CR: an LF starting this one belongs to it
    data: bytes | None = None
    more: list[bytes] | None = None  # the lines of an event with several ``data:`` lines
    more_len = 0
    last_event = monotonic()
    got = False  # an event was yielded since the previous read
    async for chunk in chunks:
        now = monotonic()
        if got:
            got = False
            last_event = now
        elif now - last_event > idle:  # keepalive comments or a trickling line, but no event
            raise StreamLimitError("idle", idle)
        if now > end:
            raise StreamLimitError("deadline", end)
        body += len(chunk)
        if body > body_cap:
            raise StreamLimitError("body", body_cap)
        if lf_next and chunk:
            lf_next = False
            if chunk[0] == 10:
                chunk = chunk[1:]
        if buf:
            if long is None and (len(buf) < long_line or b"\n" in chunk or b"\r" in chunk):
                chunk = buf + chunk
            else:  # a long line goes on over several reads: collect the pieces, join them once
                if long is None:
                    long = [buf]
                    long_len = len(buf)
                long.append(chunk)
                long_len += len(chunk)
                if long_len > max_event_bytes:
                    raise StreamLimitError("line", max_event_bytes)
                if b"\n" not in chunk and b"\r" not in chunk:
                    continue
                chunk = b"".join(long)
                long = None
        if b"\r" in chunk:
            if chunk[-1] == 13:
                lf_next = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = chunk.split(b"\n")
        buf = lines.pop()  # bounded when it grows on: the long-line path counts it
        for line in lines:
            if not line:
                if data is not None:
                    if more is not None:
                        data = b"\n".join(more)
                        more = None
                    got = True
                    yield data
                    data = None
            elif line[:5] == b"data:":
                value = line[6:] if line[5:6] == b" " else line[5:]
                if data is None:
                    data = value
                else:  # rare: no wire API splits its JSON over lines; keep it linear and bounded
                    if more is None:
                        more = [data]
                        more_len = len(data)
                    more.append(value)
                    more_len += len(value) + 1
                    if more_len > max_event_bytes:
                        raise StreamLimitError("event", max_event_bytes)
            # "event:", "id:", "retry:" and ":" comments carry nothing we need.
    if long is not None:
        buf = b"".join(long)
    if buf.endswith(b"\r"):
        buf = buf[:-1]
    if buf[:5] == b"data:":
        # The last line had no newline at all: an incomplete event, unless it is exactly a
        # sentinel some servers send without a trailing newline.
        value = buf[6:] if buf[5:6] == b" " else buf[5:]
        if value == b"[DONE]":
            if data is None:
                data = value
            elif more is None:
                more = [data, value]
            else:
                more.append(value)
    if more is not None:
        data = b"\n".join(more)
    if data is not None:
        yield data
