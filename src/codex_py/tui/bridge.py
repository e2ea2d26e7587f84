"""From the agent's event sink to Textual messages, with deltas coalesced.

The agent calls the sink once per delta, possibly thousands of times a second. Posting a
Textual message per delta would swamp the message queue, so text and reasoning deltas are
appended to a pending run and flushed on a short timer (``interval``, default 1/30 s) as one
merged delta. Any other event flushes the pending deltas first, so order is preserved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from textual.message import Message

from codex_py.agent.events import AgentEvent, AgentReasoningDelta, AgentTextDelta

FLUSH_INTERVAL_S = 1 / 30


@dataclass
class AgentEvents(Message):
    """A batch of agent events, in order (merged deltas included)."""

    events: list[AgentEvent]


class EventBridge:
    """An ``EventSink`` that posts :class:`AgentEvents` messages through ``post``.

    ``post`` is usually a widget's ``post_message``; it must be called on the event loop
    that runs the agent (the sink is always called there).
    """

    __slots__ = ("_break", "_handle", "_interval", "_kind", "_parts", "_post", "_queue")

    def __init__(self, post: Callable[[Message], object], interval: float = FLUSH_INTERVAL_S) -> None:
        self._post = post
        self._interval = interval
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
                self._handle = asyncio.get_running_loop().call_later(self._interval, self.flush)
            return
        self._close_run()
        self._queue.append(event)
        self.flush()

    def _close_run(self) -> None:
        if self._parts:
            text = "".join(self._parts)
            self._parts.clear()
            if self._kind is AgentTextDelta:
                self._queue.append(AgentTextDelta(text))
            else:
                self._queue.append(AgentReasoningDelta(text, self._break))
        self._kind = None
        self._break = False

    def flush(self) -> None:
        """Post everything pending now."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._close_run()
        if self._queue:
            batch, self._queue = self._queue, []
            self._post(AgentEvents(batch))
