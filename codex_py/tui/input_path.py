"""Keys first: how a key typed in the terminal reaches the app, and what gives way to it.

Measured in a real terminal (``benchmarks/tui_pty.py``) during an unpaced burst of output, a key took 15-25 ms
just to reach the app, then as long again to reach the composer: each of its four hops (Textual's input thread
→ a task made by ``run_coroutine_threadsafe`` → the app's queue → the composer's queue) waited behind a whole
render slice or frame (5-12 ms each) on the event loop, and the input thread itself waited for the GIL (5 ms
switch interval). Echo p99 was 67-92 ms. Three changes, all here:

- the driver's ``send_message`` posts straight to the app (``call_soon_threadsafe``): one hop fewer;
- the interpreter's switch interval is 1 ms while the app runs, so the input (and output) thread gets the GIL
  soon after the terminal has something for it;
- a typed key is stamped (``app.input_at``) on the input thread; until the composer has it (or
  ``INPUT_FIRST_S`` passed) the chat screen renders no further slice of a burst and starts no ordinary frame,
  so the key's hops run back to back. The composer then asks for a frame at once (``frames.draw_soon``).

Echo p99 after: 28-42 ms (5-run medians of 30-34 ms). ``SUPPORTED`` is false (nothing replaced) with a
Textual whose driver lacks ``send_message``.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from textual import events
from textual.driver import Driver

if TYPE_CHECKING:
    from textual.app import App
    from textual.message import Message

SWITCH_INTERVAL_S = 0.001
INPUT_FIRST_S = 0.05
"""Longest a typed key holds back the rendering of a burst (a key that never reaches the composer, e.g. one a
dialog takes, must not stop the output)."""

SUPPORTED = callable(getattr(Driver, "send_message", None))


def install(app: App[Any]) -> bool:
    """Route the app's terminal input as above; False when this Textual does not allow it (nothing changed)."""
    driver = app._driver
    if driver is None or not SUPPORTED:
        return False
    import asyncio

    loop = asyncio.get_running_loop()
    post = app.post_message
    typed = (events.Key, events.Paste)

    def send_message(message: Message) -> None:  # runs on Textual's input thread
        if isinstance(message, typed):
            app.input_at = time.perf_counter()  # type: ignore[attr-defined]
        loop.call_soon_threadsafe(post, message)

    driver.send_message = send_message  # type: ignore[method-assign]
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    return True


def key_in_flight(app: object) -> bool:
    """A key was typed and has not reached the composer yet (for at most ``INPUT_FIRST_S``)."""
    stamped = getattr(app, "input_at", 0.0)
    return bool(stamped) and time.perf_counter() - stamped < INPUT_FIRST_S


def key_arrived(app: object) -> None:
    """The composer has the key: output may render again."""
    if getattr(app, "input_at", 0.0):
        app.input_at = 0.0  # type: ignore[attr-defined]
