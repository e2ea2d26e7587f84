"""Errors as real proxies send them, through ``codex-py exec`` (exit codes, the error and hint lines, how many
requests were made) against loopback servers on all three wires.

- claude-code-router relays every upstream failure with its own generic body (``type: api_error``, ``code:
  provider_response_error``) under the upstream's status: the status decides whether it is retried, the body
  only the wording; a relayed 401 exits 3 with the key hint, a relayed 404 gets the model hint, once.
- LiteLLM's mock answers ``stream: true`` on /v1/messages with one plain JSON message (HTTP 200), and a failed
  stream start on /v1/responses with an HTTP 500 whose body is framed as SSE (``data: {"error": ...}`` then
  ``data: [DONE]``). The bodies below are the ones LiteLLM 1.106 sends (see ``test_litellm_gateway.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codex_py.config.model import ProviderInfo
from codex_py.protocol.types import ErrorKind
from codex_py.providers._errors import error_from_response
from tests.agent_support import RawServer
from tests.support.fake_provider import FakeProvider
from tests.support.replies import HttpError, Reply
from tests.test_error_ux import GOOD, KEY, WIRES, configure, exec_run, json_events
from tests.test_error_ux import workdir as workdir  # the fixture (explicit re-export)

MODEL_HINT = "hint: check the model name (-m) and the base_url of provider `fake`"
KEY_HINT = "hint: set FAKE_KEY to a valid key"
TROUBLE_HINT = "hint: the provider is having trouble; try again shortly"
WAIT_HINT = "hint: wait a moment and try again"


def relayed(status: int, upstream: str) -> dict[str, Any]:
    """claude-code-router's body for an upstream failure (any status): a generic api_error."""
    message = f"Error from provider(deepseek,deepseek-chat: {status}): {upstream}"
    return {"error": {"message": message, "type": "api_error", "code": "provider_response_error"}}


UPSTREAM_401 = (
    '{"error":{"message":"Authentication Fails, Your api key: ****abcd is invalid","type":"authentication_error"}}'
)
UPSTREAM_404 = '{"error":{"message":"Model Not Exist","type":"invalid_request_error"}}'
UPSTREAM_429 = '{"error":{"message":"Too many requests","type":"server_error"}}'


def error_and_hint(stderr: str) -> tuple[str, str]:
    error, hint = stderr.strip().splitlines()[-2:]
    return error, hint


def raw_config(home: Path, server: RawServer, wire: str) -> None:
    (home / "config.toml").write_text(
        'model = "gpt-fake"\nmodel_provider = "fake"\n[model_providers.fake]\nname = "Fake"\n'
        f'base_url = "{server.base_url}"\nwire_api = "{wire}"\nenv_key = "FAKE_KEY"\n'
        "request_max_retries = 1\nstream_max_retries = 2\n"
    )


# --- the status decides, the body refines (unit table) -------------------------------------------

PROVIDER = ProviderInfo(id="fake", name="Fake", env_key="FAKE_KEY")
GENERIC = {"error": {"message": "upstream failed", "type": "api_error", "code": "provider_response_error"}}
SERVER_ERROR = {"error": {"message": "upstream failed", "type": "server_error", "code": None}}


@pytest.mark.parametrize(
    ("status", "body", "kind", "retryable"),
    [
        (401, GENERIC, ErrorKind.AUTHENTICATION, False),
        (403, GENERIC, ErrorKind.PERMISSION, False),
        (404, GENERIC, ErrorKind.NOT_FOUND, False),
        (400, GENERIC, ErrorKind.BAD_REQUEST, False),
        (422, SERVER_ERROR, ErrorKind.BAD_REQUEST, False),
        (429, SERVER_ERROR, ErrorKind.RATE_LIMIT, True),
        (429, {"error": {"message": "slow down", "type": "overloaded_error"}}, ErrorKind.RATE_LIMIT, True),
        (
            429,
            {"error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}},
            ErrorKind.QUOTA,
            False,
        ),
        (408, GENERIC, ErrorKind.SERVER, True),
        (409, GENERIC, ErrorKind.SERVER, True),
        (500, GENERIC, ErrorKind.SERVER, True),
        (503, {"error": {"message": "busy", "code": "server_is_overloaded"}}, ErrorKind.OVERLOADED, True),
        (500, {"error": {"message": "bad key", "type": "authentication_error"}}, ErrorKind.SERVER, True),
        (
            529,
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            ErrorKind.OVERLOADED,
            True,
        ),
        (
            400,
            {"error": {"message": "prompt is too long: 210000 tokens > 200000 maximum", "type": "api_error"}},
            ErrorKind.CONTEXT_WINDOW,
            False,
        ),
        (
            401,
            {
                "error": {
                    "message": "Incorrect API key provided.",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            },
            ErrorKind.AUTHENTICATION,
            False,
        ),
    ],
)
def test_status_decides_retry_and_body_refines_wording(
    status: int, body: dict[str, Any], kind: ErrorKind, retryable: bool
) -> None:
    error = error_from_response(status, json.dumps(body).encode(), {}, PROVIDER)
    assert (error.kind, error.retryable) == (kind, retryable)


# --- claude-code-router's relayed bodies, through exec --------------------------------------------


@pytest.mark.parametrize("wire", WIRES)
def test_relayed_401_exits_3_at_once_with_the_key_hint(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, fake_provider, wire)
    fake_provider.default = HttpError(401, body=relayed(401, UPSTREAM_401))
    out = exec_run("do it", cwd=workdir)
    assert out.returncode == 3, out.stderr
    assert len(fake_provider.requests) == 1  # not retried
    assert "Reconnecting" not in out.stderr
    error, hint = error_and_hint(out.stderr)
    assert error.startswith("error: Fake returned HTTP 401 api_error (provider_response_error): Error from provider")
    assert "Authentication Fails" in error
    assert hint == KEY_HINT
    out = exec_run("--json", "do it", cwd=workdir)
    assert out.returncode == 3
    assert json_events(out)[-1]["type"] == "turn.failed"
    assert KEY not in out.stdout + out.stderr


@pytest.mark.parametrize("wire", WIRES)
def test_relayed_404_is_not_retried_and_names_the_model(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, fake_provider, wire)
    fake_provider.default = HttpError(404, body=relayed(404, UPSTREAM_404))
    out = exec_run("do it", cwd=workdir)
    assert out.returncode == 1
    assert len(fake_provider.requests) == 1
    error, hint = error_and_hint(out.stderr)
    assert error.startswith("error: Fake returned HTTP 404 api_error") and "Model Not Exist" in error
    assert hint == MODEL_HINT


@pytest.mark.parametrize("wire", WIRES)
def test_429_reads_as_rate_limiting_whatever_the_body(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, fake_provider, wire)
    fake_provider.default = HttpError(429, body=relayed(429, UPSTREAM_429))
    out = exec_run("do it", cwd=workdir)
    assert out.returncode == 1
    assert len(fake_provider.requests) == 2  # retried (request_max_retries = 1)
    assert out.stderr.count("Reconnecting... 1/1") == 1
    assert error_and_hint(out.stderr)[1] == WAIT_HINT


@pytest.mark.parametrize("wire", WIRES)
def test_relayed_5xx_is_retried_and_a_relayed_400_is_not(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    configure(isolated_home, fake_provider, wire)
    fake_provider.script(HttpError(503, body=relayed(503, "upstream connect error")), GOOD)
    out = exec_run("do it", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "All good now.\n"
    assert len(fake_provider.requests) == 2
    fake_provider.default = HttpError(400, body=relayed(400, "tools[0].name is invalid"))
    out = exec_run("do it", cwd=workdir)
    assert out.returncode == 1
    assert len(fake_provider.requests) == 3  # one more, not retried
    error = out.stderr.strip().splitlines()[-1]  # a bad request has no generic next step
    assert error.startswith("error: Fake returned HTTP 400 api_error") and "tools[0].name is invalid" in error
    assert "Reconnecting" not in out.stderr and TROUBLE_HINT not in out.stderr


@pytest.mark.parametrize("wire", WIRES)
def test_a_message_over_several_lines_is_one_error_line(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path, wire: str
) -> None:
    """LiteLLM appends its own paragraph to the upstream's message: still one line, then the hint."""
    message = (
        "litellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key provided.\n\n"
        "LiteLLM: model group 'fake-gpt' failed with the error above. No fallback was attempted."
    )
    body = {"error": {"message": message, "type": "authentication_error", "param": None, "code": "401"}}
    configure(isolated_home, fake_provider, wire)
    fake_provider.default = HttpError(401, body=body)
    out = exec_run("do it", cwd=workdir)
    assert out.returncode == 3
    error, hint = error_and_hint(out.stderr)
    assert error.startswith("error: Fake returned HTTP 401 authentication_error (401): litellm.AuthenticationError")
    assert "Incorrect API key provided. LiteLLM: model group 'fake-gpt' failed" in error
    assert hint == KEY_HINT


# --- a plain JSON 200 for stream: true (LiteLLM's mock on /v1/messages) ---------------------------

LITELLM_MESSAGE = (
    b'{"content":[{"text":"Hello from the LiteLLM mock.","type":"text"}],"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF",'
    b'"model":"mock-text","role":"assistant","stop_reason":"end_turn","stop_sequence":null,"type":"message",'
    b'"usage":{"input_tokens":2095,"output_tokens":503}}'
)


@pytest.mark.parametrize("wire", WIRES)
def test_plain_json_200_says_the_server_ignored_streaming(isolated_home: Path, workdir: Path, wire: str) -> None:
    server = RawServer(200, "application/json", LITELLM_MESSAGE)
    raw_config(isolated_home, server, wire)
    try:
        out = exec_run("do it", cwd=workdir)
    finally:
        server.close()
    assert out.returncode == 1
    assert len(server.requests) == 1  # it would answer the same again
    error, hint = error_and_hint(out.stderr)
    assert error == (
        "error: Fake ignored `stream: true` and answered with one whole JSON `message` object "
        "(expected an event stream, got application/json)"
    )
    assert hint == (
        "hint: the server at the base_url of provider `fake` does not stream on this wire API: check wire_api "
        f'(now "{wire}") and base_url, and that no proxy in between buffers or rewrites the stream'
    )
    assert "cut off" not in out.stderr and "Hello from the LiteLLM mock" not in out.stderr


def test_a_web_page_with_200_points_at_the_base_url(isolated_home: Path, workdir: Path) -> None:
    page = b"<html><head><title>Welcome</title><style>p{}</style></head><body><h1>Welcome to nginx!</h1></body></html>"
    server = RawServer(200, "text/html", page)
    raw_config(isolated_home, server, "chat")
    try:
        out = exec_run("do it", cwd=workdir)
    finally:
        server.close()
    assert out.returncode == 1
    error, hint = error_and_hint(out.stderr)
    assert error == (
        "error: Fake answered HTTP 200 but not with an event stream: Welcome to nginx! "
        "(expected an event stream, got text/html)"
    )
    assert hint.startswith("hint: check the base_url of provider `fake`")


def test_an_error_object_with_200_is_reported_as_the_error(isolated_home: Path, workdir: Path) -> None:
    body = json.dumps(
        {"error": {"message": "Invalid model name passed in model=nope", "type": "invalid_request_error"}}
    )
    server = RawServer(200, "application/json", body.encode())
    raw_config(isolated_home, server, "responses")
    try:
        out = exec_run("do it", cwd=workdir)
    finally:
        server.close()
    assert out.returncode == 1
    error, _ = error_and_hint(out.stderr)
    assert error.startswith("error: Fake answered HTTP 200 with an error: invalid_request_error: Invalid model name")


# --- an error body framed as SSE (LiteLLM on /v1/responses) --------------------------------------

LITELLM_SSE_ERROR = (
    b'data: {"error": {"message": "Error processing stream start", "type": "internal_server_error", '
    b'"param": null, "code": "500"}}\n\ndata: [DONE]\n\n'
)


@pytest.mark.parametrize("wire", WIRES)
def test_sse_framed_error_body_is_parsed_not_printed_raw(isolated_home: Path, workdir: Path, wire: str) -> None:
    server = RawServer(500, "text/event-stream; charset=utf-8", LITELLM_SSE_ERROR, chunked=True)
    raw_config(isolated_home, server, wire)
    try:
        out = exec_run("do it", cwd=workdir)
    finally:
        server.close()
    assert out.returncode == 1
    assert len(server.requests) == 2  # a 500: retried once
    error, hint = error_and_hint(out.stderr)
    assert error == "error: Fake returned HTTP 500 internal_server_error (500): Error processing stream start"
    assert hint == TROUBLE_HINT
    assert "data:" not in out.stderr and "[DONE]" not in out.stderr


@pytest.mark.parametrize("wire", WIRES)
def test_error_chunk_inside_a_200_stream_is_reported(isolated_home: Path, workdir: Path, wire: str) -> None:
    """A proxy that fails after the headers went out sends a type-less ``{"error": ...}`` chunk on any wire."""
    server = RawServer(200, "text/event-stream", LITELLM_SSE_ERROR)
    raw_config(isolated_home, server, wire)
    try:
        out = exec_run("--json", "do it", cwd=workdir)
    finally:
        server.close()
    assert out.returncode == 1
    failed = json_events(out)[-1]
    assert failed["type"] == "turn.failed"
    message = failed["error"]["message"]
    assert message.startswith("Fake reported an error: internal_server_error: Error processing stream start"), message
    assert "stream closed" not in message


def test_good_reply_after_a_relayed_error_on_resume(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path
) -> None:
    """A relayed 401 leaves a resumable session: once the key is fixed, the same session goes on."""
    configure(isolated_home, fake_provider, "messages")
    fake_provider.script(HttpError(401, body=relayed(401, UPSTREAM_401)), Reply(text="back"))
    assert exec_run("do it", cwd=workdir).returncode == 3
    again = exec_run("resume", "--last", "go on", cwd=workdir)
    assert again.returncode == 0, again.stderr
    assert again.stdout == "back\n"
