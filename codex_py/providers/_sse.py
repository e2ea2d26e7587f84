"""Server-Sent Events: events framed by httpx-sse, their JSON parsed by jiter, with stream limits.

``iter_sse_data`` yields the ``data`` of each event as UTF-8 bytes (``jiter`` parses bytes) in the
order httpx-sse frames them: repeated ``data:`` lines joined with ``\\n``, CRLF and bare CR endings
(also split across reads), ``:`` comments, ``event:``/``id:``/``retry:`` fields (not needed: all three
wire APIs repeat the event name as the JSON ``type``) and multi-byte UTF-8 split across reads.

A misbehaving server cannot make it hold unbounded memory or wait forever. httpx-sse itself has no
limits, so the byte chunks pass through a small guard before it, which raises
:class:`StreamLimitError` for a line longer than ``max_event_bytes`` (an unfinished line counts as
it grows), an event longer than that (counted from the read after the previous event, so within
one read), a body longer than ``max_body_bytes``, and a read that arrives past ``deadline`` or more
than ``idle_s`` after the last *event* (``:`` keepalive comments and bytes of an unfinished line do
not count: only a whole event proves the response is moving). The checks run once per read, not per
event. httpx-sse collects a line spanning many reads in a list and joins it once (linear time).

At the end of the body, an event whose last line is complete but which lacks the closing blank line
is still delivered (lenient servers), and so is an unterminated ``data: [DONE]``; an event cut
inside a line is not.
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


_EVENT_STREAM = {"content-type": "text/event-stream; charset=utf-8"}
_DONE_LINES = (b"data: [DONE]", b"data:[DONE]")


async def iter_sse_data(
    chunks: AsyncIterator[bytes],
    *,
    max_event_bytes: int = MAX_EVENT_BYTES,
    max_body_bytes: int | None = None,
    idle_s: float | None = None,
    deadline: float | None = None,
) -> AsyncIterator[bytes]:
    """Yield each event's data from a stream of byte chunks (see the module docstring).

    ``deadline`` is a ``time.monotonic()`` instant. The time limits are checked as reads arrive
    (no timer per read): a stream that goes wholly silent is ended by the HTTP read timeout.
    Raises :class:`StreamLimitError` when a limit is broken."""
    import httpx
    from httpx_sse import EventSource

    end = float("inf") if deadline is None else deadline
    idle = float("inf") if idle_s is None else idle_s
    body_cap = float("inf") if max_body_bytes is None else max_body_bytes
    monotonic = time.monotonic
    got = False  # an event was yielded since the previous read

    async def guarded() -> AsyncIterator[bytes]:
        nonlocal got
        last_event = monotonic()
        body = 0
        line = 0  # bytes of the unfinished last line
        event = 0  # bytes read since the read after the last event
        last = b""  # the stream's last bytes, enough to hold ``data: [DONE]``
        async for chunk in chunks:
            now = monotonic()
            if got:
                got = False
                last_event = now
                event = 0
            elif now - last_event > idle:  # keepalive comments or a trickling line, but no event
                raise StreamLimitError("idle", idle)
            if now > end:
                raise StreamLimitError("deadline", end)
            size = len(chunk)
            body += size
            if body > body_cap:
                raise StreamLimitError("body", body_cap)
            event += size
            cut = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
            line = line + size if cut < 0 else size - cut - 1
            if line > max_event_bytes:
                raise StreamLimitError("line", max_event_bytes)
            if event > max_event_bytes:
                raise StreamLimitError("event", max_event_bytes)
            last = chunk[-12:] if size >= 12 else (last + chunk)[-12:]
            yield chunk
        if last[-1:] in (b"\n", b"\r") or (0 < line <= 12 and last[-line:] in _DONE_LINES):
            yield b"\n\n"  # dispatch a last event whose closing blank line is missing

    source = EventSource(httpx.Response(200, headers=_EVENT_STREAM, content=guarded()))
    events = source.aiter_sse()
    try:
        async for sse in events:
            got = True
            yield sse.data.encode()
    finally:
        await events.aclose()
