"""The loopback fake provider speaks the real wire protocols: the official SDKs parse what it sends."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.support import Call, FakeProvider, HttpError, RateLimits, RecordedRequest, Reply, StreamError, Usage

REPO_ROOT = Path(__file__).resolve().parent.parent
USER: Any = [{"role": "user", "content": "x"}]
SHELL_ARGS = '{"command":["ls","-la"],"workdir":"/tmp/project"}'
PATCH = "*** Begin Patch\n*** Add File: a.txt\n+hello\n*** End Patch\n"
FULL = Reply(
    text="Here is the listing you asked for.",
    reasoning=["First I look.", "Then I act."],
    signature="sig-opaque-123",
    tool_calls=[Call("shell", SHELL_ARGS, call_id="call_a"), Call("read_file", '{"path":"README.md"}')],
    usage=Usage(input_tokens=1200, output_tokens=80, cached_tokens=1000, reasoning_tokens=30),
)


def oai(fake: FakeProvider) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.base_url, api_key="sk-test-key", max_retries=0)


def ant(fake: FakeProvider) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=fake.url, api_key="sk-ant-test", max_retries=0)


def sse_events(fake: FakeProvider, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """POST and parse the SSE body by hand: the JSON of every ``data:`` line except ``[DONE]``."""
    with httpx.Client(timeout=10) as client, client.stream("POST", fake.base_url + path, json=body) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        return [
            json.loads(line[6:]) for line in resp.iter_lines() if line.startswith("data: ") and line != "data: [DONE]"
        ]


def messages_final(fake: FakeProvider) -> Any:
    """Stream one Messages request with the Anthropic SDK and return its accumulated message."""
    with ant(fake).messages.stream(model="claude-test-model", max_tokens=1024, messages=USER) as stream:
        return stream.get_final_message()


def chat_final(fake: FakeProvider, **options: Any) -> Any:
    """Stream one Chat Completions request with the OpenAI SDK and return the accumulated completion."""
    options.setdefault("model", "gpt-test")
    with oai(fake).chat.completions.stream(messages=USER, **options) as stream:
        return stream.get_final_completion()


def seen_response_events(fake: FakeProvider, seen: list[str]) -> None:
    """Stream one Responses request with the OpenAI SDK, appending each event type to ``seen``."""
    with oai(fake).responses.stream(model="gpt-5", input="x") as stream:
        seen.extend(event.type for event in stream)


# --- the three dialects, parsed by the official SDKs


def test_responses_sdk_parses_reasoning_text_and_split_tool_calls(fake_provider: FakeProvider) -> None:
    fake_provider.script(FULL)
    with oai(fake_provider).responses.stream(model="gpt-5-codex", input="list files") as stream:
        arg_deltas = [e.delta for e in stream if e.type == "response.function_call_arguments.delta"]
        final = stream.get_final_response()

    reasoning, message, shell, read = final.output
    assert reasoning.type == "reasoning" and message.type == "message"
    assert [s.text for s in reasoning.summary] == ["First I look.", "Then I act."]
    assert reasoning.encrypted_content == "sig-opaque-123"
    assert reasoning.id
    assert final.output_text == "Here is the listing you asked for."
    assert shell.type == "function_call" and read.type == "function_call"
    assert (shell.call_id, shell.name, shell.arguments) == ("call_a", "shell", SHELL_ARGS)
    assert read.name == "read_file" and json.loads(read.arguments) == {"path": "README.md"}
    assert len(arg_deltas) >= 4 and "".join(arg_deltas) == SHELL_ARGS + '{"path":"README.md"}'
    assert final.model == "gpt-5-codex"
    assert final.usage is not None
    assert final.usage.input_tokens_details.cached_tokens == 1000
    assert final.usage.output_tokens_details.reasoning_tokens == 30
    assert final.usage.total_tokens == 1280


def test_responses_custom_tool_call_streams_freeform_input(fake_provider: FakeProvider) -> None:
    fake_provider.script(Reply(tool_calls=[Call("apply_patch", PATCH, kind="custom", call_id="call_p")]))
    with oai(fake_provider).responses.stream(model="gpt-5", input="patch it") as stream:
        deltas = [e.delta for e in stream if e.type == "response.custom_tool_call_input.delta"]
        final = stream.get_final_response()
    (call,) = final.output
    assert call.type == "custom_tool_call"
    assert (call.call_id, call.name, call.input) == ("call_p", "apply_patch", PATCH)
    assert len(deltas) == 3 and "".join(deltas) == PATCH


def test_chat_sdk_parses_reasoning_content_text_tool_calls_and_usage(fake_provider: FakeProvider) -> None:
    fake_provider.script(FULL)
    final = chat_final(fake_provider, stream_options={"include_usage": True})
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == FULL.text
    assert getattr(choice.message, "reasoning_content", None) == "First I look.\n\nThen I act."
    calls = choice.message.tool_calls or []
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("call_a", "shell", SHELL_ARGS),
        ("call_fake0001_1", "read_file", '{"path":"README.md"}'),
    ]
    assert final.usage is not None
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (1200, 80)
    assert final.usage.prompt_tokens_details is not None and final.usage.prompt_tokens_details.cached_tokens == 1000


def test_chat_tool_call_deltas_carry_id_and_name_first_then_argument_fragments(fake_provider: FakeProvider) -> None:
    fake_provider.script(Reply(tool_calls=[Call("shell", SHELL_ARGS, call_id="call_x", fragments=4)]))
    chunks = sse_events(fake_provider, "/chat/completions", {"model": "m", "stream": True, "messages": []})
    tool_deltas = [
        c["choices"][0]["delta"]["tool_calls"][0] for c in chunks if "tool_calls" in c["choices"][0]["delta"]
    ]
    assert tool_deltas[0] == {
        "index": 0,
        "id": "call_x",
        "type": "function",
        "function": {"name": "shell", "arguments": ""},
    }
    fragments = [d["function"]["arguments"] for d in tool_deltas[1:]]
    assert len(fragments) == 4 and "".join(fragments) == SHELL_ARGS
    assert all(set(d) == {"index", "function"} for d in tool_deltas[1:])
    assert "usage" not in chunks[-1]  # not asked for with stream_options.include_usage


def test_messages_sdk_parses_thinking_signature_text_tools_and_cache_usage(fake_provider: FakeProvider) -> None:
    reply = Reply(
        text=FULL.text,
        reasoning=FULL.reasoning,
        signature="sig-opaque-123",
        redacted_thinking="EmwKAhgBEgy3va3pzix",
        tool_calls=FULL.tool_calls,
        usage=Usage(input_tokens=1200, output_tokens=80, cached_tokens=1000, cache_creation_tokens=150),
    )
    fake_provider.script(reply)
    message = messages_final(fake_provider)
    thinking, redacted, text, shell, read = message.content
    assert thinking.type == "thinking"
    assert (thinking.thinking, thinking.signature) == ("First I look.\n\nThen I act.", "sig-opaque-123")
    assert redacted.type == "redacted_thinking" and redacted.data == "EmwKAhgBEgy3va3pzix"
    assert text.type == "text" and text.text == FULL.text
    assert shell.type == "tool_use" and read.type == "tool_use"
    assert (shell.id, shell.name, shell.input) == ("call_a", "shell", json.loads(SHELL_ARGS))
    assert read.input == {"path": "README.md"}
    assert message.stop_reason == "tool_use"
    assert message.model == "claude-test-model"
    usage = message.usage
    assert (usage.input_tokens, usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (50, 1000, 150)
    assert usage.output_tokens == 80
    request = fake_provider.last_request
    assert request.dialect == "messages" and request.headers["ANTHROPIC-VERSION"]


def test_messages_stream_has_pings_and_split_input_json(fake_provider: FakeProvider) -> None:
    fake_provider.script(Reply(tool_calls=[Call("shell", SHELL_ARGS)], messages_pings=2))
    events = sse_events(fake_provider, "/messages", {"model": "claude", "stream": True, "messages": []})
    types = [e["type"] for e in events]
    assert types[:2] == ["message_start", "ping"] and types.count("ping") == 2
    assert types[-2:] == ["message_delta", "message_stop"]
    partial = [e["delta"]["partial_json"] for e in events if e.get("delta", {}).get("type") == "input_json_delta"]
    assert partial[0] == "" and len(partial) == 4 and "".join(partial) == SHELL_ARGS


# --- HTTP errors in each dialect's real shape


def test_anthropic_sdk_raises_rate_limit_error_with_retry_after(fake_provider: FakeProvider) -> None:
    fake_provider.script(HttpError(429, retry_after=7))
    with pytest.raises(anthropic.RateLimitError) as info:
        ant(fake_provider).messages.create(model="c", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert info.value.response.headers["retry-after"] == "7"
    assert info.value.body == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": info.value.body["error"]["message"]},  # type: ignore[index]
        "request_id": info.value.request_id,
    }
    assert info.value.request_id and info.value.request_id.startswith("req_")


def test_anthropic_sdk_raises_overloaded_and_authentication_errors(fake_provider: FakeProvider) -> None:
    fake_provider.script(HttpError(529), HttpError(401))
    client = ant(fake_provider)
    with pytest.raises(anthropic.OverloadedError):
        client.messages.create(model="c", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.AuthenticationError, match="authentication_error"):
        client.messages.create(model="c", max_tokens=10, messages=[{"role": "user", "content": "x"}])


def test_openai_sdk_raises_rate_limit_and_context_length_errors(fake_provider: FakeProvider) -> None:
    fake_provider.script(HttpError(429, retry_after_ms=1500, rate_limits=RateLimits(tokens_remaining=0)))
    fake_provider.script(HttpError.context_length())
    client = oai(fake_provider)
    with pytest.raises(openai.RateLimitError) as limited:
        client.responses.create(model="gpt-5", input="x", stream=True)
    headers = limited.value.response.headers
    assert headers["retry-after-ms"] == "1500" and headers["x-ratelimit-remaining-tokens"] == "0"
    assert limited.value.code == "rate_limit_exceeded"
    with pytest.raises(openai.BadRequestError) as too_long:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}], stream=True)
    assert too_long.value.code == "context_length_exceeded"
    assert too_long.value.request_id and too_long.value.request_id.startswith("req_")


# --- recording


def test_requests_are_recorded_with_case_insensitive_headers_and_parsed_body(fake_provider: FakeProvider) -> None:
    fake_provider.script(Reply(text="ok"))
    body = {"model": "gpt-5", "input": "héllo", "stream": True}
    with httpx.Client() as client:
        resp = client.post(fake_provider.base_url + "/responses?x=1", json=body, headers={"X-Custom": "v1"})
    assert resp.status_code == 200
    (request,) = fake_provider.requests
    assert isinstance(request, RecordedRequest)
    assert (request.method, request.path, request.query, request.dialect) == (
        "POST",
        "/v1/responses",
        "x=1",
        "responses",
    )
    assert request.headers["x-custom"] == "v1" and "X-CUSTOM" in request.headers
    assert request.json == body and json.loads(request.body) == body
    assert request.stream and request.received_at > 0
    assert fake_provider.last_request is request


def test_stream_error_after_200_in_each_dialect(fake_provider: FakeProvider) -> None:
    fake_provider.script(Reply(text="partial", error=StreamError("Overloaded", type="overloaded_error")))
    with pytest.raises(anthropic.APIStatusError, match="overloaded_error"):
        messages_final(fake_provider)
    fake_provider.script(Reply(text="partial", error=StreamError("boom", code="server_error")))
    with pytest.raises(openai.APIError, match="boom"):
        chat_final(fake_provider)
    fake_provider.script(Reply(text="partial", error=StreamError("too long", code="context_length_exceeded")))
    events = sse_events(fake_provider, "/responses", {"model": "m", "stream": True, "input": "x"})
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"] == {"code": "context_length_exceeded", "message": "too long"}
    assert not any(e["type"] == "response.completed" for e in events)


def test_truncated_replies_end_as_each_service_reports_them(fake_provider: FakeProvider) -> None:
    fake_provider.script(*[Reply(text="cut off", stop="length")] * 3)
    with oai(fake_provider).responses.stream(model="gpt-5", input="x") as stream:
        terminal = [e for e in stream if e.type.startswith("response.") and e.type.count(".") == 1][-1]
    assert terminal.type == "response.incomplete"
    assert terminal.response.incomplete_details is not None
    assert terminal.response.incomplete_details.reason == "max_output_tokens"
    with pytest.raises(openai.LengthFinishReasonError) as length:
        chat_final(fake_provider)
    assert length.value.completion.choices[0].finish_reason == "length"
    assert messages_final(fake_provider).stop_reason == "max_tokens"


def test_responses_error_event_variant(fake_provider: FakeProvider) -> None:
    error = StreamError(
        "Rate limit reached. Please try again in 1.5s.", code="rate_limit_exceeded", responses_event="error"
    )
    fake_provider.script(Reply(text="a", error=error))
    events = sse_events(fake_provider, "/responses", {"model": "m", "stream": True})
    assert events[-1]["type"] == "error"
    assert (events[-1]["code"], events[-1]["message"]) == ("rate_limit_exceeded", error.message)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


# --- Chat Completions quirks of other servers


def test_chat_options_for_servers_without_done_finish_reason_or_separate_usage(fake_provider: FakeProvider) -> None:
    fake_provider.script(
        Reply(text="hi", reasoning="hmm", chat_reasoning_field="reasoning", chat_done=False, chat_usage="last_choice")
    )
    fake_provider.script(Reply(text="hi", chat_finish_reason=False, chat_usage="omit"))
    body = {"model": "m", "stream": True, "stream_options": {"include_usage": True}}
    with httpx.Client() as client, client.stream("POST", fake_provider.base_url + "/chat/completions", json=body) as r:
        lines = [line for line in r.iter_lines() if line]
    assert lines[-1] != "data: [DONE]"
    last = json.loads(lines[-1][6:])
    assert last["choices"][0]["finish_reason"] == "stop" and last["usage"]["prompt_tokens"] == 12
    deltas = [json.loads(line[6:])["choices"][0]["delta"] for line in lines]
    assert [d["reasoning"] for d in deltas if "reasoning" in d] == ["hmm"]

    chunks = sse_events(fake_provider, "/chat/completions", body)
    assert all(c["choices"] and c["choices"][0]["finish_reason"] is None for c in chunks)
    assert all(c.get("usage") is None for c in chunks)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "hi"


# --- transport behaviour


def test_dropped_connection_leaves_the_chunked_body_unterminated(fake_provider: FakeProvider) -> None:
    fake_provider.script(Reply(text="one two three", drop_after=-1), Reply(text="again"))
    seen: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        seen_response_events(fake_provider, seen)
    assert "response.output_item.done" in seen and "response.completed" not in seen
    # the server keeps serving after a dropped connection
    assert oai(fake_provider).responses.create(model="gpt-5", input="x").output_text == "again"


def test_stall_blocks_one_stream_while_other_connections_are_served(fake_provider: FakeProvider) -> None:
    fake_provider.script(Reply(text="slow reply", stall_after=2), Reply(text="fast"))
    url = fake_provider.base_url + "/chat/completions"
    body = {"model": "m", "stream": True}
    with httpx.Client(timeout=httpx.Timeout(10, read=0.5)) as slow, slow.stream("POST", url, json=body) as resp:
        lines = resp.iter_lines()
        first = [next(lines) for _ in range(2)]  # the role chunk and its blank separator
        assert first[0].startswith("data: ")
        assert chat_final(fake_provider).choices[0].message.content == "fast"
        with pytest.raises(httpx.ReadTimeout):
            list(lines)


def test_stall_for_a_while_then_finishes_the_stream(fake_provider: FakeProvider) -> None:
    fake_provider.script(Reply(text="patience pays", stall_after=3, stall_seconds=0.05, drop_after=None))
    assert messages_final(fake_provider).content[0].text == "patience pays"


def test_client_cancelling_a_slow_stream_does_not_break_the_server(fake_provider: FakeProvider) -> None:
    fake_provider.script(Reply(text_chunks=["x"] * 1000, delay=0.01), Reply(text="next"))
    with httpx.Client() as client:
        with client.stream("POST", fake_provider.base_url + "/messages", json={"stream": True}) as resp:
            first = next(resp.iter_lines())
        assert first == "event: message_start"
    assert messages_final(fake_provider).content[0].text == "next"


def test_keep_alive_serves_several_requests_on_one_connection(fake_provider: FakeProvider) -> None:
    fake_provider.default = Reply(text="again and again")
    with httpx.Client() as client:
        for path in ("/responses", "/chat/completions", "/messages"):
            with client.stream("POST", fake_provider.base_url + path, json={"stream": True}) as resp:
                assert b"again" in resp.read()
        assert client.get(fake_provider.base_url + "/models").status_code == 200
    ports = {r.client_port for r in fake_provider.requests}
    assert len(fake_provider.requests) == 4 and len(ports) == 1


def test_concurrent_connections_each_get_their_own_dynamic_reply(fake_provider: FakeProvider) -> None:
    fake_provider.default = lambda request: Reply(text=f"echo {request.json['model']}", delay=0.001)
    models = [f"model-{i}" for i in range(12)]
    with ThreadPoolExecutor(max_workers=len(models)) as pool:
        results = list(pool.map(lambda m: chat_final(fake_provider, model=m).choices[0].message.content, models))
    assert results == [f"echo {m}" for m in models]
    assert sorted(r.json["model"] for r in fake_provider.wait_for_requests(12)) == sorted(models)


# --- scripting


def test_script_running_out_is_a_clear_500_that_sdks_do_not_retry(fake_provider: FakeProvider) -> None:
    fake_provider.script(Reply(text="only one"))
    client = openai.OpenAI(base_url=fake_provider.base_url, api_key="sk-test-key")  # default retries stay on
    assert client.responses.create(model="gpt-5", input="x").output_text == "only one"
    with pytest.raises(openai.InternalServerError, match=r"script ran out after 1 model requests.*fake\.script"):
        client.responses.create(model="gpt-5", input="x")
    assert len(fake_provider.requests) == 2 and fake_provider.pending == 0


def test_a_failing_script_callable_is_reported_in_the_answer(fake_provider: FakeProvider) -> None:
    def broken(request: RecordedRequest) -> Reply:
        raise KeyError("missing-field")

    fake_provider.script(broken)
    with pytest.raises(anthropic.InternalServerError, match="missing-field"):
        messages_final(fake_provider)
    fake_provider.script(Reply(tool_calls=[Call("shell", "not json")]))
    with pytest.raises(anthropic.InternalServerError, match="cannot render the reply as messages: JSONDecodeError"):
        messages_final(fake_provider)


def test_non_streaming_requests_get_the_same_reply_as_json(fake_provider: FakeProvider) -> None:
    fake_provider.default = FULL
    response = oai(fake_provider).responses.create(model="gpt-5", input="x")
    assert response.output_text == FULL.text and [o.type for o in response.output][-1] == "function_call"
    completion = oai(fake_provider).chat.completions.create(model="m", messages=USER)
    assert completion.choices[0].message.tool_calls is not None
    assert completion.choices[0].message.content == FULL.text
    message = ant(fake_provider).messages.create(model="claude-test-model", max_tokens=10, messages=USER)
    assert [b.type for b in message.content] == ["thinking", "text", "tool_use", "tool_use"]
    assert message.usage.output_tokens == 80 and message.stop_reason == "tool_use"


def test_rate_limit_headers_and_extra_headers_on_success(fake_provider: FakeProvider) -> None:
    limits = RateLimits(requests_remaining=3, reset_seconds=2)
    fake_provider.script(*[Reply(text="ok", rate_limits=limits, headers={"openai-model": "gpt-5-rerouted"})] * 2)
    with httpx.Client() as client:
        openai_side = client.post(fake_provider.base_url + "/responses", json={"stream": True})
        anthropic_side = client.post(fake_provider.base_url + "/messages", json={"stream": True})
    assert openai_side.headers["x-ratelimit-remaining-requests"] == "3"
    assert openai_side.headers["x-ratelimit-reset-requests"] == "2s"
    assert openai_side.headers["openai-model"] == "gpt-5-rerouted"
    assert openai_side.headers["x-request-id"].startswith("req_")
    assert anthropic_side.headers["anthropic-ratelimit-requests-remaining"] == "3"
    assert anthropic_side.headers["anthropic-ratelimit-tokens-reset"].endswith("Z")
    assert anthropic_side.headers["request-id"].startswith("req_")


def test_model_listing_in_openai_and_anthropic_shapes(fake_provider: FakeProvider) -> None:
    fake_provider.models = ["gpt-5", "claude-opus"]
    assert [m.id for m in oai(fake_provider).models.list()] == ["gpt-5", "claude-opus"]
    assert [m.id for m in ant(fake_provider).models.list()] == ["gpt-5", "claude-opus"]


def test_unknown_route_is_a_404_naming_it(fake_provider: FakeProvider) -> None:
    with httpx.Client() as client:
        resp = client.post(fake_provider.base_url + "/embeddings", json={})
    assert resp.status_code == 404
    assert resp.json()["error"]["message"] == "fake provider: no route for POST /v1/embeddings"


def test_chunked_request_bodies_are_read_and_recorded(fake_provider: FakeProvider) -> None:
    fake_provider.script(Reply(text="ok"))
    payload = json.dumps({"model": "chunky", "stream": True}).encode()
    with httpx.Client() as client:
        resp = client.post(fake_provider.base_url + "/chat/completions", content=iter([payload[:5], payload[5:]]))
    assert resp.status_code == 200
    request = fake_provider.last_request
    assert request.headers["transfer-encoding"] == "chunked" and request.json == {"model": "chunky", "stream": True}


def test_a_hundred_thousand_deltas_arrive_intact(fake_provider: FakeProvider) -> None:
    pieces = [f"t{i} " for i in range(100_000)]
    fake_provider.script(Reply(text_chunks=pieces, usage=None))
    events = sse_events(fake_provider, "/responses", {"model": "m", "stream": True})
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    assert deltas == pieces
    assert events[-1]["type"] == "response.completed" and events[-1]["response"]["usage"] is None


def test_standalone_server_prints_its_base_url_and_serves_the_default_reply() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_provider", "--port", "0", "--text", "standalone hello"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        client = openai.OpenAI(base_url=base_url, api_key="sk-test-key", max_retries=0)
        assert client.responses.create(model="gpt-5", input="x").output_text == "standalone hello"
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert "Warning" not in stderr
