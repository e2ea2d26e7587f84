"""What a test scripts for the fake provider: provider-neutral replies, failures and recorded requests.

A test writes a turn once (``Reply``) and the server renders it in whichever wire dialect the client asked
for (Responses, Chat Completions, Anthropic Messages). ``HttpError`` answers with an error status instead.
Options that only make sense for one dialect are prefixed with its name (``chat_*``, ``messages_*``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

_WORDS = re.compile(r"\s*\S+|\s+")


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts. ``input_tokens`` is the whole prompt (OpenAI meaning); on the Messages wire it is split
    into ``input_tokens`` (uncached rest), ``cache_read_input_tokens`` and ``cache_creation_input_tokens``."""

    input_tokens: int = 12
    output_tokens: int = 7
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cache_creation_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class Call:
    """A tool call. ``arguments`` is JSON text for a function tool, free text for ``kind="custom"`` (a Responses
    custom/freeform tool such as apply_patch; other wires receive it as a function call ``{"input": text}``)."""

    name: str
    arguments: str = "{}"
    call_id: str | None = None
    kind: Literal["function", "custom"] = "function"
    fragments: int = 3
    """How many deltas the arguments are split into (fewer if the text is shorter)."""

    def pieces(self) -> list[str]:
        """The argument fragments, in order; joined they give ``arguments`` back."""
        return split_even(self.arguments, self.fragments)

    def function_arguments(self) -> str:
        """The arguments as a function call's JSON text (a custom tool's free text becomes ``{"input": text}``)."""
        return json.dumps({"input": self.arguments}) if self.kind == "custom" else self.arguments

    def function_pieces(self) -> list[str]:
        """``function_arguments()`` split into ``fragments`` deltas."""
        return split_even(self.function_arguments(), self.fragments)


@dataclass(frozen=True, slots=True)
class Search:
    """A web search the provider ran on its side, before the reply's text: a Responses ``web_search_call``
    item (the answer's text carries ``url_citation`` annotations), Messages ``server_tool_use`` +
    ``web_search_tool_result`` blocks (the text carries ``citations_delta`` events). Chat has no search:
    it is left out there."""

    query: str
    results: Sequence[tuple[str, str]] = ()
    """(url, title) of the pages found."""
    cite: bool = True
    """Cite the first result on the answer's text."""
    error: str | None = None
    """Messages: a ``web_search_tool_result_error`` with this code instead of results."""

    def encrypted(self, index: int) -> str:
        """The opaque ``encrypted_content`` of result ``index`` (stable, so a test can look for it echoed)."""
        return f"EncFake{index}_" + self.query.replace(" ", "_")


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Rate-limit response headers: ``x-ratelimit-*`` on OpenAI wires, ``anthropic-ratelimit-*`` on Messages."""

    requests_limit: int = 500
    requests_remaining: int = 499
    tokens_limit: int = 30000
    tokens_remaining: int = 29000
    reset_seconds: float = 1.0


@dataclass(frozen=True, slots=True)
class StreamError:
    """An error sent inside a 200 OK stream, after the reply's content events and instead of its terminal ones.

    Rendered as Responses ``response.failed`` (or an ``error`` event with ``responses_event="error"``), a Chat
    ``data: {"error": ...}`` chunk, and a Messages ``event: error``.
    """

    message: str = "The server had an error while processing your request."
    code: str = "server_error"
    type: str = "api_error"
    """The Anthropic ``error.type`` (e.g. ``overloaded_error``); OpenAI wires use ``code`` and ``type``."""
    responses_event: Literal["failed", "error"] = "failed"


@dataclass(frozen=True, slots=True)
class Reply:
    """One model turn, rendered faithfully in every dialect."""

    text: str = ""
    text_chunks: Sequence[str] | None = None
    """Explicit text deltas (joined they are the text); overrides ``text`` and ``chunk_size``."""
    chunk_size: int | None = None
    """Split ``text`` into deltas of this many characters; by default it is split into words."""
    reasoning: str | Sequence[str] | None = None
    """Reasoning text; a sequence gives several Responses summary parts (joined by blank lines elsewhere)."""
    reasoning_chunk_size: int | None = None
    signature: str | None = None
    """Opaque reasoning token: the Anthropic thinking ``signature`` and the Responses ``encrypted_content``.
    Generated when None."""
    redacted_thinking: str | None = None
    """Messages only: add a ``redacted_thinking`` block with this opaque data."""
    tool_calls: Sequence[Call] = ()
    searches: Sequence[Search] = ()
    """Provider-side web searches, before the text (not rendered on Chat)."""
    usage: Usage | None = field(default_factory=Usage)
    model: str | None = None
    """The model named in the reply; by default the one the request asked for."""
    stop: Literal["auto", "length"] = "auto"
    """``length`` ends as truncated: Responses ``response.incomplete``, Chat ``finish_reason: length``,
    Messages ``stop_reason: max_tokens``."""
    error: StreamError | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    rate_limits: RateLimits | None = None
    # --- transport behaviour
    delay: float = 0.0
    """Seconds to wait before each event (time-to-first-token, cancellation tests)."""
    start_delay: float = 0.0
    """Seconds to wait before sending the response headers."""
    stall_after: int | None = None
    """After this many events, stop sending for ``stall_seconds`` (None: until the client leaves)."""
    stall_seconds: float | None = None
    drop_after: int | None = None
    """Close the connection abruptly after this many events (negative: count from the end, so ``-1`` drops
    just before the last event). The chunked body is left unterminated, as a real network failure would."""
    endless: Literal["text", "line", "keepalive"] | None = None
    """A server that never finishes, from the first text delta on (the reply needs text): ``text`` repeats
    that delta event forever, ``line`` sends ``data: xxx...`` without ever ending the line (instead of the
    delta), ``keepalive`` sends ``: keepalive`` comments forever after it. Each write waits
    ``endless_interval`` seconds; it stops when the client leaves."""
    endless_interval: float = 0.0
    # --- dialect options
    chat_reasoning_field: Literal["reasoning_content", "reasoning"] = "reasoning_content"
    chat_usage: Literal["chunk", "last_choice", "omit"] = "chunk"
    """``chunk``: a final ``choices: []`` chunk when ``stream_options.include_usage`` is asked for (the real
    behaviour); ``last_choice``: usage on the finish chunk always; ``omit``: never."""
    chat_done: bool = True
    """Send ``data: [DONE]`` at the end."""
    chat_finish_reason: bool = True
    """Send a ``finish_reason`` (some servers never do)."""
    messages_pings: int = 1
    """``ping`` events after ``message_start`` (and one more between blocks when > 1)."""

    def text_deltas(self) -> list[str]:
        """The text as the deltas that go on the wire."""
        if self.text_chunks is not None:
            return [c for c in self.text_chunks if c]
        return split_text(self.text, self.chunk_size)

    @property
    def full_text(self) -> str:
        return "".join(self.text_chunks) if self.text_chunks is not None else self.text

    def reasoning_parts(self) -> list[str]:
        """Reasoning as a list of parts (empty when there is none)."""
        if self.reasoning is None:
            return []
        if isinstance(self.reasoning, str):
            return [self.reasoning] if self.reasoning else []
        return [p for p in self.reasoning if p]


@dataclass(frozen=True, slots=True)
class HttpError:
    """An HTTP error answer in the dialect's real body shape (unless ``body`` is given verbatim).

    ``message``/``type``/``code`` default from the status and dialect. ``retry_after`` (seconds) and
    ``retry_after_ms`` become ``Retry-After`` / ``retry-after-ms`` headers.
    """

    status: int
    message: str | None = None
    type: str | None = None
    code: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | bytes | Mapping[str, Any] | None = None
    retry_after: float | None = None
    retry_after_ms: int | None = None
    rate_limits: RateLimits | None = None
    should_retry: bool | None = None
    """Send ``x-should-retry: true|false`` (the official SDKs obey it)."""

    @classmethod
    def context_length(cls) -> HttpError:
        """A 400 saying the prompt is too long (OpenAI code ``context_length_exceeded``; Anthropic's
        ``prompt is too long: N tokens > M maximum``)."""
        return cls(400, code="context_length_exceeded")


class Headers(Mapping[str, str]):
    """Request headers with case-insensitive lookup (repeated headers are joined with ``, ``)."""

    __slots__ = ("_items",)

    def __init__(self, pairs: Sequence[tuple[str, str]] = ()) -> None:
        items: dict[str, tuple[str, str]] = {}
        for name, value in pairs:
            key = name.lower()
            if key in items:
                value = items[key][1] + ", " + value
            items[key] = (name, value)
        self._items = items

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    query: str
    headers: Headers
    body: bytes
    json: Any
    """The parsed JSON body (None when the body is empty or not JSON)."""
    received_at: float
    """``time.time()`` when the request line arrived."""
    monotonic: float
    dialect: str
    """``responses``, ``chat``, ``messages``, ``models`` or ``unknown``."""
    client_port: int = 0
    """The client's source port: requests sharing it came over one keep-alive connection."""

    @property
    def stream(self) -> bool:
        return isinstance(self.json, dict) and bool(self.json.get("stream"))


Script = Reply | HttpError | Callable[[RecordedRequest], "Reply | HttpError"]


def split_text(text: str, size: int | None) -> list[str]:
    """Split text into deltas of ``size`` characters, or into words (with their leading spaces)."""
    if not text:
        return []
    if size is None:
        return _WORDS.findall(text)
    if size <= 0:
        raise ValueError("chunk_size must be positive")
    return [text[i : i + size] for i in range(0, len(text), size)]


def split_even(text: str, parts: int) -> list[str]:
    """Split text into at most ``parts`` non-empty pieces of near-equal length (``[""]`` for empty text)."""
    if not text:
        return [""]
    parts = max(1, min(parts, len(text)))
    step, extra = divmod(len(text), parts)
    out: list[str] = []
    start = 0
    for i in range(parts):
        end = start + step + (1 if i < extra else 0)
        out.append(text[start:end])
        start = end
    return out
