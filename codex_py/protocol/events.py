"""Stream events: what ``providers.*.stream(request)`` yields.

Deltas are for display only; ``ItemDone`` carries the authoritative item that goes into
history. A stream ends with exactly one ``Completed`` or one ``StreamError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codex_py.protocol.items import Item
from codex_py.protocol.types import ErrorKind, StopReason


@dataclass(slots=True)
class TextDelta:
    text: str


@dataclass(slots=True)
class ReasoningDelta:
    text: str
    section_break: bool = False
    """True when this delta starts a new summary section (show a blank line first)."""


@dataclass(slots=True)
class ToolCallStart:
    call_id: str
    name: str


@dataclass(slots=True)
class ToolCallDelta:
    call_id: str
    delta: str


@dataclass(slots=True)
class ItemDone:
    item: Item


@dataclass(slots=True)
class Usage:
    """Normalized token usage of one response (all counts are tokens)."""

    input_tokens: int = 0
    """All prompt tokens, cached ones included."""
    cached_input_tokens: int = 0
    output_tokens: int = 0
    """All output tokens, reasoning included."""
    reasoning_output_tokens: int = 0
    cache_write_tokens: int = 0

    def accumulate(self, other: Usage) -> None:
        """Add ``other`` into this object in place."""
        self.input_tokens += other.input_tokens
        self.cached_input_tokens += other.cached_input_tokens
        self.output_tokens += other.output_tokens
        self.reasoning_output_tokens += other.reasoning_output_tokens
        self.cache_write_tokens += other.cache_write_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.cached_input_tokens + other.cached_input_tokens,
            self.output_tokens + other.output_tokens,
            self.reasoning_output_tokens + other.reasoning_output_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )


@dataclass(slots=True)
class RateLimits:
    """A snapshot of rate-limit headers, for /status and the status bar."""

    limits: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class StreamRestart:
    """The stream dropped and is being retried whole. Consumers discard everything
    they received since the previous ``StreamRestart`` (or the start)."""

    attempt: int
    max_attempts: int
    reason: str
    delay_s: float


@dataclass(slots=True)
class Completed:
    stop_reason: StopReason
    usage: Usage | None = None
    response_id: str = ""


@dataclass(slots=True)
class StreamError:
    """A failure after retries (or one that must not be retried)."""

    kind: ErrorKind
    message: str
    retryable: bool = False
    status: int | None = None
    request_id: str | None = None
    retry_after_s: float | None = None
    hint: str = ""
    """The next step for the user, e.g. ``run `codex-py login --provider claude```."""


Event = (
    TextDelta
    | ReasoningDelta
    | ToolCallStart
    | ToolCallDelta
    | ItemDone
    | RateLimits
    | StreamRestart
    | Completed
    | StreamError
)


class TurnError(Exception):
    """A model request failed for good (after retries): the turn, or a compaction, ends with ``error``."""

    def __init__(self, error: StreamError) -> None:
        super().__init__(error.message)
        self.error = error
