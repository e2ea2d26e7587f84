"""Golden request bodies per wire API, and the rules that keep every request valid."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from codex_py.protocol import (
    AssistantMessage,
    ImagePart,
    ModelRequest,
    Reasoning,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
    UserMessage,
)
from codex_py.providers import chat, messages, responses

SCHEMA = {"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}}}}
GRAMMAR = {"format": {"type": "grammar", "syntax": "lark", "definition": "start: x"}}
TOOLS = [
    ToolSpec("shell", "Run a command.", SCHEMA),
    ToolSpec("apply_patch", "Edit files.", GRAMMAR, kind="custom"),
    ToolSpec("bash", "Run bash.", {}, native="anthropic_bash"),
]
PATCH = "*** Begin Patch\n*** End Patch"
EPHEMERAL = {"type": "ephemeral"}


def user_with_image() -> UserMessage:
    return UserMessage((TextPart("fix the bug"), ImagePart("data:image/png;base64,iVBORw0K")))


def openai_history() -> list[Any]:
    return [
        user_with_image(),
        Reasoning(
            "Looking.",
            provider="responses",
            payload={
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"type": "summary_text", "text": "Looking."}],
                "encrypted_content": "ENC1",
                "status": "completed",
            },
        ),
        AssistantMessage("Checking.", provider_data={"responses": {"phase": "commentary"}}),
        ToolCall("call_1", "shell", '{"command":["ls"]}'),
        ToolCall("call_2", "apply_patch", PATCH, kind="custom"),
        ToolResult("call_1", "a.py"),
        ToolResult("call_2", "patch failed", is_error=True),
        AssistantMessage("Done."),
        UserMessage.of("thanks"),
    ]


def anthropic_history() -> list[Any]:
    return [
        user_with_image(),
        Reasoning("Let me look.", provider="messages", payload={"signature": "SIG1"}),
        Reasoning("", provider="messages", payload={"redacted": "RED1"}),
        AssistantMessage("Checking."),
        ToolCall("toolu_1", "shell", '{"command":["ls"]}'),
        ToolCall("toolu_2", "bash", '{"command":"pwd"}'),
        ToolResult("toolu_1", "a.py"),
        ToolResult("toolu_2", "", is_error=True),
        AssistantMessage("Done."),
        UserMessage.of("thanks"),
    ]


def request(model: str, items: list[Any], **kwargs: Any) -> ModelRequest:
    return ModelRequest(model=model, instructions="You are codex-py.", items=items, tools=TOOLS, **kwargs)


def test_responses_golden_body() -> None:
    body = responses.build_request_body(
        request("gpt-5.1-codex", openai_history(), reasoning_effort="high", session_id="s1", max_output_tokens=4000)
    )
    assert body == {
        "model": "gpt-5.1-codex",
        "instructions": "You are codex-py.",
        "input": [
            {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "fix the bug"},
                {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0K"}]},
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Looking."}],
             "encrypted_content": "ENC1"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Checking."}],
             "phase": "commentary"},
            {"type": "function_call", "call_id": "call_1", "name": "shell", "arguments": '{"command":["ls"]}'},
            {"type": "custom_tool_call", "call_id": "call_2", "name": "apply_patch", "input": PATCH},
            {"type": "function_call_output", "call_id": "call_1", "output": "a.py"},
            {"type": "custom_tool_call_output", "call_id": "call_2", "output": "patch failed"},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Done."}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "thanks"}]},
        ],
        "tools": [
            {"type": "function", "name": "shell", "description": "Run a command.", "strict": False,
             "parameters": SCHEMA},
            {"type": "custom", "name": "apply_patch", "description": "Edit files.", "format": GRAMMAR["format"]},
        ],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "reasoning": {"effort": "high", "summary": "auto"},
        "store": False,
        "stream": True,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "s1",
        "max_output_tokens": 4000,
    }  # fmt: skip


def test_responses_chatgpt_backend_shape() -> None:
    req = request("gpt-5.1-codex", [UserMessage.of("hi")], max_output_tokens=4000, session_id="s1")
    req.instructions = ""
    body = responses.build_request_body(req, backend="chatgpt")
    assert body["store"] is False and "instructions" in body and "max_output_tokens" not in body
    assert body["reasoning"] == {"effort": "medium", "summary": "auto"}  # the catalog default
    _, headers = responses.ResponsesDialect(None, "chatgpt").prepare(req)  # type: ignore[arg-type]
    assert headers == {"session_id": "s1"}


def test_responses_non_reasoning_model_sends_no_reasoning() -> None:
    body = responses.build_request_body(request("gpt-4.1", [UserMessage.of("hi")], reasoning_summary="none"))
    assert "reasoning" not in body and body["include"] == []


def test_chat_golden_body() -> None:
    body = chat.build_request_body(request("qwen3-coder", openai_history(), max_output_tokens=4000))
    assert body == {
        "model": "qwen3-coder",
        "messages": [
            {"role": "system", "content": "You are codex-py."},
            {"role": "user", "content": [
                {"type": "text", "text": "fix the bug"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}}]},
            {"role": "assistant", "content": "Checking.", "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "shell", "arguments": '{"command":["ls"]}'}},
                {"id": "call_2", "type": "function",
                 "function": {"name": "apply_patch", "arguments": json.dumps({"input": PATCH})}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "a.py"},
            {"role": "tool", "tool_call_id": "call_2", "content": "patch failed"},
            {"role": "assistant", "content": "Done."},
            {"role": "user", "content": "thanks"},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "tools": [
            {"type": "function", "function": {"name": "shell", "description": "Run a command.", "parameters": SCHEMA}},
            {"type": "function", "function": {"name": "apply_patch", "description": "Edit files.", "parameters": {
                "type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]}}},
        ],
        "tool_choice": "auto",
        "max_tokens": 4000,
    }  # fmt: skip


def test_messages_golden_body() -> None:
    body, betas = messages.build_request(request("claude-sonnet-4-5", anthropic_history(), reasoning_effort="high"))
    assert betas == ["interleaved-thinking-2025-05-14"]
    assert body == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 32000,
        "system": [{"type": "text", "text": "You are codex-py.", "cache_control": EPHEMERAL}],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "fix the bug"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"}}]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "Let me look.", "signature": "SIG1"},
                {"type": "redacted_thinking", "data": "RED1"},
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "shell", "input": {"command": ["ls"]}},
                {"type": "tool_use", "id": "toolu_2", "name": "bash", "input": {"command": "pwd"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a.py"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "is_error": True, "cache_control": EPHEMERAL}]},
            {"role": "assistant", "content": [{"type": "text", "text": "Done."}]},
            {"role": "user", "content": [{"type": "text", "text": "thanks", "cache_control": EPHEMERAL}]},
        ],
        "tools": [
            {"name": "shell", "description": "Run a command.", "input_schema": SCHEMA},
            {"name": "apply_patch", "description": "Edit files.", "input_schema": {
                "type": "object", "properties": {"input": {"type": "string", "description": "The raw input text."}},
                "required": ["input"]}},
            {"type": "bash_20250124", "name": "bash", "cache_control": EPHEMERAL},
        ],
        "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
        "thinking": {"type": "enabled", "budget_tokens": 20000},
        "stream": True,
    }  # fmt: skip


def test_messages_thinking_budget_respects_max_tokens_and_minimum() -> None:
    body, _ = messages.build_request(request("claude-sonnet-4-5", [UserMessage.of("hi")], max_output_tokens=5000,
                                             reasoning_effort="high"))  # fmt: skip
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 4999}
    assert body["thinking"]["budget_tokens"] < body["max_tokens"]
    body, _ = messages.build_request(request("claude-sonnet-4-5", [UserMessage.of("hi")], max_output_tokens=1024))
    assert "thinking" not in body  # no room for the 1024-token minimum
    body, betas = messages.build_request(request("claude-sonnet-4-5", [UserMessage.of("hi")], reasoning_effort="none"))
    assert "thinking" not in body and betas == []


def test_messages_adaptive_thinking_and_old_models() -> None:
    body, betas = messages.build_request(request("claude-opus-4-7", [UserMessage.of("hi")], reasoning_effort="minimal"))
    assert body["thinking"] == {"type": "adaptive"} and body["output_config"] == {"effort": "low"}
    assert betas == []
    body, _ = messages.build_request(request("claude-3-5-haiku-20241022", [UserMessage.of("hi")]))
    assert "thinking" not in body and body["max_tokens"] == 8192
    assert all("type" not in t for t in body["tools"]), "no native tool for a model without it"


def test_messages_structured_output_native_or_a_forced_answer_tool() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    hi = [UserMessage.of("hi")]
    body, _ = messages.build_request(request("claude-sonnet-4-5", hi, output_schema=schema))
    assert body["output_config"]["format"] == {"type": "json_schema", "schema": schema}
    assert all(t.get("name") != "final_answer" for t in body["tools"])
    assert messages.final_answer_tool(request("claude-opus-4-8", hi, output_schema=schema)) == ""
    assert messages.final_answer_tool(request("claude-unknown-9", hi, output_schema=schema)) == ""  # default: native
    body, betas = messages.build_request(request("claude-3-7-sonnet-latest", hi, output_schema=schema,
                                                 reasoning_effort="high"))  # fmt: skip
    assert "output_config" not in body and "thinking" not in body and betas == []  # forced tools refuse thinking
    assert body["tools"][-1]["name"] == "final_answer" and body["tools"][-1]["input_schema"] == schema
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    only = ModelRequest(model="claude-3-5-haiku", instructions="x", items=hi, tools=(), output_schema=schema)
    body, _ = messages.build_request(only)
    assert [t["name"] for t in body["tools"]] == ["final_answer"]
    assert body["tool_choice"] == {"type": "tool", "name": "final_answer"}
    assert messages.final_answer_tool(request("claude-3-5-haiku", hi)) == ""  # no schema, no tool


def test_messages_merges_turns_and_puts_tool_results_first() -> None:
    items = [
        UserMessage.of("one"),
        UserMessage.of("two"),
        ToolCall("a", "shell", "{}"),
        UserMessage.of("interjection"),
        ToolResult("a", "out"),
    ]
    body, _ = messages.build_request(request("claude-haiku-4-5", items, reasoning_effort="none"))
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["user", "assistant", "user"]
    assert [b["type"] for b in body["messages"][2]["content"]] == ["tool_result", "text"]


def test_messages_cache_breakpoints_at_most_four() -> None:
    items: list[Any] = []
    for i in range(6):
        items += [UserMessage.of(f"q{i}"), AssistantMessage(f"a{i}")]
    items.append(UserMessage.of("last"))
    body, _ = messages.build_request(request("claude-haiku-4-5", items))
    marks = json.dumps(body).count('"cache_control"')
    assert marks == 4
    user_marks = [m for m in body["messages"] if "cache_control" in m["content"][-1]]
    assert [m["content"][-1]["text"] for m in user_marks] == ["q5", "last"]


def _breakpoints(body: dict[str, Any]) -> list[tuple[int, int]]:
    return [
        (m, b)
        for m, message in enumerate(body["messages"])
        for b, block in enumerate(message["content"])
        if "cache_control" in block
    ]


def _unmarked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unmarked(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_unmarked(v) for v in value]
    return value


def test_messages_long_session_reads_each_prefix_from_the_cache() -> None:
    """Every request ends its prefix with a breakpoint that the next request repeats over identical
    content, so each turn pays for its new blocks only (tool loops and new user turns alike)."""
    history: list[Any] = [UserMessage.of("fix the bug")]
    bodies = []
    for step in range(8):
        body, _ = messages.build_request(request("claude-sonnet-4-5", list(history), reasoning_effort="low"))
        bodies.append(body)
        history.append(Reasoning(f"step {step}", provider="messages", payload={"signature": f"SIG{step}"}))
        if step % 3 == 2:  # the model answers; the user asks again
            history += [AssistantMessage(f"answer {step}"), UserMessage.of(f"next {step}")]
        else:  # two calls, two results
            calls = [ToolCall(f"toolu_{step}_{i}", "shell", '{"command":["ls"]}') for i in range(2)]
            history += [*calls, *(ToolResult(c.call_id, "a.py\n" * 50) for c in calls)]
    for before, after in pairwise(bodies):
        assert after["system"] == before["system"] and after["tools"] == before["tools"]
        m, b = _breakpoints(before)[-1]
        assert (m, b) in _breakpoints(after), "the previous prefix end is still a breakpoint"
        assert _unmarked(after["messages"][: m + 1]) == _unmarked(before["messages"][: m + 1])
        assert json.dumps(after).count('"cache_control"') <= 4
