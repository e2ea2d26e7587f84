"""Client plumbing: catalog, model listing, headers and auth, SSE framing, lazy imports."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Generator

import httpx
import pytest

from codex_py.config.model import ProviderInfo
from codex_py.protocol import Completed, ModelRequest, StreamError, UserMessage
from codex_py.providers import open_client
from codex_py.providers._sse import iter_sse_data
from codex_py.providers.catalog import list_models, model_info
from tests.support import FakeProvider, HttpError, Reply
from tests.test_providers_stream import collect, make_provider, make_request, terminal


class HeaderAuth(httpx.Auth):
    """What the login package hands over: sets the credential, refreshes on 401 once."""

    def __init__(self) -> None:
        self.token = "old-token"
        self.refreshes = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["authorization"] = f"Bearer {self.token}"
        response = yield request
        if response.status_code == 401:
            self.refreshes += 1
            self.token = "new-token"
            request.headers["authorization"] = f"Bearer {self.token}"
            yield request


def test_catalog_known_models_and_wire_filtered_native_tools() -> None:
    codex = model_info("responses", "gpt-5.1-codex")
    assert codex.known and codex.context_window == 272_000 and "freeform_apply_patch" in codex.native_tools
    assert "freeform_apply_patch" not in model_info("chat", "gpt-5.1-codex").native_tools
    claude = model_info("messages", "claude-sonnet-4-5-20250929")  # dated slug -> prefix match
    assert claude.known and claude.native_tools == {"anthropic_bash", "anthropic_text_editor"}
    assert claude.thinking == "enabled" and claude.max_output_tokens == 64000
    assert model_info("chat", "anthropic/claude-sonnet-4.5").slug == "anthropic/claude-sonnet-4.5"
    assert model_info("chat", "anthropic/claude-sonnet-4.5").known
    assert model_info("responses", "gpt-5-mini-2025-08-07").reasoning_efforts[0] == "minimal"
    assert model_info("messages", "claude-opus-4-7").thinking == "adaptive"


def test_catalog_unknown_model_gets_safe_defaults() -> None:
    info = model_info("chat", "my-local-model:7b")
    assert not info.known and not info.supports_reasoning and not info.native_tools
    assert info.context_window > 0 and info.max_output_tokens > 0
    assert not model_info("responses", "gpt-50").known, "a prefix must end at a boundary"


def test_catalog_uses_provider_default_model() -> None:
    provider = ProviderInfo(wire_api="messages", default_model="claude-haiku-4-5")
    assert model_info(provider, "").slug == "claude-haiku-4-5"


@pytest.mark.parametrize("wire", ["responses", "messages"])
async def test_list_models_from_the_endpoint(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.models = ["b-model", "a-model"]
    models = await list_models(make_provider(fake_provider, wire), HeaderAuth())
    assert models == ["a-model", "b-model"]
    request = fake_provider.last_request
    assert request.method == "GET" and request.headers["authorization"] == "Bearer old-token"
    assert ("anthropic-version" in request.headers) == (wire == "messages")


async def test_auth_is_used_and_refreshes_on_401(fake_provider: FakeProvider) -> None:
    fake_provider.script(HttpError(401), Reply(text="ok"))
    auth = HeaderAuth()
    client = open_client(make_provider(fake_provider, "responses"), auth=auth)
    assert isinstance(terminal(await collect(client, make_request("responses"))), Completed)
    assert auth.refreshes == 1
    assert [r.headers["authorization"] for r in fake_provider.requests] == ["Bearer old-token", "Bearer new-token"]


@pytest.mark.parametrize(("wire", "header", "value"), [("messages", "x-api-key", "k-123"),
                                                       ("chat", "authorization", "Bearer k-123")])  # fmt: skip
async def test_env_key_without_auth(
    fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch, wire: str, header: str, value: str
) -> None:
    monkeypatch.setenv("FAKE_KEY", "k-123")
    monkeypatch.setenv("FAKE_ORG", "org-9")
    fake_provider.script(Reply(text="ok"))
    provider = make_provider(
        fake_provider, wire, env_key="FAKE_KEY", http_headers={"x-extra": "1"}, env_http_headers={"x-org": "FAKE_ORG"}
    )
    await collect(open_client(provider), make_request(wire))
    headers = fake_provider.last_request.headers
    assert headers[header] == value and headers["x-extra"] == "1" and headers["x-org"] == "org-9"
    assert headers["accept"] == "text/event-stream"


async def test_messages_headers_merge_betas_and_version(fake_provider: FakeProvider) -> None:
    fake_provider.script(Reply(text="ok"))
    client = open_client(make_provider(fake_provider, "messages"), extra_headers={"anthropic-beta": "oauth-2025-04-20"})
    request = ModelRequest("claude-sonnet-4-5", "x", [UserMessage.of("hi")], tools=make_request("chat").tools)
    await collect(client, request)
    headers = fake_provider.last_request.headers
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["anthropic-beta"] == "oauth-2025-04-20,interleaved-thinking-2025-05-14"


async def test_base_url_override_query_params_and_chatgpt_session_header(fake_provider: FakeProvider) -> None:
    fake_provider.script(Reply(text="ok"))
    provider = make_provider(fake_provider, "responses", base_url="http://127.0.0.1:9/nowhere",
                             query_params={"api-version": "2025-01-01"})  # fmt: skip
    client = open_client(provider, base_url=fake_provider.url + "/backend-api/codex/", backend="chatgpt")
    request = make_request("responses", session_id="sess-7")
    await collect(client, request)
    recorded = fake_provider.last_request
    assert recorded.path == "/backend-api/codex/responses" and recorded.query == "api-version=2025-01-01"
    assert recorded.headers["session_id"] == "sess-7" and recorded.json["store"] is False


async def test_empty_model_means_provider_default(fake_provider: FakeProvider) -> None:
    fake_provider.script(Reply(text="ok"))
    provider = make_provider(fake_provider, "chat", default_model="qwen3-coder")
    await collect(open_client(provider), ModelRequest("", "x", [UserMessage.of("hi")]))
    assert fake_provider.last_request.json["model"] == "qwen3-coder"


async def _sse(chunks: list[bytes]) -> list[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    return [data async for data in iter_sse_data(gen())]


@pytest.mark.parametrize("split", [1, 2, 3, 5, 1000])
async def test_sse_framing(split: int) -> None:
    raw = (
        b': comment\r\nevent: a\r\ndata: {"x":1}\r\n\r\n'
        b"data: line1\ndata:line2\n\n"
        b"id: 7\nretry: 10\ndata: \xc3\xa9t\xc3\xa9\r\rdata: [DONE]"
    )
    chunks = [raw[i : i + split] for i in range(0, len(raw), split)]
    assert await _sse(chunks) == [b'{"x":1}', b"line1\nline2", "été".encode(), b"[DONE]"]


async def test_sse_incomplete_last_event_is_not_delivered_unless_complete_line() -> None:
    assert await _sse([b'data: {"a":1}\n\ndata: {"trunc']) == [b'{"a":1}']
    assert await _sse([b'data: {"a":1}\n']) == [b'{"a":1}']


def test_importing_providers_is_light() -> None:
    code = "import sys, codex_py.providers, codex_py.providers.catalog; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("raw", [b'{"a":"\\ud83d"}', '{"t":"été 😀","n":[1,2.5,null,true]}'.encode()])
def test_event_json_parsers_agree(raw: bytes) -> None:
    from codex_py.providers import _sse

    assert _sse.loads(raw) == _sse._json_loads(raw)
    with pytest.raises(ValueError):
        _sse.loads(b'{"trunc')


@pytest.mark.parametrize(
    ("wire", "body"),
    [
        ("responses", b'data: {"type":"response.output_text.delta"}\n\n'),
        ("chat", b'data: {"choices":[{"delta":{"tool_calls":[{"index":"x","function":7}]}}]}\n\n'),
        ("messages", b'data: {"type":"content_block_delta","index":0}\n\n'),
    ],
)
async def test_unexpected_event_shape_is_a_clear_error(wire: str, body: bytes) -> None:
    from tests.test_conformance_streams import RawServer

    server = RawServer(200, "text/event-stream", body, chunked=False, headers={})
    provider = ProviderInfo(name="Odd", base_url=f"http://127.0.0.1:{server.port}/v1", wire_api=wire)  # type: ignore[arg-type]
    try:
        end = terminal(await collect(open_client(provider), make_request(wire)))
    finally:
        server.close()
    assert isinstance(end, StreamError) and not end.retryable and "could not decode an event from Odd" in end.message
