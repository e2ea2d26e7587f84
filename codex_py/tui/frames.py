"""When a screen draws its next frame: paced from the last frame, and sooner right after a key.

Textual draws a screen from an update timer that ticks on a fixed 60 Hz grid and pauses itself after each
frame until something is dirty again. Two things in it cost keystroke echo during a burst of output (the
issue's ≤ 50 ms p99 target):

- after a frame that ran late (a big layout while an answer streams), its grid skips one period more than
  needed, so the next frame waits 17-33 ms however much is dirty;
- a key typed by the user waits for the grid like any other change.

``FrameTimer`` replaces that timer on the chat screen (``frame_timer``): a frame comes ``interval`` after
the previous one started, and a key (``draw_soon``) lets it come ``HURRY_GAP_S`` after instead. The hurry
only wakes the timer when the screen resumes it, that is once the screen has taken in the widget the key
changed, so the hurried frame always shows the echo. While a typed key is still on its way to the composer
(``hold``, see ``input_path.py``) no ordinary frame starts: the key's own frame follows at once.

Textual's screen keeps its timer in a private property; when a Textual version lacks what this relies on
(``SUPPORTED`` is false) the screen keeps Textual's own timer and nothing here is used.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual.screen import Screen
from textual.timer import EventTargetGone, Timer

if TYPE_CHECKING:
    from collections.abc import Callable

    from textual.message_pump import MessagePump
    from textual.widget import Widget

HOLD_RECHECK_S = 0.002
"""While ``hold`` says wait, look again this often (a hurry or a resume wakes the timer sooner)."""
HURRY_GAP_S = 0.004
"""Shortest time between two frames when a key asks for one (still well under a frame of work)."""

SUPPORTED = (
    isinstance(Screen.__dict__.get("_update_timer"), property)
    and hasattr(Screen, "_on_timer_update")
    and hasattr(Timer, "_tick")
    and hasattr(Timer, "_run")
)
"""The installed Textual has the screen timer this module replaces."""


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class FrameTimer(Timer):
    """A paused-until-dirty frame timer paced from the last frame, which a key can hurry."""

    def __init__(
        self,
        target: MessagePump,
        interval: float,
        callback: Callable[[], object],
        hold: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(target, interval, name="screen_update", callback=callback, pause=True)
        self._hold = hold
        """True while a frame should wait (a typed key on its way: its own hurried frame comes right after)."""
        self.hurry_gap = HURRY_GAP_S
        self.last_frame = float("-inf")
        """Loop time the last frame started."""
        self._hurried = False
        self.hurries = 0
        """How many times a key asked for a frame (tells one hurry from the next)."""
        self._sleeping: asyncio.Future[None] | None = None

    def next_frame_at(self) -> float:
        """Loop time before which no frame starts (sooner when hurried)."""
        return self.last_frame + (self.hurry_gap if self._hurried else self._interval)

    @property
    def hurried(self) -> bool:
        """A key asked for a frame that has not been drawn yet."""
        return self._hurried

    def hurry(self) -> None:
        """Let the next frame come after ``hurry_gap`` instead of the full interval. Takes effect at the next
        ``resume`` (the screen resumes its timer once it has taken in what changed)."""
        self._hurried = True
        self.hurries += 1

    def resume(self) -> None:
        super().resume()
        if self._hurried and self._sleeping is not None:
            _wake(self._sleeping)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        count = 0
        while True:
            await self._active.wait()
            wait = self.next_frame_at() - loop.time()
            if wait <= 0 and not self._hurried and self._hold is not None and self._hold():
                wait = HOLD_RECHECK_S
            if wait > 0:
                sleeping = self._sleeping = loop.create_future()
                handle = loop.call_later(wait, _wake, sleeping)
                try:
                    await sleeping
                finally:
                    handle.cancel()
                    self._sleeping = None
                continue  # paused, hurried or due meanwhile: look again
            self._hurried = False
            self.last_frame = loop.time()
            count += 1
            try:
                await self._tick(next_timer=self.last_frame, count=count)
            except EventTargetGone:
                break


def start_frame_timer(screen: Screen[Any], interval: float, hold: Callable[[], bool] | None = None) -> FrameTimer:
    """A started, paused ``FrameTimer`` that draws ``screen`` (what ``Screen._update_timer`` makes)."""
    timer = FrameTimer(screen, interval, screen._on_timer_update, hold)
    timer._start()
    screen._timers.add(timer)
    return timer


def draw_soon(widget: Widget) -> None:
    """``widget`` just changed for the user (a key): draw it in the next frame, soon."""
    timer = getattr(widget.screen, "frame_timer", None)
    if isinstance(timer, FrameTimer):
        timer.hurry()
