"""Compaction: estimates, thresholds, and which user messages survive."""

from __future__ import annotations

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
    compact_threshold,
    estimate_tokens,
    is_summary_message,
    recent_user_messages,
    should_compact,
)


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
