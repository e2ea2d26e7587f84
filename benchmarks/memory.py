"""Memory: peak RSS of the TUI, fresh and after resuming a 300-turn session (exec's RSS is in ``exec_run``).

Each measurement is a child process (``python -m benchmarks.memory --child ...``) that opens the app
headless with ``App.run_test``, waits until the session is ready (resumed from a synthetic rollout
written with ``RolloutRecorder`` into a temp ``CODEX_PY_HOME``), lets it paint, and reports its peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import Options
from benchmarks.report import Row, measured, median
from benchmarks.startup import checked, child_env, run_child

SECTION = "memory"
TURNS = 300
QUICK_TURNS = 10
READY_TIMEOUT_S = 60.0
SESSION_ID = "0b7e1c2a-0000-4000-8000-00000000be4c"


def write_session(home: Path, workdir: Path, turns: int) -> Path:
    """A rollout of ``turns`` synthetic turns where ``codex-py resume`` looks for it."""
    from benchmarks.scaling import synthetic_turn
    from codex_py.config import resolve_paths
    from codex_py.session.rollout import RolloutRecorder, SessionMeta

    paths = resolve_paths({"CODEX_PY_HOME": str(home)})
    now = _dt.datetime.now()
    path = paths.sessions_dir / f"{now:%Y/%m/%d}" / f"rollout-{now:%Y-%m-%dT%H-%M-%S}-{SESSION_ID}.jsonl"
    meta = SessionMeta(id=SESSION_ID, cwd=str(workdir), provider="fake", model="gpt-fake", cli_version="bench")
    recorder = RolloutRecorder(path, meta)
    for i in range(turns):
        for item in synthetic_turn(i):
            recorder.record_item(item)
    recorder.close()
    return path


async def _child(workdir: Path, resume: bool) -> dict[str, Any]:
    from codex_py.config import CliOverrides, load_config
    from codex_py.session.resume import ResumeTarget
    from codex_py.tui.app import CodexApp

    config = load_config(CliOverrides(cd=workdir, mode="tui"))
    app = CodexApp(config, resume=ResumeTarget(session_id=SESSION_ID) if resume else None)
    t0 = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while app.session is None:
            if time.monotonic() > deadline:
                raise SystemExit("the session never became ready (onboarding or an error on screen?)")
            await asyncio.sleep(0.01)
        ready = time.perf_counter() - t0
        await pilot.pause()
        await pilot.pause()
        history = len(app.session.history)
        cells = len(app.chat.transcript.cells())
    return {"ready_ms": ready * 1000, "history_items": history, "transcript_cells": cells}


def _child_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="one TUI memory measurement (run by the benchmark)")
    parser.add_argument("--child", type=Path, required=True, help="the work dir")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)
    figures = asyncio.run(_child(args.child, args.resume))
    sys.stdout.write(json.dumps(figures) + "\n")


def run(options: Options) -> list[Row]:
    """TUI peak RSS fresh and after resuming a ``TURNS``-turn session, ``options.repeat`` children each."""
    from benchmarks.exec_run import make_workdir, write_config

    turns = QUICK_TURNS if options.quick else TURNS
    samples: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        home = Path(tmp) / "home"
        write_config(home, "http://127.0.0.1:9/v1")  # never contacted: no turn is run
        workdir = make_workdir(Path(tmp))
        rollout = write_session(home, workdir, turns)
        env = child_env(home, {"PYTHONPATH": str(Path(__file__).resolve().parents[1])})
        for _ in range(options.repeat):
            for resume in (False, True):
                argv = [sys.executable, "-m", "benchmarks.memory", "--child", str(workdir)]
                m = checked(
                    run_child([*argv, "--resume"] if resume else argv, env=env, cwd=workdir, rss=True), "TUI child"
                )
                figures = json.loads(m.stdout.decode().strip().splitlines()[-1])
                figures["rss_mb"] = m.rss_mb
                samples[resume].append(figures)
        size_mb = rollout.stat().st_size / 1e6
    fresh, resumed = samples[False], samples[True]
    items = resumed[-1]["history_items"]
    if items != turns * 5:
        raise RuntimeError(f"the resumed session has {items} items, expected {turns * 5}")
    return [
        measured(SECTION, "TUI peak RSS, new session", [f["rss_mb"] for f in fresh], "MB"),
        measured(
            SECTION,
            f"TUI peak RSS, resumed {turns} turns",
            [f["rss_mb"] for f in resumed],
            "MB",
            note=f"rollout {size_mb:.1f} MB, {items} items; {resumed[-1]['transcript_cells']} transcript cells",
        ),
        measured(
            SECTION,
            f"TUI session ready, resumed {turns} turns",
            [f["ready_ms"] for f in resumed],
            "ms",
            note=f"new session: {median([f['ready_ms'] for f in fresh]):.0f} ms",
        ),
    ]


if __name__ == "__main__":
    _child_main(sys.argv[1:])
