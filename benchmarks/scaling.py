"""Scaling with history length: request building per wire API, rollout appends and resume.

A synthetic turn is what a coding turn looks like in history: the user's ask, reasoning (with an opaque
payload), a shell call, its ~1 KiB output and the answer. For 10, 100 and 1000 turns we time each wire's
``build_request_body`` (what runs before every model request) and report the per-turn cost; growth is
"linear" when the per-turn cost at the largest size stays within 2x of the smallest. Rollout appends are
timed per turn while a 1000-turn rollout is written (a constant cost means appends do not depend on the
history), and ``load_rollout`` of that file is the resume time (target < 1 s).
"""

from __future__ import annotations

import gc
import json
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks import Options
from benchmarks.report import Row, median
from benchmarks.report import measured as _measured
from codex_py.protocol.items import AssistantMessage, Item, Reasoning, ToolCall, ToolResult, UserMessage
from codex_py.protocol.request import ModelRequest

SECTION = "scaling"
SIZES = (10, 100, 1000)
QUICK_SIZES = (2, 5, 20)
LINEAR_SLACK = 2.0
_FILLER = "The function parses the configuration, merges the layers and validates every key it finds. "


def synthetic_turn(i: int) -> list[Item]:
    """One realistic turn of history (about 3 KiB of JSON)."""
    call_id = f"call_{i:05d}"
    output = "".join(f"{n:4d}  line {n} of src/module_{i}.py: {_FILLER[:60]}\n" for n in range(12))
    return [
        UserMessage.of(f"Turn {i}: look at src/module_{i}.py and fix the failing test. {_FILLER * 2}"),
        Reasoning(
            f"**Reading module {i}** {_FILLER * 3}",
            provider="responses",
            payload={
                "id": f"rs_{i:05d}",
                "summary": [{"type": "summary_text", "text": "Reading"}],
                "encrypted_content": "gAAAA" + "x" * 400,
            },
        ),
        ToolCall(call_id, "shell", json.dumps({"command": ["bash", "-lc", f"cat -n src/module_{i}.py"]})),
        ToolResult(call_id, output),
        AssistantMessage(f"Fixed module {i}: {_FILLER * 4}"),
    ]


def synthetic_history(turns: int) -> list[Item]:
    """``turns`` synthetic turns, oldest first."""
    return [item for i in range(turns) for item in synthetic_turn(i)]


def _builders() -> dict[str, Callable[[ModelRequest], dict[str, Any]]]:
    from codex_py.providers import chat, messages, responses

    return {
        "responses": responses.build_request_body,
        "chat": chat.build_request_body,
        "messages": messages.build_request_body,
    }


def _request(model: str, items: list[Item]) -> ModelRequest:
    from codex_py.agent.tool_specs import tool_specs

    instructions = (Path(__file__).resolve().parents[1] / "codex_py/agent/prompts/instructions.md").read_text()
    return ModelRequest(model=model, instructions=instructions, items=items, tools=tool_specs(), session_id="bench")


def _time(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


def _growth_rows(label: str, per_size: dict[int, list[float]]) -> list[Row]:
    """Rows with the per-turn cost (µs) at each size and a linearity verdict on the last one."""
    sizes = sorted(per_size)
    per_turn = {n: [s / n * 1e6 for s in per_size[n]] for n in sizes}
    growth = median(per_turn[sizes[-1]]) / median(per_turn[sizes[0]])
    verdict = "linear" if growth <= LINEAR_SLACK else "faster than linear"
    rows = []
    for n in sizes:
        total_ms = median(per_size[n]) * 1000
        last = n == sizes[-1]
        rows.append(
            _measured(
                SECTION,
                f"{label} @ {n} turns, per turn",
                per_turn[n],
                "us",
                target=f"per-turn <= {LINEAR_SLACK:.0f}x @{sizes[0]}" if last else "",
                ok=growth <= LINEAR_SLACK if last else None,
                note=f"{total_ms:.2f} ms total"
                + (f"; per-turn cost {growth:.2f}x @{sizes[0]}: {verdict}" if last else ""),
            )
        )
    return rows


def request_building(options: Options, sizes: tuple[int, ...]) -> list[Row]:
    """``build_request_body`` per wire at each history size."""
    rows: list[Row] = []
    models = {"responses": "gpt-5-codex", "chat": "gpt-4.1", "messages": "claude-sonnet-4-5"}
    history = synthetic_history(max(sizes))
    reps = max(options.repeat * 4, 20)  # cheap calls: more samples steady the median on a busy machine
    for wire, build in _builders().items():
        per_size: dict[int, list[float]] = {}
        for n in sizes:
            request = _request(models[wire], history[: n * 5])
            build(request)  # warm caches (catalog lookups)
            gc.collect()
            per_size[n] = _time(partial(build, request), reps)
        rows.extend(_growth_rows(f"build request ({wire})", per_size))
    return rows


def rollout_rows(options: Options, sizes: tuple[int, ...]) -> list[Row]:
    """Per-turn append cost while writing a rollout of ``max(sizes)`` turns, and the resume time."""
    from codex_py.session.rollout import RolloutRecorder, SessionMeta, load_rollout

    turns = max(sizes)
    with tempfile.TemporaryDirectory(prefix="bench-rollout-") as tmp:
        path = Path(tmp) / "rollout.jsonl"
        recorder = RolloutRecorder(path, SessionMeta(id="bench", cwd=tmp, provider="fake", model="gpt-fake"))
        cost: list[float] = []
        for i in range(turns):
            items = synthetic_turn(i)
            t0 = time.perf_counter()
            for item in items:
                recorder.record_item(item)
            cost.append(time.perf_counter() - t0)
        recorder.close()
        rows = []
        for n in sizes:
            window = cost[max(0, n - 10) : n]
            rows.append(
                _measured(
                    SECTION, f"rollout append, turn {n}", [c * 1e6 for c in window], "us", note="one turn (5 items)"
                )
            )
        flat = median(cost[-10:]) / median(cost[:10])
        rows[-1].target, rows[-1].ok = "<= 2x turn 10", flat <= LINEAR_SLACK
        rows[-1].note += f"; {flat:.2f}x the cost at turn 10"
        load = _time(lambda: load_rollout(path), max(options.repeat, 3))
        size_mb = path.stat().st_size / 1e6
        loaded = len(load_rollout(path).items)
    if loaded != turns * 5:
        raise RuntimeError(f"resume lost items: {loaded} of {turns * 5}")
    rows.append(
        _measured(
            SECTION,
            f"resume (load_rollout) {turns} turns",
            [s * 1000 for s in load],
            "ms",
            target="< 1000 ms",
            ok=median(load) < 1.0,
            note=f"{size_mb:.1f} MB, {loaded} items",
        )
    )
    return rows


def run(options: Options) -> list[Row]:
    """Request building and rollout scaling at 10/100/1000 turns (2/5/20 with ``quick``)."""
    sizes = QUICK_SIZES if options.quick else SIZES
    return request_building(options, sizes) + rollout_rows(options, sizes)
