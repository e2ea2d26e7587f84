"""Compaction: when a conversation nears the context window, the model summarizes it for a handoff
and the summary (plus the most recent user messages) replaces the old history.

``Session`` decides when (``should_compact``, before a request) and records the result; this module
does the estimating and the summarizing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from typing import Protocol

from codex_py.protocol.events import Event, ItemDone, StreamError, StreamRestart, TextDelta
from codex_py.protocol.items import AssistantMessage, ImagePart, Item, Reasoning, ToolCall, ToolResult, UserMessage
from codex_py.protocol.request import ModelRequest
from codex_py.protocol.types import ErrorKind

BYTES_PER_TOKEN = 4
ITEM_OVERHEAD_TOKENS = 4
IMAGE_TOKENS = 1_000
MAX_OVERFLOW_RETRIES = 32

SUMMARY_PROMPT = """\
Stop here and write a handoff note: another model will carry on this task with nothing but your note \
and the most recent user messages. Do not call tools. Cover, briefly and concretely:
- the user's goal, constraints and stated preferences;
- what has been done so far and what was decided (files touched, commands run, their results);
- what is still open, and the next steps you would take;
- facts the next model will need: paths, names, values, error messages, open questions.
Reply with the note only."""

SUMMARY_PREFIX = """\
[Context checkpoint] The earlier part of this conversation was compacted to save room. The note below \
was written by the model that did that work: trust it, build on it, and do not redo finished steps.
"""


class StreamingClient(Protocol):
    """The part of ``providers.ModelClient`` compaction needs."""

    def stream(self, request: ModelRequest) -> AsyncIterator[Event]: ...


def _text_bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def estimate_item_tokens(item: Item) -> int:
    """A cheap size estimate of one item (about 4 bytes per token)."""
    if isinstance(item, UserMessage):
        size = 0
        images = 0
        for part in item.content:
            if isinstance(part, ImagePart):
                images += 1
            else:
                size += _text_bytes(part.text)
        return ITEM_OVERHEAD_TOKENS + size // BYTES_PER_TOKEN + images * IMAGE_TOKENS
    if isinstance(item, AssistantMessage):
        size = _text_bytes(item.text)
    elif isinstance(item, Reasoning):
        size = _text_bytes(item.text) + (len(json.dumps(item.payload)) if item.payload else 0)
    elif isinstance(item, ToolCall):
        size = _text_bytes(item.arguments) + len(item.name)
    elif isinstance(item, ToolResult):
        size = _text_bytes(item.output) + len(item.images) * IMAGE_TOKENS * BYTES_PER_TOKEN
    else:  # a web search: its echoed results (encrypted page content) count
        size = len(item.query) + (len(json.dumps(item.payload)) if item.payload else 0)
    return ITEM_OVERHEAD_TOKENS + size // BYTES_PER_TOKEN


def estimate_tokens(items: Iterable[Item]) -> int:
    """A cheap size estimate of a history, in tokens."""
    return sum(estimate_item_tokens(item) for item in items)


def compact_threshold(*, context_window: int | None, ratio: float, limit: int | None) -> int | None:
    """Token count at which to compact: the smaller of ``limit`` and ``ratio`` of the window."""
    candidates = [limit] if limit else []
    if context_window:
        candidates.append(int(context_window * ratio))
    return min(candidates) if candidates else None


def should_compact(used: int, *, context_window: int | None, ratio: float, limit: int | None) -> bool:
    """True when a request carrying ``used`` tokens reaches the compaction threshold."""
    threshold = compact_threshold(context_window=context_window, ratio=ratio, limit=limit)
    return threshold is not None and used >= threshold


def is_summary_message(item: Item) -> bool:
    """True for the user message carrying an earlier compaction's summary."""
    return isinstance(item, UserMessage) and item.text.startswith(SUMMARY_PREFIX)


def recent_user_messages(history: list[Item], budget_tokens: int) -> list[UserMessage]:
    """The newest real user messages fitting in ``budget_tokens`` (text only, chronological);
    the oldest one kept is cut to fit."""
    kept: list[UserMessage] = []
    left = budget_tokens
    for item in reversed(history):
        if left <= 0:
            break
        if not isinstance(item, UserMessage) or is_summary_message(item):
            continue
        text = item.text
        if not text:
            continue
        cost = _text_bytes(text) // BYTES_PER_TOKEN + 1
        if cost > left:
            text = text[: left * BYTES_PER_TOKEN] + "\n[... cut during compaction]"
        kept.append(UserMessage.of(text))
        left -= cost
    kept.reverse()
    return kept


def _drop_oldest(history: list[Item]) -> list[Item]:
    rest = history[1:]
    dropped_calls = {i.call_id for i in history[:1] if isinstance(i, ToolCall)}
    while rest and isinstance(rest[0], ToolResult):
        dropped_calls.add(rest[0].call_id)
        rest = rest[1:]
    return [i for i in rest if not (isinstance(i, (ToolCall, ToolResult)) and i.call_id in dropped_calls)]


async def _summarize(client: StreamingClient, request: ModelRequest) -> str | StreamError:
    texts: list[str] = []
    deltas: list[str] = []
    async for event in client.stream(request):
        if type(event) is TextDelta:
            deltas.append(event.text)
        elif type(event) is ItemDone and isinstance(event.item, AssistantMessage):
            texts.append(event.item.text)
        elif type(event) is StreamRestart:
            texts.clear()
            deltas.clear()
        elif type(event) is StreamError:
            return event
    return ("\n".join(texts) if texts else "".join(deltas)).strip()


async def compact_history(
    client: StreamingClient,
    *,
    model: str,
    instructions: str,
    history: list[Item],
    keep_recent_user_tokens: int = 20_000,
    base: ModelRequest | None = None,
) -> tuple[list[Item], str]:
    """Ask the model for a handoff summary of ``history``; return (new history, summary text).

    The new history is the recent user messages (up to ``keep_recent_user_tokens``) then one user
    message with the prefixed summary. If the summarizing request itself overflows the context,
    the oldest items are dropped until it fits. Failures raise ``protocol.events.TurnError``.
    ``base`` is the session's regular request: the summary request keeps its tools, reasoning and
    cache key, so its prefix is the one the provider has cached (and Messages, which rejects tool
    blocks in a request without tools, accepts it).
    """
    from dataclasses import replace

    from codex_py.protocol.events import TurnError

    template = base or ModelRequest(model=model, instructions=instructions, items=[])
    source = list(history)
    for _ in range(MAX_OVERFLOW_RETRIES):
        request = replace(
            template, items=[*source, UserMessage.of(SUMMARY_PROMPT)], tool_choice="none", output_schema=None
        )
        outcome = await _summarize(client, request)
        if isinstance(outcome, str):
            if not outcome:
                raise TurnError(StreamError(ErrorKind.STREAM, "compaction failed: the model returned no summary"))
            recent: list[Item] = list(recent_user_messages(history, keep_recent_user_tokens))
            return [*recent, UserMessage.of(f"{SUMMARY_PREFIX}\n{outcome}")], outcome
        if outcome.kind is not ErrorKind.CONTEXT_WINDOW or len(source) <= 1:
            raise TurnError(outcome)
        source = _drop_oldest(source)
    raise TurnError(StreamError(ErrorKind.CONTEXT_WINDOW, "compaction failed: the conversation does not fit"))
