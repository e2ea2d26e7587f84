"""``python -m benchmarks [--quick] [--only startup,exec,...] [--repeat N] [--out DIR]``.

Runs the sections in one process (ratios are taken within the run), prints one table and writes
``<timestamp>.json``/``.md`` plus ``latest.json``/``.md`` under ``benchmarks/results/`` (or ``--out``).
A section that fails becomes a row saying why; the others still run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from benchmarks import Options
from benchmarks.report import (
    RESULTS_DIR,
    Row,
    format_table,
    measured,
    median,
    missing,
    run_meta,
    write_reports,
)

Section = Callable[[Options], list[Row]]
ROOT = Path(__file__).resolve().parents[1]

TUI_DELTAS, TUI_QUICK_DELTAS, TUI_RATE = 20_000, 300, 4000.0
TUI_MAX_REPEAT = 3
"""A 20k-delta run takes at least 5 s (longer when the app falls behind): three samples are enough."""
_TUI_CHILD = (
    "import asyncio, json, sys; from benchmarks.tui import run; "
    "print(json.dumps(asyncio.run(run(int(sys.argv[1]), float(sys.argv[2]), (120, 40)))))"
)


_TUI_BURST_CHILD = (
    "import asyncio, json, sys; from benchmarks.tui import run_burst; "
    "print(json.dumps(asyncio.run(run_burst(int(sys.argv[1]), (120, 40)))))"
)
_TUI_RESIZE_CHILD = (
    "import asyncio, json, sys; from benchmarks.tui import run_resize; "
    "print(json.dumps(asyncio.run(run_resize(int(sys.argv[1]), (120, 40)))))"
)
RESIZE_LINES, RESIZE_QUICK_LINES = 12_000, 400


def tui_rows(options: Options) -> list[Row]:
    """Adapter for ``benchmarks/tui.py`` (the TUI engineer's): its ``run`` in a fresh child per repeat."""
    from benchmarks.startup import checked, child_env, run_child

    n = TUI_QUICK_DELTAS if options.quick else TUI_DELTAS
    argv = [sys.executable, "-c", _TUI_CHILD, str(n), str(TUI_RATE)]
    env = child_env(Path("/nonexistent"), {"PYTHONPATH": str(ROOT)})
    runs = []
    for _ in range(min(options.repeat, TUI_MAX_REPEAT)):
        out = checked(run_child(argv, env=env, cwd=ROOT, timeout=300), "benchmarks.tui").stdout
        runs.append(json.loads(out.decode().strip().splitlines()[-1]))

    def col(key: str) -> list[float]:
        return [float(r[key]) for r in runs]

    ratio, stall, paint = median(col("ratio")), median(col("max_stall_ms")), median(col("first_paint_ms"))
    kib = runs[0]["answer_kib"]
    return [
        measured("tui", "app start (headless)", col("app_start_ms"), "ms"),
        measured(
            "tui", "first paint after first delta", col("first_paint_ms"), "ms", target="< 700 ms", ok=paint < 700
        ),
        measured(
            "tui",
            f"{n} deltas: render / stream time",
            col("ratio"),
            "x",
            target="<= 1.20",
            ok=ratio <= 1.2,
            note=f"UI done at {median(col('render_s')):.1f} s for a stream paced by the clock at {n / TUI_RATE:.1f} s, "
            f"{kib:.0f} KiB Markdown",
        ),
        measured("tui", "largest event-loop stall", col("max_stall_ms"), "ms", target="< 50 ms", ok=stall < 50),
        measured("tui", "frames while streaming", col("frames"), ""),
        *_tui_burst_and_resize(options, env),
    ]


def _tui_burst_and_resize(options: Options, env: dict[str, str]) -> list[Row]:
    """Keystroke echo during an unpaced burst, and a resize of a long transcript (issue 12's targets)."""
    from benchmarks.startup import checked, run_child

    def child(code: str, arg: int) -> dict[str, float]:
        out = checked(run_child([sys.executable, "-c", code, str(arg)], env=env, cwd=ROOT, timeout=300), "tui")
        figures: dict[str, float] = json.loads(out.stdout.decode().strip().splitlines()[-1])
        return figures

    n = TUI_QUICK_DELTAS if options.quick else TUI_DELTAS
    lines = RESIZE_QUICK_LINES if options.quick else RESIZE_LINES
    repeat = min(options.repeat, TUI_MAX_REPEAT)
    bursts = [child(_TUI_BURST_CHILD, n) for _ in range(repeat)]
    resizes = [child(_TUI_RESIZE_CHILD, lines) for _ in range(repeat)]
    from benchmarks.tui_pty import run_pty_burst

    terminal = [run_pty_burst(n) for _ in range(repeat)]
    p99_terminal = [t["key_p99_ms"] for t in terminal]
    from benchmarks.tui_pty import run_pty_resize

    resize_terminal = [run_pty_resize(lines)["resize_to_composer_ms"] for _ in range(repeat)]
    p99 = [b["key_p99_ms"] for b in bursts]
    resize = [r["resize_to_composer_ms"] for r in resizes]
    return [
        measured(
            "tui",
            f"{n}-delta burst: keystroke echo p99",
            p99,
            "ms",
            target="<= 50 ms",
            ok=median(p99) <= 50,
            note=f"worst {max(b['key_worst_ms'] for b in bursts):.0f} ms; a key every 10 ms while an unpaced burst "
            f"renders ({median([b['burst_s'] for b in bursts]):.1f} s)",
        ),
        measured(
            "tui",
            f"{n}-delta burst in a real terminal: keystroke echo p99",
            p99_terminal,
            "ms",
            target="<= 50 ms",
            ok=median(p99_terminal) <= 50,
            note=f"worst {max(t['key_worst_ms'] for t in terminal):.0f} ms; codex-py in a pty, 60 keys 10 ms apart "
            "from the first answer text, echo = the composer's line reaching the terminal",
        ),
        measured(
            "tui",
            "resize: time to a usable composer",
            resize,
            "ms",
            target="<= 150 ms",
            ok=median(resize) <= 150,
            note=f"{resizes[0]['transcript_lines']:.0f} transcript lines; a key typed after the resize is drawn",
        ),
        measured(
            "tui",
            "resize in a real terminal: time to a usable composer",
            resize_terminal,
            "ms",
            target="<= 150 ms",
            ok=median(resize_terminal) <= 150,
            note=f"codex-py in a pty, an answer of about {lines} lines, 30 columns narrower; until the composer is "
            "drawn at the new width with a key typed right after the resize",
        ),
    ]


SECTIONS: dict[str, str | Section] = {
    "startup": "benchmarks.startup:run",
    "exec": "benchmarks.exec_run:run",
    "peers": "benchmarks.peers:run",
    "decode": "benchmarks.decode:run",
    "tui": tui_rows,
    "memory": "benchmarks.memory:run",
    "scaling": "benchmarks.scaling:run",
    "sandbox": "benchmarks.sandbox:run",
    "mcp": "benchmarks.mcp:run",
    "extensions": "benchmarks.extensions:run",
    "checkpoints": "benchmarks.checkpoints:run",
}


def _load(name: str) -> Section:
    target = SECTIONS[name]
    if callable(target):
        return target
    module, _, attr = target.partition(":")
    fn: Section = getattr(importlib.import_module(module), attr)
    return fn


def run_sections(names: list[str], options: Options, log: Callable[[str], None]) -> list[Row]:
    """Run the named sections in order; a failing section yields one row with its error."""
    rows: list[Row] = []
    for name in names:
        log(f"[{name}] running ...")
        t0 = time.perf_counter()
        try:
            got = _load(name)(options)
        except Exception as exc:  # one broken section must not lose the others' figures
            traceback.print_exc(file=sys.stderr)
            got = [missing(name, f"{name} (section failed)", f"{type(exc).__name__}: {exc}"[:200])]
        log(f"[{name}] done in {time.perf_counter() - t0:.1f} s")
        rows.extend(got)
    compare_with_codex(rows)
    return rows


def _find(rows: list[Row], name: str) -> Row | None:
    return next((r for r in rows if r.name == name and r.value is not None), None)


def compare_with_codex(rows: list[Row]) -> None:
    """Hold exec's one-shot to Codex CLI's: the exec section's interleaved A/B row (issue 17: <= 0.8x) decides."""
    ours = _find(rows, "codex-py exec one-shot")
    interleaved = _find(rows, "exec one-shot / codex (interleaved A/B)")
    if ours is not None and interleaved is not None:
        ours.target, ours.ok = f"{interleaved.target}x codex (A/B row)", interleaved.ok


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one repeat (a smoke run)")
    parser.add_argument("--only", default="", help=f"comma-separated sections: {','.join(SECTIONS)}")
    parser.add_argument("--repeat", type=int, default=None, help="samples per figure (default 5, quick 1)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="where the reports go")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    args.names = names
    return args


def main(argv: list[str] | None = None) -> int:
    """Run, print the table, write the reports; exit 1 when a section failed."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 5)
    options = Options(quick=args.quick, repeat=repeat)
    rows = run_sections(args.names, options, lambda line: print(line, file=sys.stderr, flush=True))
    print(format_table(rows))
    json_path, md_path = write_reports(rows, run_meta(repeat, argv), args.out)
    print(f"\nwrote {md_path} and {json_path}")
    failed = [r for r in rows if r.name.endswith("(section failed)")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
