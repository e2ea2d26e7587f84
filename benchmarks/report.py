"""Benchmark results: one ``Row`` per figure, printed as a table and written as JSON and Markdown.

Every section returns rows; a row carries its median, the spread over the repeats, the target it is
held to and whether it met it (``None`` when the row has no target or could not be measured).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(slots=True)
class Row:
    """One measured figure."""

    section: str
    name: str
    value: float | None
    """The median (None: not measured, see ``note``)."""
    unit: str = ""
    spread: str = ""
    """min-max over the repeats, in the same unit."""
    target: str = ""
    ok: bool | None = None
    note: str = ""
    samples: list[float] = field(default_factory=list)


def median(samples: Sequence[float]) -> float:
    """The median of ``samples`` (NaN when there are none)."""
    return statistics.median(samples) if samples else float("nan")


def fmt(value: float | None, unit: str = "") -> str:
    """A figure with a sensible number of digits."""
    if value is None or value != value:
        return "-"
    mag = abs(value)
    if unit == "x":
        text = f"{value:.2f}"
    elif mag >= 100:
        text = f"{value:,.0f}"
    elif mag >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".rstrip()


def measured(
    section: str,
    name: str,
    samples: Sequence[float],
    unit: str,
    *,
    target: str = "",
    ok: bool | None = None,
    note: str = "",
) -> Row:
    """A row holding the median of ``samples`` and their min-max spread."""
    values = [float(s) for s in samples]
    spread = f"{fmt(min(values))}-{fmt(max(values))}" if len(values) > 1 else ""
    return Row(section, name, median(values) if values else None, unit, spread, target, ok, note, values)


def missing(section: str, name: str, note: str, *, target: str = "") -> Row:
    """A row for something that could not be measured (not installed, failed ...)."""
    return Row(section, name, None, "", "", target, None, note)


def _mark(ok: bool | None) -> str:
    return {True: "ok", False: "MISS", None: ""}[ok]


def _cells(row: Row) -> list[str]:
    return [row.section, row.name, fmt(row.value, row.unit), row.spread, row.target, _mark(row.ok), row.note]


HEADER = ["section", "benchmark", "median", "spread", "target", "", "note"]


def format_table(rows: Sequence[Row]) -> str:
    """A plain-text table for the terminal."""
    table = [HEADER, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    widths[-1] = 0
    out = []
    for n, line in enumerate(table):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths[:-1]) + "  ----")
    return "\n".join(out)


def format_markdown(rows: Sequence[Row], meta: dict[str, Any]) -> str:
    """The Markdown report: the machine, then one table."""
    lines = [
        "# codex-py benchmarks",
        "",
        f"Run {meta['timestamp']} on {meta['machine']} ({meta['cpus']} CPUs), Python {meta['python']}; "
        f"{meta['repeat']} repeats per figure (median shown, min-max as spread); command: `{meta['command']}`.",
        "",
        "| " + " | ".join(h or "met" for h in HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(row)) + " |")
    return "\n".join(lines) + "\n"


def run_meta(repeat: int, argv: Sequence[str]) -> dict[str, Any]:
    """Where and how the run happened."""
    return {
        "timestamp": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "repeat": repeat,
        "command": " ".join(["python -m benchmarks", *argv]),
        "executable": sys.executable,
    }


def _finite(value: Any) -> Any:
    """NaN and infinities become None, so the JSON stays valid."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def write_reports(rows: Sequence[Row], meta: dict[str, Any], out_dir: Path = RESULTS_DIR) -> tuple[Path, Path]:
    """Write ``<stamp>.json``/``.md`` and ``latest.json``/``.md``; returns the latest paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = meta["timestamp"][:19].replace(":", "-")
    data = json.dumps(_finite({"meta": meta, "rows": [asdict(r) for r in rows]}), indent=1, default=str)
    markdown = format_markdown(rows, meta)
    for name in (stamp, "latest"):
        (out_dir / f"{name}.json").write_text(data + "\n", encoding="utf-8")
        (out_dir / f"{name}.md").write_text(markdown, encoding="utf-8")
    return out_dir / "latest.json", out_dir / "latest.md"
