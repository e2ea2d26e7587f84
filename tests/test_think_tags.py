"""Chat Completions servers that put the reasoning inside ``<think>…</think>`` at the start of ``content``
(Qwen, DeepSeek R1 distills via Ollama, vLLM without a reasoning parser, llama.cpp): the block streams as
reasoning and becomes a reasoning item, the rest is the answer, whatever way the tags are cut across deltas,
and the block is never sent back as text. Decoder tests feed real chunk JSON; the end-to-end tests run
``codex-py exec`` against the loopback fake provider."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from codex_py.config.model import ProviderInfo
from codex_py.protocol.events import Completed, Event, ItemDone, ReasoningDelta, TextDelta
from codex_py.protocol.items import AssistantMessage, Reasoning
from codex_py.protocol.types import StopReason
from codex_py.providers.chat import ChatDecoder
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply
from tests.test_error_ux import configure, exec_run, json_events
from tests.test_error_ux import workdir as workdir  # the fixture (explicit re-export)

BLOCK = "<think>\nThe user greets me. I should greet back.\n</think>\n\nHello there!"
REASONING = "The user greets me. I should greet back."
ANSWER = "Hello there!"


def chunk(content: str | None = None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"content": content}
    return json.dumps({"id": "c1", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}).encode()


def decode(pieces: list[str], *, finish: str | None = "stop", done: bool = True) -> list[Event]:
    """Feed ``pieces`` as content deltas the way the HTTP driver does, and collect every event."""
    decoder = ChatDecoder(ProviderInfo(name="Local"))
    events: list[Event] = []

    def drain(event: Event | None) -> None:
        if event is not None:
            events.append(event)
        events.extend(decoder.extra)
        decoder.extra.clear()

    for piece in pieces:
        drain(decoder.feed(chunk(piece)))
    drain(decoder.feed(chunk(finish=finish)))
    if done:
        drain(decoder.feed(b"[DONE]"))
        assert decoder.terminal is not None
        events.append(decoder.terminal)
    else:
        events.append(decoder.finish())
        events.extend(decoder.extra)
    return events


def split(events: list[Event]) -> tuple[str, str, list[object]]:
    """(streamed reasoning, streamed text, completed items)."""
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    items = [e.item for e in events if isinstance(e, ItemDone)]
    return reasoning, text, items


def cuts(text: str, parts: int) -> list[list[str]]:
    """Every way of cutting ``text`` into ``parts`` non-empty pieces."""
    return [
        [text[a:b] for a, b in itertools.pairwise((0, *points, len(text)))]
        for points in itertools.combinations(range(1, len(text)), parts - 1)
    ]


def test_a_think_block_is_reasoning_and_the_rest_the_answer() -> None:
    events = decode(["<think>", "\nThe user greets me.", " I should greet back.\n", "</think>", "\n\n", ANSWER])
    reasoning, text, items = split(events)
    assert text == ANSWER
    assert reasoning == REASONING + "\n"  # the deltas as they came (the blank lines after the tags dropped)
    assert items == [Reasoning(REASONING, provider="chat"), AssistantMessage(ANSWER)]
    # reasoning streams before the answer and no delta carries a tag
    kinds = [type(e) for e in events if isinstance(e, ReasoningDelta | TextDelta)]
    assert kinds == sorted(kinds, key=lambda k: k is TextDelta)
    assert not any("<" in e.text for e in events if isinstance(e, ReasoningDelta | TextDelta))


@pytest.mark.parametrize("parts", [2, 3])
def test_tags_cut_anywhere_across_deltas(parts: int) -> None:
    """Every cut of the whole content into 2 or 3 deltas (``<thi`` + ``nk>``, ``</th`` + ``ink>`` ...)."""
    for pieces in cuts(BLOCK, parts):
        reasoning, text, items = split(decode(pieces))
        assert text == ANSWER, pieces
        assert reasoning.strip() == REASONING, pieces
        assert items == [Reasoning(REASONING, provider="chat"), AssistantMessage(ANSWER)], pieces


def test_one_character_deltas() -> None:
    reasoning, text, items = split(decode(list(BLOCK)))
    assert (reasoning.strip(), text) == (REASONING, ANSWER)
    assert items == [Reasoning(REASONING, provider="chat"), AssistantMessage(ANSWER)]


def test_leading_blank_lines_before_the_tag() -> None:
    reasoning, text, _ = split(decode(["\n", "  <thi", "nk>plan</think>", "Done."]))
    assert (reasoning, text) == ("plan", "Done.")


@pytest.mark.parametrize(
    "content",
    [
        "Use <think> tags like this.",  # a tag that is not at the start is the answer's text
        "<div>not a think tag</div>",
        "<thinking>is another word</thinking>",
        "<",
        "<thi",  # the answer ends on what looked like a tag's beginning: it was not one
        "  indented answer",
    ],
)
def test_text_that_is_not_a_think_block_stays_text(content: str) -> None:
    for pieces in [[content], *cuts(content, 2)]:
        reasoning, text, items = split(decode(pieces))
        assert reasoning == ""
        assert text == content, pieces
        assert items == [AssistantMessage(content)]


def test_an_unclosed_block_cut_by_the_output_limit_is_all_reasoning() -> None:
    events = decode(["<think>still thinking", " about it </th"], finish="length")
    reasoning, text, items = split(events)
    assert text == ""
    assert reasoning == "still thinking about it </th"
    assert items == [Reasoning("still thinking about it </th", provider="chat")]
    assert isinstance(events[-1], Completed) and events[-1].stop_reason is StopReason.MAX_TOKENS


def test_a_body_without_done_keeps_both_items() -> None:
    _, text, items = split(decode(["<think>a</think>", "b"], done=False))
    assert text == "b"
    assert items == [Reasoning("a", provider="chat"), AssistantMessage("b")]


def test_an_empty_block_leaves_only_the_answer() -> None:
    reasoning, text, items = split(decode(["<think>\n\n</think>\n\n", "Just the answer."]))
    assert (reasoning, text) == ("", "Just the answer.")
    assert items == [AssistantMessage("Just the answer.")]


# --- through exec --------------------------------------------------------------------------------

THINKING_REPLY = Reply(
    text_chunks=["<thi", "nk>\nThe user greets me.", " I should greet back.\n</th", "ink>\n\nHel", "lo there!"]
)


def test_exec_shows_the_block_as_reasoning_and_prints_only_the_answer(
    fake_provider: FakeProvider, isolated_home: Path, workdir: Path
) -> None:
    configure(isolated_home, fake_provider, "chat")
    fake_provider.script(THINKING_REPLY)
    out = exec_run("hi", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Hello there!\n"
    assert "I should greet back." in out.stderr and "<think>" not in out.stderr + out.stdout

    fake_provider.script(THINKING_REPLY)
    out = exec_run("--json", "hi", cwd=workdir)
    items = [e["item"] for e in json_events(out) if e["type"] == "item.completed"]
    assert [(i["type"], i["text"]) for i in items] == [("reasoning", REASONING), ("agent_message", "Hello there!")]


def test_the_block_is_never_sent_back_as_text(fake_provider: FakeProvider, isolated_home: Path, workdir: Path) -> None:
    configure(isolated_home, fake_provider, "chat")
    command = json.dumps({"command": ["echo", "tool ran"]})
    fake_provider.script(
        Reply(
            text_chunks=["<think>I will run a", " command first.</think>", "Running it."],
            tool_calls=[Call("shell", command)],
        ),
        Reply(text_chunks=["<think>It worked.</think>\n", "All done."]),
        Reply(text="Resumed."),
    )
    out = exec_run("do it", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("All done.")
    again = exec_run("resume", "--last", "and now?", cwd=workdir)
    assert again.returncode == 0, again.stderr
    second, third = fake_provider.requests[1:]
    for request in (second, third):
        sent = json.dumps(request.json["messages"])
        assert "think>" not in sent and "I will run a command" not in sent and "It worked." not in sent
    assistant = [m for m in third.json["messages"] if m["role"] == "assistant"]
    assert [m.get("content") for m in assistant] == ["Running it.", "All done."]
    assert any(m["role"] == "tool" and "tool ran" in m["content"] for m in third.json["messages"])
