"""The provider client against the loopback fake, on all three wire APIs: decoding, usage,
errors, retries, dropped streams, stalls and cancellation."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from codex_py.config.model import ProviderInfo
from codex_py.protocol import (
    AssistantMessage,
    Completed,
    Event,
    ItemDone,
    ModelRequest,
    RateLimits,
    Reasoning,
    ReasoningDelta,
    StopReason,
    StreamError,
    StreamRestart,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallStart,
    ToolSpec,
    UserMessage,
)
from codex_py.protocol.types import ErrorKind
from codex_py.providers import ModelClient, open_client
from tests.support import Call, FakeProvider, HttpError, Reply, Usage
from tests.support import RateLimits as FakeRateLimits
from tests.support import StreamError as FakeStreamError

WIRES = ["responses", "chat", "messages"]
MODELS = {"responses": "gpt-5.1-codex", "chat": "gpt-oss:20b", "messages": "claude-sonnet-4-5"}
SHELL = ToolSpec("shell", "Run a command.", {"type": "object", "properties": {"command": {"type": "array"}}})


def make_provider(fake: FakeProvider, wire: str, **overrides: Any) -> ProviderInfo:
    """A provider pointing at the fake; retries small unless overridden."""
    values: dict[str, Any] = {
        "name": "Fake",
        "id": "fake",
        "base_url": fake.base_url,
        "wire_api": wire,
        "request_max_retries": 2,
        "stream_max_retries": 2,
        "stream_idle_timeout_ms": 10_000,
    }
    values.update(overrides)
    return ProviderInfo(**values)


def make_client(fake: FakeProvider, wire: str, **overrides: Any) -> ModelClient:
    client = open_client(make_provider(fake, wire, **overrides), extra_headers={"authorization": "Bearer test-key"})
    client.backoff_base_s = 0.001  # type: ignore[attr-defined]
    return client


def make_request(wire: str, text: str = "hello", **kwargs: Any) -> ModelRequest:
    return ModelRequest(
        model=MODELS[wire], instructions="Be brief.", items=[UserMessage.of(text)], tools=[SHELL], **kwargs
    )


async def collect(client: ModelClient, request: ModelRequest) -> list[Event]:
    try:
        return [event async for event in client.stream(request)]
    finally:
        await client.aclose()


def terminal(events: list[Event]) -> Completed | StreamError:
    ends = [e for e in events if isinstance(e, Completed | StreamError)]
    assert len(ends) == 1, f"exactly one terminal event, got {ends}"
    assert events[-1] is ends[0], "the terminal event comes last"
    return ends[0]


def items(events: list[Event]) -> list[Any]:
    return [e.item for e in events if isinstance(e, ItemDone)]


@pytest.mark.parametrize("wire", WIRES)
async def test_text_reasoning_split_tool_calls_and_usage(fake_provider: FakeProvider, wire: str) -> None:
    args_a = json.dumps({"command": ["bash", "-lc", "ls -la | wc -l"], "workdir": "/tmp/ünï"})
    args_b = json.dumps({"command": ["git", "status"]})
    fake_provider.script(
        Reply(
            text="Let me look — at the files.",
            reasoning="I should list the files first.",
            tool_calls=[Call("shell", args_a, call_id="call_a", fragments=5), Call("shell", args_b, call_id="call_b")],
            usage=Usage(input_tokens=1200, output_tokens=80, cached_tokens=1000, reasoning_tokens=30),
        )
    )
    events = await collect(make_client(fake_provider, wire), make_request(wire))

    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Let me look — at the files."
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "I should list the files first."
    starts = [(e.call_id, e.name) for e in events if isinstance(e, ToolCallStart)]
    assert starts == [("call_a", "shell"), ("call_b", "shell")]
    deltas_a = [e.delta for e in events if isinstance(e, ToolCallDelta) and e.call_id == "call_a"]
    assert len(deltas_a) > 1 and "".join(deltas_a) == args_a
    got = items(events)
    assert [type(i) for i in got] == [Reasoning, AssistantMessage, ToolCall, ToolCall]
    assert got[0].text == "I should list the files first." and got[0].provider == wire
    assert got[1].text == "Let me look — at the files."
    assert [(c.call_id, c.name, json.loads(c.arguments)) for c in got[2:]] == [
        ("call_a", "shell", json.loads(args_a)),
        ("call_b", "shell", json.loads(args_b)),
    ]
    end = terminal(events)
    assert isinstance(end, Completed) and end.stop_reason is StopReason.TOOL_USE
    assert end.usage is not None
    assert (end.usage.input_tokens, end.usage.cached_input_tokens, end.usage.output_tokens) == (1200, 1000, 80)
    if wire != "messages":
        assert end.usage.reasoning_output_tokens == 30
    if wire == "messages":
        assert got[0].payload.get("signature")
    if wire == "responses":
        assert got[0].payload.get("encrypted_content")


@pytest.mark.parametrize("wire", WIRES)
async def test_plain_answer_ends_turn_and_length_is_max_tokens(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.script(Reply(text="done"), Reply(text="trunc", stop="length"))
    events = await collect(make_client(fake_provider, wire), make_request(wire))
    end = terminal(events)
    assert isinstance(end, Completed) and end.stop_reason is StopReason.END_TURN
    assert [i.text for i in items(events)] == ["done"]
    events = await collect(make_client(fake_provider, wire), make_request(wire))
    end = terminal(events)
    assert isinstance(end, Completed) and end.stop_reason is StopReason.MAX_TOKENS


@pytest.mark.parametrize("wire", WIRES)
async def test_rate_limit_headers_become_a_snapshot(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.script(Reply(text="ok", rate_limits=FakeRateLimits(requests_remaining=42)))
    events = await collect(make_client(fake_provider, wire), make_request(wire))
    snapshots = [e for e in events if isinstance(e, RateLimits)]
    assert len(snapshots) == 1
    prefix = "anthropic-ratelimit-" if wire == "messages" else "x-ratelimit-"
    assert snapshots[0].limits and all(k.startswith(prefix) for k in snapshots[0].limits)
    assert "42" in snapshots[0].limits.values()


ERROR_CASES = [
    (HttpError(401), ErrorKind.AUTHENTICATION, False),
    (HttpError(403), ErrorKind.PERMISSION, False),
    (HttpError(404), ErrorKind.NOT_FOUND, False),
    (HttpError(400, message="bad thing in the request"), ErrorKind.BAD_REQUEST, False),
    (HttpError.context_length(), ErrorKind.CONTEXT_WINDOW, False),
    (
        HttpError(429, code="insufficient_quota", type="insufficient_quota", message="quota gone"),
        ErrorKind.QUOTA,
        False,
    ),
    (HttpError(429, retry_after_ms=1), ErrorKind.RATE_LIMIT, True),
    (HttpError(500), ErrorKind.SERVER, True),
    (HttpError(529, type="overloaded_error", message="Overloaded"), ErrorKind.OVERLOADED, True),
]


@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize(("error", "kind", "retried"), ERROR_CASES, ids=[f"{c[0].status}-{c[1]}" for c in ERROR_CASES])
async def test_error_classes(
    fake_provider: FakeProvider, wire: str, error: HttpError, kind: ErrorKind, retried: bool
) -> None:
    fake_provider.default = error
    events = await collect(
        make_client(fake_provider, wire, request_max_retries=1, stream_max_retries=0), make_request(wire)
    )
    end = terminal(events)
    assert isinstance(end, StreamError)
    assert end.kind is kind, end
    assert end.status == error.status
    assert end.request_id, "the provider's request id is kept"
    assert len(fake_provider.requests) == (2 if retried else 1)
    assert not any(isinstance(e, TextDelta | ItemDone) for e in events)
    if error.message:
        assert error.message in end.message
    if kind is ErrorKind.AUTHENTICATION:
        assert end.hint and not end.retryable
    assert "test-key" not in end.message + end.hint


@pytest.mark.parametrize("wire", WIRES)
async def test_401_hint_names_the_login_for_the_family(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.default = HttpError(401)
    family = "anthropic" if wire == "messages" else "openai"
    events = await collect(make_client(fake_provider, wire, auth=family), make_request(wire))
    end = terminal(events)
    assert isinstance(end, StreamError) and end.kind is ErrorKind.AUTHENTICATION
    expected = (
        ("--provider anthropic", "--provider claude")
        if family == "anthropic"
        else ("--provider openai", "--provider chatgpt")
    )
    assert all(e in end.hint for e in expected)


@pytest.mark.parametrize("wire", WIRES)
async def test_retry_honours_retry_after(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.script(HttpError(429, retry_after=0.3), HttpError(503, retry_after_ms=200), Reply(text="finally"))
    client = make_client(fake_provider, wire)
    client.backoff_base_s = 5.0  # type: ignore[attr-defined]  # would be far longer than the server's delays
    events = await collect(client, make_request(wire))
    end = terminal(events)
    assert isinstance(end, Completed)
    reqs = fake_provider.requests
    assert len(reqs) == 3
    assert reqs[1].monotonic - reqs[0].monotonic >= 0.29
    assert reqs[2].monotonic - reqs[1].monotonic >= 0.19
    assert reqs[2].monotonic - reqs[0].monotonic < 4.0
    assert [i.text for i in items(events)] == ["finally"]


@pytest.mark.parametrize("wire", WIRES)
async def test_should_retry_false_is_obeyed(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.default = HttpError(500, should_retry=False)
    events = await collect(make_client(fake_provider, wire), make_request(wire))
    assert isinstance(terminal(events), StreamError)
    assert len(fake_provider.requests) == 1


@pytest.mark.parametrize("wire", WIRES)
async def test_dropped_stream_is_retried_whole_without_duplicates(fake_provider: FakeProvider, wire: str) -> None:
    text = "one two three four five six"
    fake_provider.script(Reply(text=text, drop_after=4), Reply(text=text, drop_after=-1), Reply(text=text))
    events = await collect(make_client(fake_provider, wire), make_request(wire))
    restarts = [i for i, e in enumerate(events) if isinstance(e, StreamRestart)]
    assert len(restarts) == 2
    assert [events[i].attempt for i in restarts] == [1, 2]  # type: ignore[union-attr]
    after = events[restarts[-1] + 1 :]
    assert "".join(e.text for e in after if isinstance(e, TextDelta)) == text
    assert [i.text for i in items(after)] == [text]
    assert isinstance(terminal(events), Completed)
    assert len(fake_provider.requests) == 3
    bodies = [r.json for r in fake_provider.requests]
    assert bodies[0] == bodies[1] == bodies[2], "the same request is sent again"


@pytest.mark.parametrize("wire", WIRES)
async def test_drop_after_retries_exhausted_is_a_stream_error(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.default = Reply(text="a b c", drop_after=2)
    events = await collect(make_client(fake_provider, wire, stream_max_retries=1), make_request(wire))
    end = terminal(events)
    assert isinstance(end, StreamError) and end.retryable and end.kind in (ErrorKind.STREAM, ErrorKind.NETWORK)
    assert sum(isinstance(e, StreamRestart) for e in events) == 1


@pytest.mark.parametrize("wire", WIRES)
async def test_mid_stream_error_event(fake_provider: FakeProvider, wire: str) -> None:
    err = FakeStreamError(message="Overloaded right now", code="server_is_overloaded", type="overloaded_error")
    fake_provider.script(Reply(text="partial", error=err), Reply(text="whole answer"))
    events = await collect(make_client(fake_provider, wire), make_request(wire))
    assert sum(isinstance(e, StreamRestart) for e in events) == 1
    end = terminal(events)
    assert isinstance(end, Completed)
    restart = next(i for i, e in enumerate(events) if isinstance(e, StreamRestart))
    assert "Overloaded right now" in events[restart].reason  # type: ignore[union-attr]
    assert [i.text for i in items(events[restart:])] == ["whole answer"]


@pytest.mark.parametrize("wire", WIRES)
async def test_mid_stream_fatal_error_is_not_retried(fake_provider: FakeProvider, wire: str) -> None:
    err = FakeStreamError(message="prompt is too long: 300000 tokens > 200000 maximum", code="context_length_exceeded",
                          type="invalid_request_error")  # fmt: skip
    fake_provider.script(Reply(text="", error=err))
    events = await collect(make_client(fake_provider, wire), make_request(wire))
    end = terminal(events)
    assert isinstance(end, StreamError) and end.kind is ErrorKind.CONTEXT_WINDOW and not end.retryable
    assert "prompt is too long" in end.message
    assert len(fake_provider.requests) == 1


@pytest.mark.parametrize("wire", WIRES)
async def test_stall_becomes_idle_timeout_then_retry(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.script(Reply(text="slow start", stall_after=2), Reply(text="fast"))
    events = await collect(make_client(fake_provider, wire, stream_idle_timeout_ms=300), make_request(wire))
    restart = next(e for e in events if isinstance(e, StreamRestart))
    assert "idle timeout" in restart.reason
    end = terminal(events)
    assert isinstance(end, Completed)
    assert [i.text for i in items(events)] == ["fast"]


@pytest.mark.parametrize("wire", WIRES)
async def test_stall_without_retries_is_a_timeout_error(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.default = Reply(text="never", stall_after=1)
    client = make_client(fake_provider, wire, stream_idle_timeout_ms=200, stream_max_retries=0)
    end = terminal(await collect(client, make_request(wire)))
    assert isinstance(end, StreamError) and end.kind is ErrorKind.TIMEOUT and end.retryable


@pytest.mark.parametrize("wire", WIRES)
async def test_cancellation_closes_the_stream_at_once(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.script(Reply(text=" ".join(["word"] * 200), delay=0.02), Reply(text="next"))
    client = make_client(fake_provider, wire)
    seen: list[str] = []

    async def consume() -> None:
        async for event in client.stream(make_request(wire)):
            if isinstance(event, TextDelta):
                seen.append(event.text)

    task = asyncio.create_task(consume())
    while len(seen) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(seen) < 20
    # the connection was closed, not left streaming: the next request works right away
    events = await collect(client, make_request(wire))
    assert [i.text for i in items(events)] == ["next"]


@pytest.mark.parametrize("wire", WIRES)
async def test_closing_the_iterator_mid_stream(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.script(Reply(text=" ".join(["w"] * 100), delay=0.01))
    client = make_client(fake_provider, wire)
    stream = client.stream(make_request(wire))
    async for event in stream:
        if isinstance(event, TextDelta):
            break
    await stream.aclose()  # type: ignore[attr-defined]
    await client.aclose()


async def test_connect_error_is_retried_then_reported() -> None:
    provider = ProviderInfo(name="Nowhere", id="nowhere", base_url="http://127.0.0.1:9/v1", wire_api="chat",
                            request_max_retries=2)  # fmt: skip
    client = open_client(provider)
    client.backoff_base_s = 0.001  # type: ignore[attr-defined]
    end = terminal(await collect(client, make_request("chat")))
    assert isinstance(end, StreamError) and end.kind is ErrorKind.NETWORK
    assert "could not connect" in end.message and end.hint


async def test_non_json_error_body_keeps_status_and_text(fake_provider: FakeProvider) -> None:
    fake_provider.default = HttpError(413, body=b"<html><body>Request Entity Too Large</body></html>")
    end = terminal(await collect(make_client(fake_provider, "messages"), make_request("messages")))
    assert isinstance(end, StreamError) and end.status == 413 and "Request Entity Too Large" in end.message


@pytest.mark.parametrize("wire", WIRES)
async def test_one_keep_alive_connection_serves_consecutive_requests(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.script(Reply(text="one"), Reply(text="two"), HttpError(400), Reply(text="three"))
    client = make_client(fake_provider, wire)
    try:
        for _ in range(4):
            async for _event in client.stream(make_request(wire)):
                pass
    finally:
        await client.aclose()
    ports = {r.client_port for r in fake_provider.requests}
    assert len(fake_provider.requests) == 4 and len(ports) == 1


async def test_responses_refusal_streams_as_text_and_stops_as_refusal() -> None:
    from tests.agent_support import RawServer, sse

    refusal = {"type": "refusal", "refusal": "I can't help with that."}
    message = {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed", "content": [refusal]}
    body = sse(
        {"type": "response.output_item.added", "item": {**message, "content": []}, "output_index": 0},
        {"type": "response.refusal.delta", "item_id": "msg_1", "delta": "I can't "},
        {"type": "response.refusal.delta", "item_id": "msg_1", "delta": "help with that."},
        {"type": "response.output_item.done", "item": message, "output_index": 0},
        {"type": "response.completed", "response": {"id": "resp_1", "usage": {"input_tokens": 5, "output_tokens": 6}}},
    )
    server = RawServer(200, "text/event-stream", body)
    try:
        client = open_client(ProviderInfo(name="Raw", id="raw", base_url=server.base_url, wire_api="responses"))
        events = await collect(client, make_request("responses"))
    finally:
        server.close()
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "I can't help with that."
    assert items(events) == [AssistantMessage("I can't help with that.")]
    end = terminal(events)
    assert isinstance(end, Completed) and end.stop_reason is StopReason.REFUSAL
