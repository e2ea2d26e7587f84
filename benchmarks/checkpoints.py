"""Checkpoints: the cost of a workspace snapshot (``session/checkpoints.py``) on a 10k-file tree.

Rows: the first snapshot of a fresh store (every file read and stored once), a snapshot with nothing
changed (target <= 150 ms: it runs before every turn that uses tools), one after editing 10 files
(incremental), and planning + restoring an undo of those 10 files.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks import Options
from benchmarks.report import Row, measured
from codex_py.session.checkpoints import CheckpointStore
from codex_py.session.undo import TurnCheckpoint, apply_plan, plan_undo

SECTION = "checkpoints"
FILES, QUICK_FILES = 10_000, 500
TARGET_MS = 150.0


def _tree(root: Path, files: int) -> None:
    per_dir = 100
    for i in range(files):
        folder = root / f"pkg{i // per_dir:03d}"
        if i % per_dir == 0:
            folder.mkdir(parents=True)
        (folder / f"module_{i:05d}.py").write_text(f"# module {i}\n" + "def f():\n    return 1\n" * 20)


def run(options: Options) -> list[Row]:
    files = QUICK_FILES if options.quick else FILES
    first: list[float] = []
    idle: list[float] = []
    edited: list[float] = []
    undo: list[float] = []
    for _ in range(max(1, min(options.repeat, 3))):
        with tempfile.TemporaryDirectory(prefix="codex-py-bench-cp-") as tmp:
            ws = Path(tmp) / "ws"
            _tree(ws, files)
            store = CheckpointStore.for_workspace(Path(tmp) / "data", ws)
            t = time.perf_counter()
            base = store.snapshot("bench")
            first.append((time.perf_counter() - t) * 1000)
            for _ in range(5):
                t = time.perf_counter()
                store.snapshot("bench")
                idle.append((time.perf_counter() - t) * 1000)
            for i in range(10):
                path = ws / f"pkg{i:03d}" / f"module_{i * 100:05d}.py"
                path.write_text(path.read_text() + "# edited\n")
            t = time.perf_counter()
            after = store.snapshot("bench")
            edited.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            plan = plan_undo(store, "bench", [TurnCheckpoint("t", base.commit, after.commit)])
            apply_plan(store, plan)
            undo.append((time.perf_counter() - t) * 1000)
    idle_ms = sorted(idle)[len(idle) // 2]
    return [
        measured(SECTION, f"first snapshot, {files} files", first, "ms"),
        measured(
            SECTION,
            f"snapshot, nothing changed, {files} files",
            idle,
            "ms",
            target=f"<= {TARGET_MS:.0f} ms",
            ok=idle_ms <= TARGET_MS,
        ),
        measured(SECTION, f"snapshot after editing 10 of {files} files", edited, "ms"),
        measured(SECTION, "undo of those 10 files (plan + restore)", undo, "ms"),
    ]
