"""Small enumerations shared by items and events."""

from __future__ import annotations

from enum import StrEnum


class StopReason(StrEnum):
    """Why the model stopped producing output for one response."""

    END_TURN = "end_turn"
    """The model finished its answer and expects the user next."""
    TOOL_USE = "tool_use"
    """The model asked for one or more tool calls; results are expected."""
    MAX_TOKENS = "max_tokens"
    """The output budget ran out mid-answer."""
    STOP_SEQUENCE = "stop_sequence"
    PAUSE_TURN = "pause_turn"
    """Anthropic paused a long server-side turn; send the turn back to continue."""
    REFUSAL = "refusal"
    CONTENT_FILTER = "content_filter"
    OTHER = "other"


class ErrorKind(StrEnum):
    """Provider-neutral error taxonomy (see providers/_errors.py for the mapping)."""

    AUTHENTICATION = "authentication"
    PERMISSION = "permission"
    RATE_LIMIT = "rate_limit"
    QUOTA = "quota"
    OVERLOADED = "overloaded"
    SERVER = "server"
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "not_found"
    CONTEXT_WINDOW = "context_window"
    NETWORK = "network"
    TIMEOUT = "timeout"
    STREAM = "stream"
    """The stream broke or carried something undecodable."""
