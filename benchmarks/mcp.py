"""MCP start-up cost: does configuring MCP servers delay exec's first model request?

Servers start in the background (the SDK is imported in a worker thread), so the first request of a
one-shot ``exec`` should leave as early with three configured stdio servers (``mcp-server-time``, not
``required``) as without any. Measured from the spawn to the loopback fake receiving the request.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from benchmarks import Options
from benchmarks.exec_run import exec_setup
from benchmarks.report import Row, measured, median
from benchmarks.startup import checked, run_child

SECTION = "mcp"
SLACK_MS = 15.0
"""Allowed difference (noise of a ~150 ms child start on a shared machine)."""


def _servers(command: str) -> str:
    return "".join(
        f'[mcp_servers.time{i}]\ncommand = "{command}"\nargs = ["--local-timezone", "UTC"]\n' for i in range(3)
    )


def run(options: Options) -> list[Row]:
    """exec launch -> first request, without and with three MCP servers configured, interleaved."""
    command = shutil.which("mcp-server-time", path=str(Path(sys.executable).parent))
    if command is None:
        raise RuntimeError("mcp-server-time is not installed (pip install -e '.[test]')")
    without: list[float] = []
    with_three: list[float] = []
    with exec_setup() as setup:
        config = setup.home / "config.toml"
        plain = config.read_text(encoding="utf-8")
        configured = plain + _servers(command)
        for i in range(options.repeat + 1):
            for text, out in ((plain, without), (configured, with_three)):
                config.write_text(text, encoding="utf-8")
                m = checked(run_child(setup.argv(), env=setup.env(), cwd=setup.workdir), "codex-py exec")
                sent = setup.fake.requests[-1].monotonic
                if i:  # the first round warms caches
                    out.append((sent - m.started_at) * 1000)
    delta = median(with_three) - median(without)
    return [
        measured(SECTION, "exec launch -> first request, no MCP servers", without, "ms"),
        measured(
            SECTION,
            "exec launch -> first request, 3 MCP servers",
            with_three,
            "ms",
            target=f"<= no servers + {SLACK_MS:g} ms",
            ok=delta <= SLACK_MS,
            note=f"difference {delta:+.1f} ms; servers start in the background",
        ),
    ]
