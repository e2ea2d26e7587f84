"""From the agent's event sink to Textual messages, with deltas coalesced.

The agent calls the sink once per delta, possibly thousands of times a second. Posting a
Textual message per delta would swamp the message queue, so text and reasoning deltas are
appended to a pending run and flushed on a short timer (``interval``, default 1/30 s) as one
merged delta. Any other event flushes the pending deltas first, so order is preserved.

The interval adapts: when the timer fires late, the event loop is busy (a slow frame, a big
layout), so the next batch waits longer and carries more text; on time, it returns to the base.
The UI then never queues more batches than it can draw.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from textual.message import Message

from codex_py.agent.events import AgentEvent, AgentReasoningDelta, AgentTextDelta

FLUSH_INTERVAL_S = 1 / 30
MAX_FLUSH_INTERVAL_S = 0.25
"""However busy the loop, text shows at least four times a second."""


PIECE_CHARS = 4096
"""A merged run longer than this (a burst) is handed over in line-aligned pieces of about this size, so the
screen can render a piece, then let keys and frames through, then the next (about 2-8 ms each)."""


def pieces(text: str, size: int = PIECE_CHARS) -> list[str]:
    """``text`` cut after newlines into pieces of at most ``size`` characters (longer lines are cut anywhere)."""
    if len(text) <= size:
        return [text]
    out: list[str] = []
    start, end_of_text = 0, len(text)
    while start < end_of_text:
        end = end_of_text if end_of_text - start <= size else text.rfind("\n", start, start + size) + 1
        if end <= start:
            end = start + size
        out.append(text[start:end])
        start = end
    return out


def next_interval(base: float, late: float) -> float:
    """The wait before the next batch, given how late (seconds) the last timer fired."""
    if late <= base / 2:
        return base
    return min(MAX_FLUSH_INTERVAL_S, base + 2 * late)


@dataclass
class AgentEvents(Message, bubble=False):
    """A batch of agent events, in order (merged deltas included), for the screen that renders them."""

    events: list[AgentEvent]


class EventBridge:
    """An ``EventSink`` that posts :class:`AgentEvents` messages through ``post``.

    ``post`` is usually a widget's ``post_message``; it must be called on the event loop
    that runs the agent (the sink is always called there).
    """

    __slots__ = ("_base", "_break", "_due", "_handle", "_interval", "_kind", "_parts", "_post", "_queue")

    def __init__(self, post: Callable[[Message], object], interval: float = FLUSH_INTERVAL_S) -> None:
        self._post = post
        self._base = interval
        self._interval = interval
        """The current wait (``next_interval`` of the last lateness)."""
        self._due = 0.0
        self._kind: type | None = None
        self._parts: list[str] = []
        self._break = False
        self._queue: list[AgentEvent] = []
        self._handle: asyncio.TimerHandle | None = None

    def __call__(self, event: AgentEvent) -> None:
        kind = type(event)
        if kind is AgentTextDelta or kind is AgentReasoningDelta:
            if kind is not self._kind or (kind is AgentReasoningDelta and event.section_break):  # type: ignore[union-attr]
                self._close_run()
                self._kind = kind
                self._break = kind is AgentReasoningDelta and event.section_break  # type: ignore[union-attr]
            self._parts.append(event.text)  # type: ignore[union-attr]
            if self._handle is None:
                loop = asyncio.get_running_loop()
                self._due = loop.time() + self._interval
                self._handle = loop.call_later(self._interval, self._on_timer)
            return
        self._close_run()
        self._queue.append(event)
        self.flush()

    def _close_run(self) -> None:
        if self._parts:
            text = "".join(self._parts)
            self._parts.clear()
            for i, piece in enumerate(pieces(text)):
                if self._kind is AgentTextDelta:
                    self._queue.append(AgentTextDelta(piece))
                else:
                    self._queue.append(AgentReasoningDelta(piece, self._break and i == 0))
        self._kind = None
        self._break = False

    @property
    def interval(self) -> float:
        """The current wait between batches of deltas."""
        return self._interval

    def _on_timer(self) -> None:
        self._handle = None
        self._interval = next_interval(self._base, asyncio.get_running_loop().time() - self._due)
        self.flush()

    def flush(self) -> None:
        """Post everything pending now."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._close_run()
        if self._queue:
            batch, self._queue = self._queue, []
            self._post(AgentEvents(batch))
