"""Cost and limits end to end: ``codex-py exec`` against the loopback fake provider on every wire.

``turn.completed.cost_usd`` equals the price table times the reported usage; ``[model_prices]`` overrides
it; an unpriced model gives null; ``max_session_cost_usd`` stops the run before the next request; the
ChatGPT and Anthropic subscription usage headers appear in ``--json`` and warn at 75% and 90%.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from codex_py.providers.pricing import checked_date
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply, Usage

WIRES = ("responses", "chat", "messages")
QUIET = ["-s", "danger-full-access", "-a", "never", "--skip-git-repo-check"]
PRICES = json.loads((Path(__file__).parents[1] / "codex_py/providers/prices.json").read_text())


def _price(slug: str) -> dict[str, Any]:
    entry: dict[str, Any] = next(p for p in PRICES["prices"] if p["slug"] == slug)
    return entry


def configure(home: Path, fake: FakeProvider, wire: str, model: str, extra: str = "") -> None:
    (home / "config.toml").write_text(
        f'model = "{model}"\nmodel_provider = "fake"\n{extra}\n'
        "[model_providers.fake]\n"
        f'base_url = "{fake.base_url}"\nwire_api = "{wire}"\nrequest_max_retries = 0\nstream_max_retries = 0\n'
    )


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_py", "exec", *QUIET, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def events(out: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.stdout.splitlines()]


@pytest.mark.parametrize("wire", WIRES)
def test_cost_usd_is_the_price_table_times_the_usage(
    wire: str, fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    configure(isolated_home, fake_provider, wire, "claude-sonnet-4-5")
    write = 1000 if wire == "messages" else 0  # only the Messages wire reports cache writes
    fake_provider.script(
        Reply(
            tool_calls=[Call("update_plan", json.dumps({"plan": [{"step": "a", "status": "pending"}]}))],
            usage=Usage(input_tokens=20_000, output_tokens=300, cached_tokens=12_000, cache_creation_tokens=write),
        ),
        Reply(text="done", usage=Usage(input_tokens=21_000, output_tokens=700, cached_tokens=20_000)),
    )
    out = run(tmp_path, "--json", "go")
    assert out.returncode == 0, out.stderr
    done = events(out)[-1]
    p = _price("claude-sonnet-4-5")
    first = (
        (20_000 - 12_000 - write) * p["input"]
        + 12_000 * p["cached_input"]
        + write * p["cache_write"]
        + 300 * p["output"]
    )
    second = 1_000 * p["input"] + 20_000 * p["cached_input"] + 700 * p["output"]
    assert done["type"] == "turn.completed"
    assert done["cost_usd"] == pytest.approx((first + second) / 1e6, abs=1e-8)
    assert "rate_limits" not in done  # API-key traffic has no usage windows

    fake_provider.script(Reply(text="hi", usage=Usage(1000, 10)))
    human = run(tmp_path, "hello")
    assert human.returncode == 0, human.stderr
    expected = (1000 * p["input"] + 10 * p["output"]) / 1e6
    assert f"estimated cost: ${expected:.4f}" in human.stderr


def test_model_prices_override_and_unknown_price(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    configure(
        isolated_home,
        fake_provider,
        "responses",
        "gpt-fake-large",
        '[model_prices."gpt-fake"]\ninput_per_mtok = 2.0\ncached_input_per_mtok = 0.5\noutput_per_mtok = 8.0\n',
    )
    fake_provider.script(Reply(text="x", usage=Usage(input_tokens=3000, output_tokens=1000, cached_tokens=1000)))
    done = events(run(tmp_path, "--json", "go"))[-1]
    assert done["cost_usd"] == pytest.approx((2000 * 2.0 + 1000 * 0.5 + 1000 * 8.0) / 1e6)

    configure(isolated_home, fake_provider, "responses", "no-such-model")
    fake_provider.script(Reply(text="x", usage=Usage(3000, 1000)))
    out = run(tmp_path, "--json", "go")
    assert out.returncode == 0
    assert events(out)[-1]["cost_usd"] is None
    assert checked_date() == PRICES["checked"]


@pytest.mark.parametrize("wire", WIRES)
def test_max_session_cost_stops_before_the_next_request(
    wire: str, fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    configure(isolated_home, fake_provider, wire, "gpt-5", "max_session_cost_usd = 0.01")
    plan = json.dumps({"plan": [{"step": "a", "status": "pending"}]})
    fake_provider.script(
        # 10k uncached input at $1.25/M + 1k output at $10/M = $0.0225: past the $0.01 limit
        Reply(tool_calls=[Call("update_plan", plan)], usage=Usage(input_tokens=10_000, output_tokens=1000)),
        Reply(text="never requested"),
    )
    out = run(tmp_path, "--json", "go")
    assert out.returncode == 1, out.stderr
    assert len(fake_provider.requests) == 1
    failed = events(out)[-1]
    assert failed["type"] == "turn.failed"
    assert "max_session_cost_usd = 0.01" in failed["error"]["message"]
    assert "$0.0225" in failed["error"]["message"]

    fake_provider.script(Reply(text="ok", usage=Usage(100, 10)))  # a raised limit lets the session go on
    out = run(tmp_path, "-c", "max_session_cost_usd=1", "--json", "go")
    assert out.returncode == 0, out.stderr


def _codex_headers(primary: float, secondary: float, reset_at: int) -> dict[str, str]:
    return {
        "x-codex-primary-used-percent": str(primary),
        "x-codex-primary-window-minutes": "300",
        "x-codex-primary-reset-at": str(reset_at),
        "x-codex-secondary-used-percent": str(secondary),
        "x-codex-secondary-window-minutes": "10080",
        "x-codex-secondary-reset-at": str(reset_at + 86400),
    }


@pytest.mark.parametrize("wire", ["responses", "messages"])
def test_subscription_usage_windows_in_json_with_warnings(
    wire: str, fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    configure(isolated_home, fake_provider, wire, "gpt-fake")
    reset = int(time.time()) + 3600
    if wire == "responses":  # the ChatGPT backend's headers
        first, second = _codex_headers(42, 10, reset), _codex_headers(91.5, 12, reset)
    else:  # Anthropic's unified (subscription-style) headers: fractions, epoch resets
        first = {
            "anthropic-ratelimit-unified-5h-utilization": "0.42",
            "anthropic-ratelimit-unified-5h-reset": str(reset),
            "anthropic-ratelimit-unified-7d-utilization": "0.1",
            "anthropic-ratelimit-unified-7d-reset": str(reset + 86400),
        }
        second = {**first, "anthropic-ratelimit-unified-5h-utilization": "0.915"}
    plan = json.dumps({"plan": [{"step": "a", "status": "pending"}]})
    fake_provider.script(
        Reply(tool_calls=[Call("update_plan", plan)], headers=first),
        Reply(text="done", headers=second),
    )
    out = run(tmp_path, "--json", "go")
    assert out.returncode == 0, out.stderr
    got = events(out)
    done = got[-1]
    assert done["rate_limits"] == {
        "primary": {"used_percent": 91.5, "window_minutes": 300, "resets_at": reset},
        "secondary": {
            "used_percent": 12.0 if wire == "responses" else 10.0,
            "window_minutes": 10080,
            "resets_at": reset + 86400,
        },
    }
    warnings = [e["item"]["message"] for e in got if e.get("item", {}).get("type") == "error"]
    assert warnings == [
        "Heads up, you have less than 10% of your 5h limit left (92% used). Run /status for a breakdown."
    ]

    fake_provider.script(Reply(text="hi", headers=second))
    human = run(tmp_path, "hello")
    weekly = 12 if wire == "responses" else 10
    clock = time.strftime("%H:%M", time.localtime(reset))
    assert f"usage: 5h 92% · weekly {weekly}% · resets {clock}" in human.stderr


@pytest.mark.parametrize("wire", WIRES)
def test_a_resumed_session_keeps_its_tokens_and_cost(
    wire: str, fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    """Each response's usage is recorded in the rollout (``token_count``): ``exec resume`` goes on counting
    from there (usage and cost of ``turn.completed``) and ``max_session_cost_usd`` counts what was spent."""
    configure(isolated_home, fake_provider, wire, "gpt-5")
    fake_provider.script(Reply(text="one", usage=Usage(input_tokens=10_000, output_tokens=1000)))  # $0.0225
    first = events(run(tmp_path, "--json", "first"))[-1]
    assert first["type"] == "turn.completed" and first["cost_usd"] == pytest.approx(0.0225)
    rollout = next(isolated_home.glob("sessions/**/rollout-*.jsonl"))
    records = [json.loads(line) for line in rollout.read_text().splitlines()]
    counted = [r["payload"] for r in records if r["type"] == "token_count"]
    assert counted == [
        {
            "model": "gpt-5",
            "turn": 1,
            "usage": {
                "input_tokens": 10_000,
                "cached_input_tokens": 0,
                "output_tokens": 1000,
                "reasoning_output_tokens": 0,
                "cache_write_tokens": 0,
            },
        }
    ]

    fake_provider.script(Reply(text="two", usage=Usage(input_tokens=2000, output_tokens=100)))  # $0.0035
    second = events(run(tmp_path, "--json", "resume", "--last", "second"))[-1]
    assert second["type"] == "turn.completed", second
    assert second["usage"]["input_tokens"] == 12_000 and second["usage"]["output_tokens"] == 1100
    assert second["cost_usd"] == pytest.approx(0.026)

    # the budget counts the resumed session's spend: $0.026 is past $0.02 before any request
    requests = len(fake_provider.requests)
    out = run(tmp_path, "-c", "max_session_cost_usd=0.02", "--json", "resume", "--last", "third")
    assert out.returncode == 1, out.stderr
    assert len(fake_provider.requests) == requests
    assert "$0.0260" in events(out)[-1]["error"]["message"]
