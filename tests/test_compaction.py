"""Compaction: estimates, thresholds, and which user messages survive."""

from __future__ import annotations

import json
from typing import Any

import pytest

from codex_py.protocol.items import (
    AssistantMessage,
    ImagePart,
    Item,
    Reasoning,
    TextPart,
    ToolCall,
    ToolResult,
    UserMessage,
)
from codex_py.session.compaction import (
    SUMMARY_PREFIX,
    _drop_oldest,
    compact_history,
    compact_threshold,
    estimate_tokens,
    is_summary_message,
    recent_user_messages,
    should_compact,
)
from tests.support.fake_provider import FakeProvider
from tests.support.replies import HttpError, Reply


def test_estimate_is_about_four_bytes_per_token() -> None:
    small = estimate_tokens([UserMessage.of("x" * 400)])
    assert 100 <= small <= 110
    unicode = estimate_tokens([AssistantMessage("é" * 400)])  # 800 bytes
    assert 200 <= unicode <= 210
    with_payload = estimate_tokens([Reasoning("t", "responses", {"encrypted_content": "e" * 4000})])
    assert with_payload > 1000
    assert estimate_tokens([UserMessage((TextPart("hi"), ImagePart("data:,")))]) >= 1000
    assert estimate_tokens([ToolCall("c", "shell", "a" * 40), ToolResult("c", "b" * 40)]) >= 20
    assert estimate_tokens([]) == 0


@pytest.mark.parametrize(
    ("used", "window", "ratio", "limit", "expected"),
    [
        (899, 1000, 0.9, None, False),
        (900, 1000, 0.9, None, True),
        (500, 1000, 0.9, 500, True),  # the configured limit is lower than the ratio
        (950, 1000, 0.9, 5000, True),  # the ratio is lower than the limit
        (10**9, None, 0.9, None, False),  # nothing known: never
        (600, None, 0.9, 600, True),
    ],
)
def test_should_compact(used: int, window: int | None, ratio: float, limit: int | None, expected: bool) -> None:
    assert should_compact(used, context_window=window, ratio=ratio, limit=limit) is expected


def test_threshold_is_the_smaller_bound() -> None:
    assert compact_threshold(context_window=200_000, ratio=0.9, limit=None) == 180_000
    assert compact_threshold(context_window=200_000, ratio=0.9, limit=50_000) == 50_000
    assert compact_threshold(context_window=None, ratio=0.9, limit=None) is None


def test_recent_user_messages_newest_within_budget_oldest_cut() -> None:
    history: list[Item] = [
        UserMessage.of("a" * 400),  # 100 tokens
        AssistantMessage("reply"),
        UserMessage.of(SUMMARY_PREFIX + "\nold summary"),
        UserMessage.of("b" * 400),
        ToolCall("c", "shell", "{}"),
        ToolResult("c", "out"),
        UserMessage.of("c" * 40),  # 10 tokens
    ]
    kept = recent_user_messages(history, budget_tokens=150)
    assert [m.text[0] for m in kept] == ["a", "b", "c"]
    assert kept[2].text == "c" * 40 and kept[1].text == "b" * 400
    assert kept[0].text.startswith("a" * 100) and kept[0].text.endswith("[... cut during compaction]")
    assert len(kept[0].text) < 400
    assert not any(is_summary_message(m) for m in kept)
    assert recent_user_messages(history, budget_tokens=0) == []


def test_drop_oldest_keeps_tool_pairs_consistent() -> None:
    history: list[Item] = [
        ToolCall("c1", "shell", "{}"),
        ToolCall("c2", "shell", "{}"),
        ToolResult("c1", "x"),
        ToolResult("c2", "y"),
        UserMessage.of("next"),
    ]
    once = _drop_oldest(history)
    assert once == [ToolCall("c2", "shell", "{}"), ToolResult("c2", "y"), UserMessage.of("next")]
    assert _drop_oldest(once) == [UserMessage.of("next")]


# --- against a real ModelClient and the loopback fake --------------------------------------------------------


def _client(fake: FakeProvider, wire: str = "responses") -> Any:
    from codex_py.config import ProviderInfo
    from codex_py.providers import open_client

    provider = ProviderInfo(
        name="Fake",
        base_url=fake.base_url,
        wire_api=wire,
        id="fake",  # type: ignore[arg-type]
        request_max_retries=0,
        stream_max_retries=0,
    )
    return open_client(provider)


LONG_HISTORY: list[Item] = [
    UserMessage.of("build a parser"),
    AssistantMessage("I will look at the grammar."),
    ToolCall("call_1", "shell", '{"command": ["ls"]}'),
    ToolResult("call_1", "grammar.txt"),
    UserMessage.of("also add tests"),
    AssistantMessage("Added tests."),
]


@pytest.mark.parametrize("wire", ["responses", "chat", "messages"])
async def test_compact_history_asks_for_a_summary_and_rebuilds_history(fake_provider: FakeProvider, wire: str) -> None:
    fake_provider.script(Reply(text="GOAL: parser. DONE: tests. NEXT: docs."))
    client = _client(fake_provider, wire)
    try:
        history, summary = await compact_history(
            client, model="gpt-fake", instructions="be brief", history=list(LONG_HISTORY)
        )
    finally:
        await client.aclose()
    assert summary == "GOAL: parser. DONE: tests. NEXT: docs."
    assert history == [
        UserMessage.of("build a parser"),
        UserMessage.of("also add tests"),
        UserMessage.of(f"{SUMMARY_PREFIX}\n{summary}"),
    ]
    body = fake_provider.last_request.json
    assert not body.get("tools"), "the summarizing request offers no tools"
    sent = json.dumps(body)
    assert "build a parser" in sent and "grammar.txt" in sent, "the whole history is summarized"
    assert "handoff note" in sent, "the summary prompt is the last user message"


async def test_compaction_overflow_drops_oldest_and_retries(fake_provider: FakeProvider) -> None:
    overflow = HttpError.context_length()
    fake_provider.script(overflow, overflow, overflow, Reply(text="short summary"))
    client = _client(fake_provider)
    try:
        history, summary = await compact_history(client, model="gpt-fake", instructions="", history=list(LONG_HISTORY))
    finally:
        await client.aclose()
    assert summary == "short summary"
    inputs = [json.dumps(r.json["input"]) for r in fake_provider.requests]
    assert len(inputs) == 4
    assert "build a parser" in inputs[0] and "build a parser" not in inputs[1]
    assert "I will look" in inputs[1] and "I will look" not in inputs[2]
    assert '"function_call"' in inputs[2] and "call_1" not in inputs[3], "a call goes together with its result"
    assert "also add tests" in inputs[3]
    assert history[-1] == UserMessage.of(f"{SUMMARY_PREFIX}\nshort summary")


async def test_compaction_failure_is_a_turn_error(fake_provider: FakeProvider) -> None:
    from codex_py.protocol.events import TurnError

    fake_provider.script(HttpError(401, message="bad key"), Reply(text=""))
    client = _client(fake_provider)
    try:
        with pytest.raises(TurnError):
            await compact_history(client, model="gpt-fake", instructions="", history=list(LONG_HISTORY))
        with pytest.raises(TurnError, match="no summary"):
            await compact_history(client, model="gpt-fake", instructions="", history=list(LONG_HISTORY))
    finally:
        await client.aclose()
