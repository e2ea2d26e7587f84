"""codex-py benchmarks: ``python -m benchmarks`` measures start-up, exec, streaming, the TUI, memory and scaling.

Each section module exposes ``run(options) -> list[report.Row]``; ``__main__`` runs the chosen sections in
one process (so ratios are taken within one run), prints one table and writes ``results/``. Nothing here is
part of the test suite's pass/fail: ``tests/test_benchmarks_smoke.py`` only checks that figures come out.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Options:
    """How much to measure: ``quick`` shrinks sizes (smoke runs), ``repeat`` is the number of samples."""

    quick: bool = False
    repeat: int = 5
