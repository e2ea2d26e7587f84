"""codex-py against a real third-party gateway: the LiteLLM proxy (``litellm[proxy]`` from PyPI, in its own
venv, see ``tests/support/litellm_gateway.py``) on all three of its wires, /v1/chat/completions,
/v1/responses and /v1/messages, through ``codex-py exec``.

Two kinds of model behind it: LiteLLM's own mock (``mock_response``), and ``fake-gpt``, which LiteLLM
translates to the loopback fake provider upstream (a Chat Completions or Responses call), so the tests script
reasoning, tool calls and upstream failures and check what LiteLLM made of them on each wire.

The install takes about a minute the first time on a fresh machine (reused after that). Set
``CODEX_PY_LITELLM=0`` to skip these tests; they skip by themselves, with the reason, when LiteLLM cannot be
installed or started.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import litellm_gateway
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, HttpError, Reply
from tests.test_error_ux import KEY, WIRES, exec_run, json_events
from tests.test_error_ux import workdir as workdir  # the fixture (explicit re-export)

MOCK_TEXT = "Hello from the LiteLLM mock."


@pytest.fixture(scope="session")
def litellm_python() -> Path:
    if os.environ.get("CODEX_PY_LITELLM", "1") == "0":
        pytest.skip("CODEX_PY_LITELLM=0")
    try:
        return litellm_gateway.install()
    except litellm_gateway.GatewayUnavailable as exc:
        pytest.skip(f"LiteLLM proxy unavailable: {exc}")


@pytest.fixture(scope="session")
def upstream_fake() -> Iterator[FakeProvider]:
    """The model server behind LiteLLM's ``fake-gpt`` (shared by the session's tests)."""
    with FakeProvider() as fake:
        yield fake


@pytest.fixture(scope="session")
def gateway(
    litellm_python: Path, upstream_fake: FakeProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The running proxy's base URL (``http://127.0.0.1:PORT/v1``)."""
    config = tmp_path_factory.mktemp("litellm") / "config.yaml"
    models: list[dict[str, Any]] = [
        {"model_name": "mock-text", "litellm_params": {"model": "openai/mock-text", "mock_response": MOCK_TEXT,
                                                        "api_key": "unused"}},
        {"model_name": "fake-gpt", "litellm_params": {"model": "openai/gpt-fake", "api_base": upstream_fake.base_url,
                                                       "api_key": "sk-upstream-not-the-gateway-key"}},
    ]  # fmt: skip
    settings = {
        "model_list": models,
        "litellm_settings": {"telemetry": False, "num_retries": 0, "request_timeout": 60},
        "router_settings": {"disable_cooldowns": True, "num_retries": 0},  # an upstream 401 must not bench it
        "general_settings": {"master_key": KEY},
    }
    config.write_text(json.dumps(settings))  # JSON is YAML
    try:
        with litellm_gateway.running(litellm_python, config) as url:
            yield url + "/v1"
    except litellm_gateway.GatewayUnavailable as exc:
        pytest.skip(f"LiteLLM proxy unavailable: {exc}")


@pytest.fixture
def upstream(upstream_fake: FakeProvider) -> FakeProvider:
    """The upstream fake with nothing queued from an earlier test."""
    while upstream_fake.pending:
        upstream_fake._next()
    upstream_fake.default = None
    return upstream_fake


def configure(home: Path, gateway: str, wire: str, model: str) -> None:
    (home / "config.toml").write_text(
        f'model = "{model}"\nmodel_provider = "litellm"\n[model_providers.litellm]\nname = "LiteLLM"\n'
        f'base_url = "{gateway}"\nwire_api = "{wire}"\nenv_key = "FAKE_KEY"\n'
        "request_max_retries = 1\nstream_max_retries = 1\n"
    )


def completed_items(out: Any) -> list[dict[str, Any]]:
    return [e["item"] for e in json_events(out) if e["type"] == "item.completed"]


def last_lines(stderr: str) -> tuple[str, str]:
    error, hint = stderr.strip().splitlines()[-2:]
    return error, hint


# --- LiteLLM's own mock model ----------------------------------------------------------------------


def test_mock_model_streams_text_on_chat(gateway: str, isolated_home: Path, workdir: Path) -> None:
    configure(isolated_home, gateway, "chat", "mock-text")
    out = exec_run("say hello", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert out.stdout == MOCK_TEXT + "\n"


def test_mock_model_on_messages_ignores_streaming(gateway: str, isolated_home: Path, workdir: Path) -> None:
    """LiteLLM 1.106 answers a streaming /v1/messages for a mock model with one JSON message: said plainly."""
    configure(isolated_home, gateway, "messages", "mock-text")
    out = exec_run("say hello", cwd=workdir)
    assert out.returncode == 1
    error, hint = last_lines(out.stderr)
    assert error.startswith("error: LiteLLM ignored `stream: true` and answered with one whole JSON `message` object")
    assert 'check wire_api (now "messages")' in hint


def test_mock_model_on_responses_fails_as_one_readable_line(gateway: str, isolated_home: Path, workdir: Path) -> None:
    """LiteLLM 1.106 fails a streaming /v1/responses for a mock model with an HTTP 500 framed as SSE."""
    configure(isolated_home, gateway, "responses", "mock-text")
    out = exec_run("say hello", cwd=workdir)
    assert out.returncode == 1
    error, hint = last_lines(out.stderr)
    assert error.startswith("error: LiteLLM returned HTTP 500 internal_server_error (500): Error processing stream")
    assert "data:" not in out.stderr
    assert hint == "hint: the provider is having trouble; try again shortly"


# --- translated to the upstream fake ---------------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES)
def test_text_and_reasoning(
    gateway: str, upstream: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, gateway, wire, "fake-gpt")
    upstream.script(Reply(reasoning="Weighing both options.", text="Take the second one."))
    out = exec_run("--json", "which one?", cwd=workdir)
    assert out.returncode == 0, out.stderr
    items = completed_items(out)
    assert [(i["type"], i["text"]) for i in items] == [
        ("reasoning", "Weighing both options."),
        ("agent_message", "Take the second one."),
    ]
    assert upstream.last_request.json["model"] == "gpt-fake"


def test_think_tags_through_the_gateway(
    gateway: str, upstream: FakeProvider, isolated_home: Path, workdir: Path
) -> None:
    configure(isolated_home, gateway, "chat", "fake-gpt")
    upstream.script(Reply(text_chunks=["<thi", "nk>Short plan.</th", "ink>\n\n", "The answer."]))
    out = exec_run("--json", "go", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert [(i["type"], i["text"]) for i in completed_items(out)] == [
        ("reasoning", "Short plan."),
        ("agent_message", "The answer."),
    ]


@pytest.mark.parametrize("wire", WIRES)
def test_tool_round_trip(gateway: str, upstream: FakeProvider, isolated_home: Path, workdir: Path, wire: str) -> None:
    configure(isolated_home, gateway, wire, "fake-gpt")
    command = json.dumps({"command": ["echo", "gateway-ok"]})
    upstream.script(Reply(tool_calls=[Call("shell", command, call_id="call_gw1")]), Reply(text="Done."))
    before = len(upstream.requests)
    out = exec_run("--json", "run it", cwd=workdir)
    assert out.returncode == 0, out.stderr
    items = completed_items(out)
    [run] = [i for i in items if i["type"] == "command_execution"]
    assert run["aggregated_output"].strip() == "gateway-ok" and run["exit_code"] == 0
    assert items[-1] == {"id": items[-1]["id"], "type": "agent_message", "text": "Done."}
    first, second = upstream.requests[before:]
    assert "shell" in json.dumps(first.json["tools"])
    assert "gateway-ok" in json.dumps(second.json)  # the tool's output reached the model through the gateway


@pytest.mark.parametrize("wire", WIRES)
def test_upstream_401_exits_3(
    gateway: str, upstream: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, gateway, wire, "fake-gpt")
    upstream.default = HttpError(401)
    before = len(upstream.requests)
    out = exec_run("go", cwd=workdir)
    assert out.returncode == 3, out.stderr
    assert len(upstream.requests) - before == 1  # not retried
    error, hint = last_lines(out.stderr)
    assert error.startswith("error: LiteLLM returned HTTP 401") and "AuthenticationError" in error
    assert hint == "hint: set FAKE_KEY to a valid key"
    assert KEY not in out.stdout + out.stderr


@pytest.mark.parametrize("wire", WIRES)
def test_upstream_404_names_the_model(
    gateway: str, upstream: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, gateway, wire, "fake-gpt")
    upstream.default = HttpError(404)
    before = len(upstream.requests)
    out = exec_run("go", cwd=workdir)
    assert out.returncode == 1
    assert len(upstream.requests) - before == 1
    error, hint = last_lines(out.stderr)
    assert error.startswith("error: LiteLLM returned HTTP 404") and "NotFoundError" in error
    assert hint == "hint: check the model name (-m) and the base_url of provider `litellm`"


@pytest.mark.parametrize("wire", WIRES)
def test_upstream_429_is_retried_as_rate_limiting(
    gateway: str, upstream: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, gateway, wire, "fake-gpt")
    upstream.script(HttpError(429), Reply(text="Through at last."))
    out = exec_run("go", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Through at last.\n"
    assert "Reconnecting... 1/1" in out.stderr and "HTTP 429" in out.stderr
    upstream.default = HttpError(429)
    out = exec_run("go", cwd=workdir)
    assert out.returncode == 1
    assert last_lines(out.stderr)[1] == "hint: wait a moment and try again"
