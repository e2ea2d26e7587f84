"""Keystroke echo in a real terminal while an unpaced burst renders: ``codex-py`` in a pseudo-terminal.

    python -m benchmarks.tui_pty

The headless row (``benchmarks/tui.py``) times the app's own frames; this one times what a terminal receives:
the app runs in a pty as a user runs it (its input thread, its writer thread, the terminal's bytes), the fake
provider answers the prompt with 20,000 deltas at once, and a key (``Q``) is written to the terminal every
10 ms from the first answer text on. A key's echo is the first output after it holding as many ``Q`` in a row
as were typed (the composer's line is redrawn whole).
"""

from __future__ import annotations

import os
import re
import select
import signal
import struct
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.exec_run import BenchFake, make_workdir, write_config
from benchmarks.startup import child_env, codex_py_argv
from tests.support.replies import Reply

KEY = b"Q"
_STYLE = rb"(?:\x1b\[[0-9;]*m)*"
BOX_TOP = re.compile("╭".encode() + _STYLE + b"((?:" + "─".encode() + b")+)" + _STYLE + "╮".encode())
"""A box's top border without a title (the composer's; the session header's has one), styles allowed around."""


def box_widths(out: bytes) -> set[int]:
    """The widths (in ─) of the untitled box tops in ``out``."""
    return {len(run) // len("─".encode()) for run in BOX_TOP.findall(out)}


READY = b"context left"
"""Part of the status bar: the app is drawn."""


@contextmanager
def app_in_pty(reply: Reply, size: tuple[int, int]) -> Iterator[tuple[int, list[tuple[float, bytes]]]]:
    """codex-py in a pseudo-terminal of ``size`` against a fake answering ``reply``: (the pty's master fd, the
    timed chunks of output read so far). The app is drawn when this yields; it is killed afterwards."""
    import fcntl
    import pty
    import termios

    with tempfile.TemporaryDirectory(prefix="bench-pty-") as tmp, BenchFake() as fake:
        root = Path(tmp)
        write_config(root / "home", fake.base_url)
        work = make_workdir(root)
        fake.script(reply)
        env = {**child_env(root / "home"), "TERM": "xterm-256color"}  # the size comes from the pty, not COLUMNS
        argv = [*codex_py_argv(), "-s", "read-only", "-a", "never"]
        pid, fd = pty.fork()
        if pid == 0:  # the child: the terminal's size first, then the app
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
            os.chdir(work)
            os.execve(argv[0], argv, env)
        chunks: list[tuple[float, bytes]] = []
        done = threading.Event()

        def read() -> None:
            while not done.is_set():
                ready, _, _ = select.select([fd], [], [], 0.05)
                if not ready:
                    continue
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    return
                if not data:
                    return
                chunks.append((time.perf_counter(), data))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            _wait(chunks, lambda out: READY in out, 20.0, "the app never drew its status bar")
            yield fd, chunks
        finally:
            done.set()
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(fd)


def run_pty_burst(
    n: int = 20_000, size: tuple[int, int] = (120, 40), keys: int = 60, key_every_s: float = 0.01
) -> dict[str, float]:
    """One run; the figures: keys typed and echoed, echo p99 and worst (ms), and how long the burst rendered."""
    from benchmarks.tui import make_deltas

    with app_in_pty(Reply(text_chunks=make_deltas(n)), size) as (fd, chunks):
        start = len(chunks)
        os.write(fd, b"go\r")
        _wait(chunks, lambda out: b"the agent" in out, 20.0, "no answer text arrived", start)
        t0 = time.perf_counter()
        sent: list[float] = []
        for _ in range(keys):
            sent.append(time.perf_counter())
            os.write(fd, KEY)
            time.sleep(key_every_s)
        _wait(chunks, lambda out: KEY * keys in out, 20.0, "not every key was echoed", start)
        echoes = _echo_times(chunks, sent)
        _wait(chunks, lambda out: b"Tokens:" in out, 30.0, "the turn never ended", start)
        t_done = max(t for t, _ in chunks)
    latencies = sorted((echo - typed) * 1000 for typed, echo in zip(sent, echoes, strict=True))
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return {"keys": len(latencies), "key_p99_ms": p99, "key_worst_ms": latencies[-1], "burst_s": t_done - t0}


def run_pty_resize(lines: int = 12_000, size: tuple[int, int] = (120, 40)) -> dict[str, float]:
    """A transcript of an answer of about ``lines`` lines, then the terminal is made 30 columns narrower and a key
    typed at once: the time from the resize to that key's echo reaching the terminal (a usable composer)."""
    import fcntl
    import termios

    from benchmarks.tui import WORDS

    paragraph = " ".join(WORDS) + "\n\n"  # about two lines at 120 columns
    answer = paragraph * (lines // 3)
    with app_in_pty(Reply(text=answer, chunk_size=8192), size) as (fd, chunks):
        start = len(chunks)
        os.write(fd, b"go\r")
        _wait(chunks, lambda out: b"Tokens:" in out, 120.0, "the long answer never finished", start)
        time.sleep(1.0)  # the answer's blocks measured, the app idle
        widest = max(box_widths(b"".join(data for _, data in chunks)))  # the composer's box
        start = len(chunks)
        t0 = time.perf_counter()
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0] - 30, 0, 0))  # SIGWINCH to the app
        os.write(fd, KEY)
        # usable: the composer drawn at the new width, and the key in it (the same frame, or a later one)
        _wait(chunks, lambda out: widest - 30 in box_widths(out), 20.0, "no composer at the new width", start)
        laid_out = next(
            i
            for i in range(start, len(chunks))
            if widest - 30 in box_widths(b"".join(d for _, d in chunks[start : i + 1]))
        )
        _wait(chunks, lambda out: KEY in out, 20.0, "the key typed after the resize was never echoed", laid_out)
        echo = next(t for t, data in chunks[laid_out:] if KEY in data)
    return {"resize_to_composer_ms": (echo - t0) * 1000}


def _wait(chunks: list[tuple[float, bytes]], condition: object, timeout: float, what: str, start: int = 0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition(b"".join(data for _, data in chunks[start:])):  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise RuntimeError(what)


def _echo_times(chunks: list[tuple[float, bytes]], sent: list[float]) -> list[float]:
    """For each typed key, when the first output after it showed that many ``Q`` in a row."""
    echoes: list[float] = []
    for count, typed in enumerate(sent, 1):
        run = KEY * count
        echo = next((t for t, data in chunks if t >= typed and run in data), None)
        if echo is None:  # the run split over two reads
            joined = [(t, data) for t, data in chunks if t >= typed]
            for i in range(len(joined)):
                if run in b"".join(d for _, d in joined[: i + 1]):
                    echo = joined[i][0]
                    break
        if echo is None:
            raise RuntimeError(f"key {count} was never echoed")
        echoes.append(echo)
    return echoes


def main() -> None:
    for _ in range(3):
        print(run_pty_burst(), run_pty_resize())


if __name__ == "__main__":
    main()
