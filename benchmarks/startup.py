"""Start-up: ``codex-py --version`` and ``--help`` next to the floors (bare Python, ``import typer``,
``import textual.app``), each a fresh child process, wall time and peak RSS.

``run_child`` is the one way every section runs a process: wall time from spawn to reap, peak RSS
from ``os.wait4`` (the child's own rusage, so runs do not blur into each other) and the moment the
first byte reached its stdout, read unbuffered.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks import Options
from benchmarks.report import Row, measured, median

SECTION = "start-up"


RSS_LAUNCHER = "/usr/bin/time"
"""GNU time: a small process between us and the child, so the child's peak RSS is its own (a child
forked from this process starts with our RSS as its high-water mark, which ``wait4`` would report)."""


@dataclass(slots=True)
class Measured:
    """One child run."""

    wall_s: float
    rss_mb: float | None
    """Peak RSS (only when asked for with ``rss=True``)."""
    returncode: int
    started_at: float
    """``time.monotonic()`` just before the spawn."""
    first_out_at: float | None
    """``time.monotonic()`` when the first stdout byte was read (None: the child printed nothing)."""
    stdout: bytes
    stderr: str


def run_child(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120.0,
    rss: bool = False,
) -> Measured:
    """Run ``argv`` with stdin closed; measure wall time and when stdout first showed output.

    With ``rss=True`` the child runs under ``RSS_LAUNCHER`` to read its peak RSS (about 1 ms more wall
    time, so time such runs separately). Without GNU time, ``wait4``'s figure is used: an upper bound
    that includes this process's RSS.
    """
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        launcher = rss and os.access(RSS_LAUNCHER, os.X_OK)
        full = [RSS_LAUNCHER, "-f", "%M", "-o", rss_file.name, *argv] if launcher else list(argv)
        started = time.monotonic()
        proc = subprocess.Popen(
            full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, env=env, cwd=cwd, bufsize=0
        )
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            assert proc.stdout is not None
            fd = proc.stdout.fileno()
            chunks: list[bytes] = []
            first: float | None = None
            while chunk := os.read(fd, 65536):
                if first is None:
                    first = time.monotonic()
                chunks.append(chunk)
            _, status, usage = os.wait4(proc.pid, 0)
            ended = time.monotonic()
        finally:
            killer.cancel()
            if proc.stdout is not None:
                proc.stdout.close()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        peak: float | None = None
        if launcher:
            lines = rss_file.read().split()
            peak = int(lines[-1]) / 1024 if lines and lines[-1].isdigit() else None
        elif rss:
            peak = usage.ru_maxrss / 1024
    return Measured(ended - started, peak, code, started, first, b"".join(chunks), stderr)


def checked(measure: Measured, what: str) -> Measured:
    """``measure`` if the child succeeded, else a RuntimeError quoting the end of its stderr."""
    if measure.returncode != 0:
        tail = measure.stderr.strip().splitlines()[-3:]
        raise RuntimeError(f"{what} exited {measure.returncode}: {' / '.join(tail)}")
    return measure


def codex_py_argv() -> list[str]:
    """How to start codex-py: the installed console script next to this Python, else ``-m codex_py``."""
    script = Path(sys.executable).with_name("codex-py")
    return [str(script)] if script.exists() else [sys.executable, "-m", "codex_py"]


def child_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a measured child: an isolated ``CODEX_PY_HOME``, no colour, no provider keys.

    ``PYTHONDONTWRITEBYTECODE`` is dropped: a user's first run writes the ``.pyc`` cache and later runs
    read it, so the warm-up run does the same (a changed source file would otherwise be compiled anew in
    every sample: ~60 ms more for exec while the code is being edited)."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update({"CODEX_PY_HOME": str(home), "NO_COLOR": "1", "TERM": "dumb"})
    env.update(extra or {})
    return env


def commands() -> dict[str, list[str]]:
    """The start-up commands, floors first."""
    py = sys.executable
    cli = codex_py_argv()
    return {
        "python -c pass (floor)": [py, "-c", "pass"],
        "python -c 'import typer'": [py, "-c", "import typer"],
        "python -c 'import textual.app'": [py, "-c", "import textual.app"],
        "codex-py --version": [*cli, "--version"],
        "codex-py --help": [*cli, "--help"],
    }


def run(options: Options) -> list[Row]:
    """Measure every start-up command ``options.repeat`` times, interleaved, after one warm-up round."""
    cmds = commands()
    walls: dict[str, list[float]] = {name: [] for name in cmds}
    rss: dict[str, list[float]] = {name: [] for name in cmds}
    with tempfile.TemporaryDirectory(prefix="bench-home-") as tmp:
        env = child_env(Path(tmp))
        for round_ in range(options.repeat + 1):
            for name, argv in cmds.items():
                m = checked(run_child(argv, env=env), name)
                if round_:  # round 0 warms the page cache and writes .pyc files
                    walls[name].append(m.wall_s * 1000)
                    rss[name].append(checked(run_child(argv, env=env, rss=True), name).rss_mb or 0.0)
    floor = median(walls["python -c pass (floor)"])
    rows = []
    for name in cmds:
        note = f"peak RSS {median(rss[name]):.1f} MB"
        if name == "codex-py --version":
            ratio = median(walls[name]) / floor
            rows.append(measured(SECTION, name, walls[name], "ms", target="<= 2x floor", ok=ratio <= 2.0, note=note))
            rows.append(
                measured(
                    SECTION,
                    "--version / floor",
                    [w / floor for w in walls[name]],
                    "x",
                    target="<= 2.00",
                    ok=ratio <= 2.0,
                )
            )
        else:
            rows.append(measured(SECTION, name, walls[name], "ms", note=note))
    return rows
