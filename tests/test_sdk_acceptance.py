"""Our request bodies, handed to the official SDKs as keyword arguments, are accepted as they are.

The SDKs' ``create`` methods take every top-level request field as an explicit keyword, so an unknown or
misspelt field is a ``TypeError``; what the SDK then sends (recorded by the loopback fake) must equal what
we built, so no field was renamed or dropped on the way. A full history (reasoning, several tool calls and
results, a custom tool call, images) and every tool form is used.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from codex_py.agent.tool_specs import tool_specs
from codex_py.protocol import (
    AssistantMessage,
    ImagePart,
    ModelRequest,
    Reasoning,
    TextPart,
    ToolCall,
    ToolResult,
    UserMessage,
)
from codex_py.protocol.items import Item
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Reply

PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def history(wire: str) -> list[Item]:
    reasoning_payload: dict[str, Any]
    if wire == "responses":
        reasoning_payload = {
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "plan"}],
            "encrypted_content": "gAAAA",
        }
    else:
        reasoning_payload = {"signature": "sig=="}
    return [
        UserMessage((TextPart("look at this"), ImagePart(PNG))),
        Reasoning("plan", provider=wire, payload=reasoning_payload),
        AssistantMessage("Checking."),
        ToolCall("call_1", "shell", json.dumps({"command": ["ls"]})),
        ToolCall("call_2", "update_plan", json.dumps({"plan": [{"step": "a", "status": "pending"}]})),
        ToolResult("call_1", "Exit code: 0\nOutput:\nREADME.md"),
        ToolResult("call_2", "Plan updated"),
        ToolCall("call_3", "apply_patch", "*** Begin Patch\n*** End Patch\n", kind="custom"),
        ToolResult("call_3", "No files were modified.", is_error=True),
        AssistantMessage("Done."),
        UserMessage.of("next"),
    ]


def request(wire: str, model: str, native: tuple[str, ...]) -> ModelRequest:
    return ModelRequest(
        model=model,
        instructions="You are a test.",
        items=history(wire),
        tools=tool_specs(frozenset(native)),
        reasoning_effort="medium",
        max_output_tokens=4096,
        session_id="sess-1",
        parallel_tool_calls=True,
    )


def assert_same_body(sent: Any, ours: dict[str, Any]) -> None:
    assert isinstance(sent, dict)
    assert sent == ours


def test_responses_body_is_accepted_by_the_openai_sdk(fake_provider: FakeProvider) -> None:
    import openai

    from codex_py.providers.responses import build_request_body

    body = build_request_body(request("responses", "gpt-5.1-codex", ("freeform_apply_patch",)))
    assert any(t.get("type") == "custom" for t in body["tools"])
    fake_provider.script(Reply(text="ok"))
    client = openai.OpenAI(base_url=fake_provider.base_url, api_key="k", max_retries=0)
    with client.responses.create(**body) as stream:
        kinds = [event.type for event in stream]
    assert kinds[-1] == "response.completed"
    assert_same_body(fake_provider.last_request.json, body)


def test_chat_body_is_accepted_by_the_openai_sdk(fake_provider: FakeProvider) -> None:
    import openai

    from codex_py.providers.chat import build_request_body

    body = build_request_body(request("chat", "qwen3-coder", ()))
    fake_provider.script(Reply(text="ok"))
    client = openai.OpenAI(base_url=fake_provider.base_url, api_key="k", max_retries=0)
    chunks = list(client.chat.completions.create(**body))
    assert chunks
    assert_same_body(fake_provider.last_request.json, body)


@pytest.mark.parametrize("model", ["claude-opus-4-6", "claude-haiku-4-5"])
def test_messages_body_is_accepted_by_the_anthropic_sdk(fake_provider: FakeProvider, model: str) -> None:
    import anthropic

    from codex_py.providers.catalog import model_info
    from codex_py.providers.messages import build_request

    native = tuple(model_info("messages", model).native_tools)
    body, betas = build_request(request("messages", model, native))
    fake_provider.script(Reply(text="ok"))
    client = anthropic.Anthropic(base_url=fake_provider.url, api_key="k", max_retries=0)
    extra = {"extra_headers": {"anthropic-beta": ",".join(betas)}} if betas else {}
    with client.messages.create(**body, **extra) as stream:
        kinds = [event.type for event in stream]
    assert kinds[-1] == "message_stop"
    assert_same_body(fake_provider.last_request.json, body)
    if native:
        assert any(str(t.get("type", "")).startswith("bash_") for t in body["tools"])
