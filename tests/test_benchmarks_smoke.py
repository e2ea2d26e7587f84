"""The benchmark harness in its smallest configuration: every section still produces figures.

These tests check that numbers come out (finite, positive, in the report files), never their values:
benchmarks are run on demand, not judged in CI.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from benchmarks import Options
from benchmarks.report import Row

ROOT = Path(__file__).resolve().parents[1]
QUICK = Options(quick=True, repeat=1)


def assert_figures(rows: list[Row], *names: str) -> None:
    """Every named row exists and holds a finite, non-negative measurement."""
    by_name = {r.name: r for r in rows}
    for name in names:
        assert name in by_name, f"missing row {name!r}; got {sorted(by_name)}"
    for row in rows:
        assert row.value is not None and math.isfinite(row.value) and row.value >= 0, row
        assert row.samples, row


def test_startup_measures_the_floor_and_codex_py() -> None:
    from benchmarks import startup

    rows = startup.run(QUICK)
    assert_figures(rows, "python -c pass (floor)", "codex-py --version", "--version / floor", "codex-py --help")
    assert all("peak RSS" in r.note for r in rows if r.unit == "ms")


def test_exec_one_shot_against_the_fake() -> None:
    from benchmarks import exec_run

    rows = exec_run.run(QUICK)
    assert_figures(rows, "codex-py exec one-shot", "codex-py exec peak RSS", "first char after server sent it")
    assert {r.name: r for r in rows}["codex-py exec peak RSS"].ok is not None


def test_scaling_quick_sizes() -> None:
    from benchmarks import scaling

    rows = scaling.run(QUICK)
    names = [r.name for r in rows]
    for wire in ("responses", "chat", "messages"):
        assert f"build request ({wire}) @ {scaling.QUICK_SIZES[-1]} turns, per turn" in names
    assert_figures(rows, f"resume (load_rollout) {scaling.QUICK_SIZES[-1]} turns")


def test_tui_memory_after_resume() -> None:
    from benchmarks import memory

    rows = memory.run(QUICK)
    assert_figures(rows, "TUI peak RSS, new session", f"TUI peak RSS, resumed {memory.QUICK_TURNS} turns")


STAND_IN = """\
#!{python}
# A stand-in for `llm`: one streamed Chat Completions request to OPENAI_BASE_URL, deltas to stdout.
import json, os, sys, urllib.request
body = json.dumps({{"model": "gpt-4o-mini", "stream": True, "messages": [{{"role": "user", "content": sys.argv[-1]}}]}})
req = urllib.request.Request(os.environ["OPENAI_BASE_URL"] + "/chat/completions", body.encode(),
                             {{"Content-Type": "application/json"}})
with urllib.request.urlopen(req) as resp:
    for line in resp:
        data = line.decode().strip().removeprefix("data: ")
        if data.startswith("{{"):
            for choice in json.loads(data).get("choices", []):
                sys.stdout.write((choice.get("delta") or {{}}).get("content") or "")
                sys.stdout.flush()
print()
"""


def test_peer_harness_with_a_stand_in(tmp_path: Path) -> None:
    from benchmarks import peers

    exe = tmp_path / "llm"
    exe.write_text(textwrap.dedent(STAND_IN.format(python=sys.executable)))
    exe.chmod(0o755)
    rows = peers.measure_peer("llm", str(exe), QUICK)
    assert_figures(rows, "llm one-shot", "llm peak RSS", "llm first char after server sent it")


def test_missing_peer_is_a_row_not_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from benchmarks import peers

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CODEX_PY_BENCH_PEERS", str(tmp_path))
    rows = peers.run(QUICK)
    assert [(r.name, r.value, r.note) for r in rows] == [
        (f"{name} one-shot", None, "not installed") for name in peers.PEERS
    ]


def test_tui_adapter_runs_the_tui_benchmark() -> None:
    from benchmarks.__main__ import tui_rows

    rows = tui_rows(QUICK)
    assert_figures(
        rows,
        "first paint after first delta",
        "largest event-loop stall",
        "frames while streaming",
        "resize: time to a usable composer",
    )


def test_decode_section_quick() -> None:
    from benchmarks import decode

    rows = decode.run(QUICK)
    assert {r.name for r in rows} >= {f"{w} codex-py events/s" for w in ("responses", "chat", "messages")}
    assert all(r.value is not None and r.value > 0 for r in rows)


def test_command_writes_json_and_markdown(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "scaling", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "resume (load_rollout)" in out.stdout
    report = json.loads((tmp_path / "latest.json").read_text())
    assert report["meta"]["repeat"] == 1 and report["rows"]
    assert all(isinstance(r["value"], float) for r in report["rows"])
    markdown = (tmp_path / "latest.md").read_text()
    assert markdown.startswith("# codex-py benchmarks") and "| scaling |" in markdown
    assert len(list(tmp_path.glob("*.json"))) == 2, "a timestamped copy next to latest.json"


def test_unknown_section_is_a_usage_error(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "startup,nope", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "unknown section nope" in out.stderr
    assert not list(tmp_path.iterdir()), "nothing is written"
