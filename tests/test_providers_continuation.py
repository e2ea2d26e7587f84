"""A conversation produced on one wire API continues on another (and on the same one with its
opaque reasoning echoed back), through the real client and the loopback fake."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest

from codex_py.protocol import Completed, ItemDone, ModelRequest, Reasoning, ToolCall, ToolResult, ToolSpec, UserMessage
from tests.support import Call, FakeProvider, Reply
from tests.test_providers_stream import MODELS, SHELL, collect, make_client, terminal

FREEFORM = ToolSpec("apply_patch", "Edit files.", {"format": {"type": "grammar", "syntax": "lark", "definition": "x"}},
                    kind="custom")  # fmt: skip
PATCH_FN = ToolSpec("apply_patch", "Edit files.", {"type": "object", "properties": {"input": {"type": "string"}}})
ODD_ID = "call|42.x"


def tools_for(wire: str) -> list[ToolSpec]:
    return [SHELL, FREEFORM if wire == "responses" else PATCH_FN]


async def first_turn(fake: FakeProvider, wire: str) -> list[Any]:
    patch = "*** Begin Patch\n*** End Patch" if wire == "responses" else json.dumps({"input": "*** Begin Patch"})
    fake.script(
        Reply(
            text="Working on it.",
            reasoning="Think about files.",
            tool_calls=[
                Call("shell", '{"command":["ls"]}', call_id=ODD_ID),
                Call("apply_patch", patch, call_id="call_p", kind="custom" if wire == "responses" else "function"),
            ],
        )
    )
    request = ModelRequest(MODELS[wire], "Be brief.", [UserMessage.of("go")], tools=tools_for(wire))
    events = await collect(make_client(fake, wire), request)
    assert isinstance(terminal(events), Completed)
    produced = [e.item for e in events if isinstance(e, ItemDone)]
    return [
        UserMessage.of("go"),
        *produced,
        ToolResult(ODD_ID, "a.py"),
        # the patch call is left unanswered on purpose (an interrupted turn)
        UserMessage.of("and now?"),
    ]


def check_messages(body: dict[str, Any], same_wire: bool) -> None:
    msgs = body["messages"]
    assert msgs[0]["role"] == "user"
    assert all(a["role"] != b["role"] for a, b in itertools.pairwise(msgs)), "roles alternate"
    for i, msg in enumerate(msgs):
        for block in msg["content"]:
            assert block.get("type") != "text" or block["text"], "no empty text blocks"
            if block["type"] == "tool_use":
                assert re.fullmatch(r"[a-zA-Z0-9_-]+", block["id"])
                answered = [b for b in msgs[i + 1]["content"] if b.get("tool_use_id") == block["id"]]
                assert len(answered) == 1, f"tool_use {block['id']} answered in the next message"
    kinds = [b["type"] for m in msgs for b in m["content"]]
    assert ("thinking" in kinds) == same_wire, "thinking echoed only to its own wire"


def check_responses(body: dict[str, Any], same_wire: bool) -> None:
    items = body["input"]
    custom = {t["name"] for t in body["tools"] if t["type"] == "custom"}
    calls = {i["call_id"]: i["type"] for i in items if i["type"] in ("function_call", "custom_tool_call")}
    outputs = {i["call_id"]: i["type"] for i in items if i["type"].endswith("_output")}
    assert set(calls) == set(outputs), "every call has an output and every output a call"
    for item in items:
        if item["type"] == "custom_tool_call":
            assert item["name"] in custom and outputs[item["call_id"]] == "custom_tool_call_output"
        if item["type"] == "function_call":
            assert item["name"] not in custom and outputs[item["call_id"]] == "function_call_output"
            json.loads(item["arguments"])
    reasoning = [i for i in items if i["type"] == "reasoning"]
    assert bool(reasoning) == same_wire
    assert all(r.get("encrypted_content") and "id" not in r for r in reasoning)


def check_chat(body: dict[str, Any], same_wire: bool) -> None:
    msgs = body["messages"]
    open_ids: list[str] = []
    for msg in msgs:
        if msg["role"] == "tool":
            assert msg["tool_call_id"] in open_ids
            open_ids.remove(msg["tool_call_id"])
        else:
            assert not open_ids, "tool results follow their assistant message"
            for call in msg.get("tool_calls", []):
                json.loads(call["function"]["arguments"])
                open_ids.append(call["id"])
    assert all("reasoning" not in m and "reasoning_content" not in m for m in msgs)


CHECKS = {"messages": check_messages, "responses": check_responses, "chat": check_chat}


@pytest.mark.parametrize(("source", "target"), list(itertools.product(MODELS, MODELS)))
async def test_history_continues_on_any_wire(fake_provider: FakeProvider, source: str, target: str) -> None:
    history = await first_turn(fake_provider, source)
    fake_provider.script(Reply(text="All good."))
    request = ModelRequest(MODELS[target], "Be brief.", history, tools=tools_for(target))
    events = await collect(make_client(fake_provider, target), request)
    assert isinstance(terminal(events), Completed)
    body = fake_provider.last_request.json
    CHECKS[target](body, same_wire=source == target)
    # nothing the user saw is lost: the assistant text and the tool output are still there
    dumped = json.dumps(body)
    assert "Working on it." in dumped and "a.py" in dumped


async def test_same_wire_reasoning_is_echoed_verbatim(fake_provider: FakeProvider) -> None:
    history = await first_turn(fake_provider, "messages")
    thinking = next(i for i in history if isinstance(i, Reasoning))
    fake_provider.script(Reply(text="ok"))
    request = ModelRequest(MODELS["messages"], "Be brief.", history, tools=tools_for("messages"))
    await collect(make_client(fake_provider, "messages"), request)
    assistant = fake_provider.last_request.json["messages"][1]
    assert assistant["content"][0] == {
        "type": "thinking",
        "thinking": thinking.text,
        "signature": thinking.payload["signature"],
    }
    calls = [i for i in history if isinstance(i, ToolCall)]
    assert [b["type"] for b in assistant["content"]][-len(calls) :] == ["tool_use"] * len(calls)
