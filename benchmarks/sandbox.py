"""The sandbox's cost per command: ``true`` spawned and reaped bare, then through the exec helper
(read-only, and workspace-write with the network off), interleaved so that load hits every variant alike.

    python -m benchmarks --only sandbox --out /tmp/bench

The argv and environment come from ``sandbox.policy.sandboxed_command``, exactly what ``run_command``
spawns; the time is spawn to reap (``run_child``), without the asyncio plumbing around it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from benchmarks import Options
from benchmarks.report import Row, measured, median, missing

SECTION = "sandbox"
RUNS_PER_REPEAT = 20
OVERHEAD_BUDGET_MS = 11.4 + 2.0
"""The overhead before issue 11 (12.5 ms sandboxed - 1.1 ms bare, docs/sandbox.md) plus the 2 ms allowed."""


def run(options: Options) -> list[Row]:
    """Median spawn-to-reap time of ``true`` per variant, and the sandbox's overhead over the bare run."""
    from benchmarks.startup import checked, run_child
    from codex_py.sandbox.landlock import landlock_abi
    from codex_py.sandbox.policy import SandboxPolicy, sandboxed_command

    if landlock_abi() == 0:
        return [missing(SECTION, "true through the sandbox", "this kernel has no Landlock")]
    true = shutil.which("true") or "/bin/true"
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        ws = Path(tmp)
        variants = {"bare": ([true], dict(os.environ))}
        for mode in ("read-only", "workspace-write"):
            policy = SandboxPolicy(mode, ws, temp_roots=[ws])  # type: ignore[arg-type]
            argv, env, _ = sandboxed_command([true], policy, dict(os.environ))
            variants[mode] = (argv, env)
        times: dict[str, list[float]] = {name: [] for name in variants}
        runs = RUNS_PER_REPEAT * (1 if options.quick else options.repeat)
        for i in range(runs + 1):
            for name, (argv, env) in variants.items():
                took = checked(run_child(argv, env=env, cwd=ws, timeout=30), f"true ({name})").wall_s * 1000
                if i:  # the first round warms the page cache
                    times[name].append(took)
    bare = median(times["bare"])
    overhead = [t - bare for t in times["workspace-write"]]
    return [
        measured(SECTION, "true, no sandbox (spawn to reap)", times["bare"], "ms"),
        measured(SECTION, "true, sandbox read-only", times["read-only"], "ms"),
        measured(SECTION, "true, sandbox workspace-write, network off", times["workspace-write"], "ms"),
        measured(
            SECTION,
            "sandbox overhead per command",
            overhead,
            "ms",
            target=f"<= {OVERHEAD_BUDGET_MS:.1f} ms",
            ok=median(overhead) <= OVERHEAD_BUDGET_MS,
            note="workspace-write minus the bare median",
        ),
    ]
