"""Stream 20k deltas through the TUI headless and measure how well it keeps up.

    python -m benchmarks.tui [--deltas 20000] [--rate 4000]

The stream is paced like a fast model (``--rate`` deltas per second, delivered every millisecond or so) and
goes through the real path: the agent event sink (the coalescing bridge), Textual messages, the
transcript renderer and the answer widget. Reported:

- first paint: from the first delta to the first frame showing answer text;
- total render time vs the stream's own time (``deltas / rate``): from the first delta until the whole
  answer is rendered and a frame was drawn after it (target: within 1.2x of the stream). The feeder
  shares the app's event loop but is paced by the clock, so a UI that falls behind cannot slow it down
  and hide the lag;
- the largest event-loop stall, seen by a ticker task that asks to wake every 5 ms (target < 50 ms);
- frames drawn while streaming.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from codex_py.agent.events import AgentMessage, AgentTextDelta, TurnCompleted, TurnStarted

TEXT = (
    "the agent reads files runs commands and edits code while the user watches "
    "streaming markdown with `inline code` and **bold** words in long paragraphs"
)
WORDS = TEXT.split(" ")


def make_deltas(n: int) -> list[str]:
    """``n`` deltas of Markdown: paragraphs, bullet lists and fenced code blocks."""
    out: list[str] = []
    for i in range(n):
        word = WORDS[i % len(WORDS)]
        if i % 400 == 399:
            out.append(f"\n\n```python\nprint('block {i}')\n```\n\n")
        elif i % 120 == 119:
            out.append("\n\n- item " + word)
        elif i % 60 == 59:
            out.append(".\n\n")
        else:
            out.append(word + " ")
    return out


async def run(n: int, rate: float, size: tuple[int, int]) -> dict[str, float]:
    """Run the benchmark once; returns the figures."""
    from codex_py.config import CliOverrides, load_config
    from codex_py.tui.app import CodexApp
    from codex_py.tui.widgets.assistant_message import AssistantMessage

    with tempfile.TemporaryDirectory() as home:
        import os

        os.environ["CODEX_PY_HOME"] = home
        config = load_config(CliOverrides(cd=Path(home), model="gpt-bench"))
        app = CodexApp(config, connect=False)
        deltas = make_deltas(n)
        full = "".join(deltas)
        frames = 0
        first_text_frame: float | None = None
        answer_box: list[AssistantMessage] = []

        t_app = time.perf_counter()
        async with app.run_test(size=size) as pilot:
            t_ready = time.perf_counter()
            original_display = app._display

            def counting_display(*args: object, **kwargs: object) -> None:
                nonlocal frames, first_text_frame
                frames += 1
                if first_text_frame is None and answer_box and answer_box[0].source:
                    first_text_frame = time.perf_counter()
                original_display(*args, **kwargs)  # type: ignore[arg-type]

            app._display = counting_display  # type: ignore[method-assign]

            stall = 0.0
            stop = False

            async def ticker() -> None:
                nonlocal stall
                while not stop:
                    before = time.perf_counter()
                    await asyncio.sleep(0.005)
                    stall = max(stall, time.perf_counter() - before - 0.005)

            tick_task = asyncio.create_task(ticker())
            sink = app.sink
            sink(TurnStarted("bench"))
            await pilot.pause()
            t0 = time.perf_counter()
            sent = 0
            while sent < n:
                # Paced by the clock like a network stream: every wake-up delivers what has arrived
                # meanwhile, so a slow UI makes bursts bigger instead of slowing the producer down.
                due = min(n, int((time.perf_counter() - t0) * rate) + 1)
                for text in deltas[sent:due]:
                    sink(AgentTextDelta(text))
                sent = max(sent, due)
                if not answer_box:
                    answer_box.extend(app.chat.transcript.query(AssistantMessage).results())
                await asyncio.sleep(0.001)
            t_stream_end = time.perf_counter()
            sink(AgentMessage(full))
            sink(TurnCompleted(full))
            if not answer_box:
                await pilot.pause()
                answer_box.extend(app.chat.transcript.query(AssistantMessage).results())
            answer = answer_box[0]
            while answer.source != full or app.chat.renderer.running:
                await asyncio.sleep(0.002)
            await pilot.pause()
            t_done = time.perf_counter()
            stop = True
            await tick_task
        stream_s = t_stream_end - t0
        paced_s = n / rate
        render_s = t_done - t0
        return {
            "deltas": n,
            "answer_kib": len(full) / 1024,
            "app_start_ms": (t_ready - t_app) * 1000,
            "first_paint_ms": ((first_text_frame or t_done) - t0) * 1000,
            "stream_s": stream_s,
            "render_s": render_s,
            "paced_s": paced_s,
            "ratio": render_s / paced_s,
            "max_stall_ms": stall * 1000,
            "frames": frames,
        }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deltas", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=4000.0, help="deltas per second")
    parser.add_argument("--width", type=int, default=120)
    parser.add_argument("--height", type=int, default=40)
    args = parser.parse_args()
    figures = asyncio.run(run(args.deltas, args.rate, (args.width, args.height)))
    print(
        f"{figures['deltas']:.0f} deltas ({figures['answer_kib']:.0f} KiB of Markdown)\n"
        f"app start:          {figures['app_start_ms']:.0f} ms\n"
        f"first paint:        {figures['first_paint_ms']:.0f} ms after the first delta (target < 700 ms)\n"
        f"stream time:        {figures['stream_s']:.2f} s (paced for {figures['paced_s']:.2f} s)\n"
        f"render done after:  {figures['render_s']:.2f} s  = {figures['ratio']:.2f}x the stream (target <= 1.2x)\n"
        f"largest stall:      {figures['max_stall_ms']:.1f} ms (target < 50 ms)\n"
        f"frames:             {figures['frames']:.0f}"
    )


if __name__ == "__main__":
    main()


BURST_CHUNK = 1000
"""Deltas decoded per event-loop turn in a burst: about one 256 KiB socket read of SSE events."""


async def run_burst(
    n: int, size: tuple[int, int], key_every_s: float = 0.01, trace: dict[str, list[float]] | None = None
) -> dict[str, float]:
    """An unpaced burst of ``n`` deltas (a network hiccup releases buffered tokens) while the user types.

    A thread posts a key every ``key_every_s`` the way Textual's input thread does; each key's latency is
    the time until a frame is drawn with it in the composer (the echo the user sees). ``trace``, when given,
    receives the raw times (``sent``, ``echoed``, ``done`` = burst start and end) to line up with a timeline of
    the event loop's callbacks when a key is slow.
    """
    import threading

    from textual import events

    from codex_py.config import CliOverrides, load_config
    from codex_py.tui.app import CodexApp
    from codex_py.tui.widgets.assistant_message import AssistantMessage

    with tempfile.TemporaryDirectory() as home:
        import os

        os.environ["CODEX_PY_HOME"] = home
        app = CodexApp(load_config(CliOverrides(cd=Path(home), model="gpt-bench")), connect=False)
        deltas = make_deltas(n)
        full = "".join(deltas)
        sent: list[float] = []
        echoed: list[float] = []
        async with app.run_test(size=size) as pilot:
            loop = asyncio.get_running_loop()
            composer = app.chat.composer
            original_display = app._display

            def timed_display(*args: object, **kwargs: object) -> None:
                original_display(*args, **kwargs)  # type: ignore[arg-type]
                now = time.perf_counter()
                while len(echoed) < len(composer.text):  # each typed key is one character in the composer
                    echoed.append(now)

            app._display = timed_display  # type: ignore[method-assign]
            stop = threading.Event()

            def typist() -> None:
                while not stop.wait(key_every_s):
                    sent.append(time.perf_counter())
                    loop.call_soon_threadsafe(app.post_message, events.Key("x", "x"))

            sink = app.sink
            sink(TurnStarted("bench"))
            await pilot.pause()
            await asyncio.sleep(0.5)  # the user types a prompt meanwhile: the Markdown warm-up is done
            thread = threading.Thread(target=typist, daemon=True)
            thread.start()
            t0 = time.perf_counter()
            for start in range(0, n, BURST_CHUNK):
                for text in deltas[start : start + BURST_CHUNK]:
                    sink(AgentTextDelta(text))
                await asyncio.sleep(0)
            sink(AgentMessage(full))
            sink(TurnCompleted(full))
            await pilot.pause()
            answer = app.chat.transcript.query(AssistantMessage).results()
            while next(answer).source != full or app.chat.renderer.running:
                await asyncio.sleep(0.002)
                answer = app.chat.transcript.query(AssistantMessage).results()
            t_done = time.perf_counter()
            await asyncio.sleep(0.1)
            stop.set()
            thread.join()
            await pilot.pause()
        if trace is not None:
            trace.update(sent=sent, echoed=echoed, done=[t0, t_done])
        count = min(len(sent), len(echoed))
        latencies = sorted((echoed[i] - sent[i]) * 1000 for i in range(count))
        during = [lat for i, lat in enumerate((echoed[j] - sent[j]) * 1000 for j in range(count)) if sent[i] <= t_done]
        worst = max(during or latencies or [0.0])
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
        return {"keys": count, "burst_s": t_done - t0, "key_p99_ms": p99, "key_worst_ms": worst}


async def run_resize(lines: int, size: tuple[int, int]) -> dict[str, float]:
    """A transcript of two long answers (``lines`` lines in all), then the terminal is resized: how long until
    the composer is usable again (a key typed right after the resize is drawn in it)."""
    from textual import events

    from codex_py.config import CliOverrides, load_config
    from codex_py.tui.app import CodexApp
    from codex_py.tui.widgets.assistant_message import AssistantMessage

    paragraph = " ".join(WORDS) + "\n\n"  # about two lines at 120 columns
    answer = paragraph * (lines // 4)
    with tempfile.TemporaryDirectory() as home:
        import os

        os.environ["CODEX_PY_HOME"] = home
        app = CodexApp(load_config(CliOverrides(cd=Path(home), model="gpt-bench")), connect=False)
        async with app.run_test(size=size) as pilot:
            for _ in range(2):
                await app.chat.transcript.mount(AssistantMessage(answer))
            await pilot.pause()
            for widget in app.chat.transcript.query(AssistantMessage):
                widget.measure_all()
            await pilot.pause()
            total = app.chat.transcript.total_lines()
            drawn: list[float] = []
            original_display = app._display

            def timed_display(*args: object, **kwargs: object) -> None:
                original_display(*args, **kwargs)  # type: ignore[arg-type]
                if app.chat.composer.text and app.chat.composer.size.width < size[0] - 10:  # laid out anew
                    drawn.append(time.perf_counter())

            app._display = timed_display  # type: ignore[method-assign]
            new_width = size[0] - 30
            t0 = time.perf_counter()
            resizing = asyncio.create_task(pilot.resize_terminal(new_width, size[1]))  # waits for idle: not awaited
            while app.size.width != new_width:
                await asyncio.sleep(0)
            app.post_message(events.Key("x", "x"))
            while not drawn:
                await asyncio.sleep(0.001)
            await resizing
        return {"transcript_lines": total, "resize_to_composer_ms": (drawn[0] - t0) * 1000}
