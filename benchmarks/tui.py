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
