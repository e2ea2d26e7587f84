"""The agent turn loop end to end: real provider client, loopback fake model, real tools in temp dirs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from codex_py.agent.events import (
    AgentMessage,
    ApprovalRequest,
    ApprovalResult,
    CommandBegin,
    CommandEnd,
    Compacted,
    Decision,
    PatchEnd,
    PlanUpdated,
    TokenUsage,
    TurnAborted,
    TurnCompleted,
    TurnFailed,
    Warning,
)
from codex_py.protocol import AssistantMessage, Reasoning, ToolCall, ToolResult
from tests.agent_support import RawServer, Sink, make_session, sse
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply, Usage

WIRES = ["responses", "chat", "messages"]


def shell(argv: list[str], call_id: str, **extra: Any) -> Call:
    return Call("shell", json.dumps({"command": argv, **extra}), call_id=call_id)


def patch_call(patch: str, call_id: str) -> Call:
    return Call("apply_patch", json.dumps({"input": patch}), call_id=call_id)


def tool_outputs(body: dict[str, Any], wire: str) -> dict[str, str]:
    """call id -> output text, read from a recorded request body in any dialect."""
    out: dict[str, str] = {}
    if wire == "responses":
        for item in body["input"]:
            if item.get("type") in ("function_call_output", "custom_tool_call_output"):
                out[item["call_id"]] = item["output"]
    elif wire == "chat":
        for msg in body["messages"]:
            if msg["role"] == "tool":
                out[msg["tool_call_id"]] = msg["content"]
    else:
        for msg in body["messages"]:
            if msg["role"] == "user" and isinstance(msg["content"], list):
                for block in msg["content"]:
                    if block.get("type") == "tool_result":
                        content = block["content"]
                        if isinstance(content, list):
                            content = "".join(b.get("text", "") for b in content)
                        out[block["tool_use_id"]] = content
    return out


@pytest.mark.parametrize("wire", WIRES)
async def test_read_edit_answer(fake_provider: FakeProvider, tmp_path: Path, wire: str) -> None:
    (tmp_path / "hello.txt").write_text("hello world\n")
    patch = "*** Begin Patch\n*** Update File: hello.txt\n-hello world\n+hello codex\n*** End Patch\n"
    fake_provider.script(
        Reply(text="Let me look.", tool_calls=[shell(["cat", "hello.txt"], "call_read")]),
        Reply(tool_calls=[patch_call(patch, "call_edit")]),
        Reply(text="I changed the greeting."),
    )
    session, sink = make_session(fake_provider, tmp_path, wire)
    await session.run_turn("change the greeting")
    await session.aclose()

    assert (tmp_path / "hello.txt").read_text() == "hello codex\n"
    assert sink.of(TurnCompleted)[-1].last_message == "I changed the greeting."
    requests = fake_provider.requests
    assert len(requests) == 3
    outputs = tool_outputs(requests[1].json, wire)
    assert "hello world" in outputs["call_read"] and "Exit code: 0" in outputs["call_read"]
    outputs = tool_outputs(requests[2].json, wire)
    assert "M hello.txt" in outputs["call_edit"]
    [end] = sink.of(PatchEnd)
    assert end.status == "completed" and end.changes[0].path == "hello.txt" and "+hello codex" in end.changes[0].diff
    assert sink.of(TokenUsage)[-1].session.input_tokens > 0


@pytest.mark.parametrize("wire", WIRES)
async def test_two_calls_run_in_order_and_both_results_go_back(
    fake_provider: FakeProvider, tmp_path: Path, wire: str
) -> None:
    fake_provider.script(
        Reply(
            tool_calls=[
                shell(["bash", "-c", "sleep 0.2; echo first >> log.txt"], "call_a"),
                shell(["bash", "-c", "echo second >> log.txt"], "call_b"),
            ]
        ),
        Reply(text="done"),
    )
    session, sink = make_session(fake_provider, tmp_path, wire)
    await session.run_turn("go")
    await session.aclose()
    assert (tmp_path / "log.txt").read_text() == "first\nsecond\n"
    assert [e.call_id for e in sink.of(CommandBegin)] == ["call_a", "call_b"]
    outputs = tool_outputs(fake_provider.requests[1].json, wire)
    assert set(outputs) == {"call_a", "call_b"}
    results = [i for i in session.history if isinstance(i, ToolResult)]
    assert [r.call_id for r in results] == ["call_a", "call_b"]


async def test_anthropic_thinking_is_echoed_verbatim(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(
        Reply(reasoning="I should list files.", signature="sig-abc==", tool_calls=[shell(["ls"], "toolu_1")]),
        Reply(text="There are files."),
    )
    session, _ = make_session(fake_provider, tmp_path, "messages", model="claude-sonnet-4-5")
    await session.run_turn("list")
    await session.aclose()
    second = fake_provider.requests[1].json
    assistant = next(m for m in second["messages"] if m["role"] == "assistant")
    first_block = assistant["content"][0]
    assert first_block == {"type": "thinking", "thinking": "I should list files.", "signature": "sig-abc=="}
    assert assistant["content"][-1]["type"] == "tool_use"


async def test_openai_encrypted_reasoning_is_echoed(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(
        Reply(reasoning="Plan: run ls.", signature="gAAAA-encrypted", tool_calls=[shell(["ls"], "call_1")]),
        Reply(text="ok"),
    )
    session, _ = make_session(fake_provider, tmp_path, "responses", model="o3")
    await session.run_turn("list")
    await session.aclose()
    first = fake_provider.requests[0].json
    assert first["store"] is False and "reasoning.encrypted_content" in first["include"]
    second = fake_provider.requests[1].json
    [reasoning] = [i for i in second["input"] if i["type"] == "reasoning"]
    assert reasoning["encrypted_content"] == "gAAAA-encrypted"
    kinds = [i["type"] for i in second["input"]]
    assert kinds.index("reasoning") < kinds.index("function_call") < kinds.index("function_call_output")
    assert any(isinstance(i, Reasoning) for i in session.history)


@pytest.mark.parametrize("wire", WIRES)
async def test_interrupt_mid_command_leaves_valid_history(
    fake_provider: FakeProvider, tmp_path: Path, wire: str
) -> None:
    fake_provider.script(
        Reply(text="Running it.", tool_calls=[shell(["sleep", "30"], "call_slow")]),
        Reply(text="Fine, stopping."),
    )
    session, sink = make_session(fake_provider, tmp_path, wire)
    task = asyncio.create_task(session.run_turn("run the slow thing"))
    for _ in range(200):
        if sink.of(CommandBegin):
            break
        await asyncio.sleep(0.02)
    assert sink.of(CommandBegin)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sink.of(TurnAborted)
    [result] = [i for i in session.history if isinstance(i, ToolResult)]
    assert result.call_id == "call_slow" and "aborted" in result.output
    await session.run_turn("never mind")
    await session.aclose()
    assert sink.of(TurnCompleted)[-1].last_message == "Fine, stopping."
    outputs = tool_outputs(fake_provider.requests[-1].json, wire)
    assert "aborted" in outputs["call_slow"]


async def test_approval_denied_with_reason_reaches_the_model(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(
        Reply(tool_calls=[shell(["touch", "made.txt"], "call_touch")]),
        Reply(text="ok, I won't."),
    )
    sink = Sink(lambda req: ApprovalResult(Decision.DENY, "use a different name"))
    session, _ = make_session(fake_provider, tmp_path, "chat", sink=sink, approval="untrusted")
    await session.run_turn("make a file")
    await session.aclose()
    [request] = sink.of(ApprovalRequest)
    assert request.command == ["touch", "made.txt"]
    assert not (tmp_path / "made.txt").exists()
    output = tool_outputs(fake_provider.requests[1].json, "chat")["call_touch"]
    assert "rejected by user" in output and "use a different name" in output
    [end] = sink.of(CommandEnd)
    assert end.status == "declined"
    assert end.reason == "rejected by user: use a different name"


async def test_declined_patch_carries_the_reason(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """The user's reason for denying a patch, and the policy's refusal, reach the PatchEnd event."""
    add = "*** Begin Patch\n*** Add File: new.txt\n+x\n*** End Patch\n"
    fake_provider.script(Reply(tool_calls=[patch_call(add, "p1")]), Reply(text="ok"))
    sink = Sink(lambda req: ApprovalResult(Decision.DENY, "not that file"))
    session, _ = make_session(fake_provider, tmp_path, "responses", sink=sink, approval="untrusted")
    await session.run_turn("add a file")
    await session.aclose()
    [end] = sink.of(PatchEnd)
    assert (end.status, end.reason) == ("declined", "rejected by user: not that file")
    assert not (tmp_path / "new.txt").exists()

    fake_provider.script(Reply(tool_calls=[patch_call(add, "p2")]), Reply(text="ok"))
    session, sink = make_session(fake_provider, tmp_path, "responses", sandbox="read-only", approval="never")
    await session.run_turn("add a file")
    await session.aclose()
    [end] = sink.of(PatchEnd)
    assert (end.status, end.reason) == ("declined", "rejected by the approval policy")
    assert not (tmp_path / "new.txt").exists()


async def test_approve_for_session_is_remembered(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(
        Reply(tool_calls=[shell(["touch", "a.txt"], "c1")]),
        Reply(tool_calls=[shell(["touch", "a.txt"], "c2")]),
        Reply(text="done"),
    )
    sink = Sink(lambda req: ApprovalResult(Decision.APPROVE_SESSION))
    session, _ = make_session(fake_provider, tmp_path, "chat", sink=sink, approval="untrusted")
    await session.run_turn("touch twice")
    await session.aclose()
    assert len(sink.of(ApprovalRequest)) == 1
    assert [e.status for e in sink.of(CommandEnd)] == ["completed", "completed"]


async def test_exec_mode_declines_what_needs_approval(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(Reply(tool_calls=[shell(["touch", "x"], "c1")]), Reply(text="could not"))
    session, sink = make_session(fake_provider, tmp_path, "responses", interactive=False, approval="untrusted")
    await session.run_turn("touch")
    await session.aclose()
    assert not sink.of(ApprovalRequest)
    assert not (tmp_path / "x").exists()
    assert "never prompts" in tool_outputs(fake_provider.requests[1].json, "responses")["c1"]


async def test_safe_command_runs_without_asking_under_untrusted(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(Reply(tool_calls=[shell(["ls"], "c1")]), Reply(text="listed"))
    session, sink = make_session(fake_provider, tmp_path, "responses", interactive=False, approval="untrusted")
    await session.run_turn("ls")
    await session.aclose()
    assert sink.of(CommandEnd)[0].status == "completed"


async def test_update_plan_and_bad_arguments(fake_provider: FakeProvider, tmp_path: Path) -> None:
    plan = {
        "explanation": "two steps",
        "plan": [{"step": "read", "status": "completed"}, {"step": "write", "status": "in_progress"}],
    }
    fake_provider.script(
        Reply(
            tool_calls=[Call("update_plan", json.dumps(plan), call_id="p1"), Call("shell", "{not json", call_id="b1")]
        ),
        Reply(text="ok"),
    )
    session, sink = make_session(fake_provider, tmp_path, "chat")
    await session.run_turn("plan")
    await session.aclose()
    [update] = sink.of(PlanUpdated)
    assert [(s.step, s.status) for s in update.plan] == [("read", "completed"), ("write", "in_progress")]
    outputs = tool_outputs(fake_provider.requests[1].json, "chat")
    assert outputs["p1"] == "Plan updated"
    assert outputs["b1"].startswith("failed to parse function arguments")
    assert any("`shell` with invalid arguments" in w.message for w in sink.of(Warning))


async def test_failed_patch_changes_nothing_and_tells_the_model(fake_provider: FakeProvider, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one\n")
    bad = "*** Begin Patch\n*** Add File: new.txt\n+x\n*** Update File: a.txt\n-missing line\n+y\n*** End Patch\n"
    fake_provider.script(Reply(tool_calls=[patch_call(bad, "p")]), Reply(text="sorry"))
    session, _sink = make_session(fake_provider, tmp_path, "responses")
    await session.run_turn("edit")
    await session.aclose()
    assert not (tmp_path / "new.txt").exists()
    assert (tmp_path / "a.txt").read_text() == "one\n"
    output = tool_outputs(fake_provider.requests[1].json, "responses")["p"]
    assert "missing line" in output


async def test_apply_patch_through_shell_heredoc_is_routed(fake_provider: FakeProvider, tmp_path: Path) -> None:
    script = "apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: via_shell.txt\n+hi\n*** End Patch\nEOF\n"
    fake_provider.script(Reply(tool_calls=[shell(["bash", "-lc", script], "c")]), Reply(text="ok"))
    session, sink = make_session(fake_provider, tmp_path, "chat")
    await session.run_turn("add")
    await session.aclose()
    assert (tmp_path / "via_shell.txt").read_text() == "hi\n"
    assert sink.of(PatchEnd)[0].status == "completed"
    assert not sink.of(CommandBegin)


async def test_runaway_guard(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(*[Reply(tool_calls=[shell(["true"], f"c{i}")]) for i in range(3)])
    session, sink = make_session(fake_provider, tmp_path, "chat", overrides=["max_tool_iterations=2"])
    await session.run_turn("loop")
    await session.aclose()
    [failed] = sink.of(TurnFailed)
    assert "2 model round-trips" in failed.message
    assert len(fake_provider.requests) == 2


async def test_provider_error_fails_the_turn_with_hint(fake_provider: FakeProvider, tmp_path: Path) -> None:
    from tests.support.replies import HttpError

    fake_provider.script(HttpError(401))
    session, sink = make_session(fake_provider, tmp_path, "messages")
    await session.run_turn("hi")
    await session.aclose()
    [failed] = sink.of(TurnFailed)
    assert failed.exit_code == 3
    assert not sink.of(AgentMessage)
    calls = [i for i in session.history if isinstance(i, ToolCall)]
    assert calls == []


async def test_escalation_approved_for_the_session_runs_outside_the_sandbox(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    from codex_py.sandbox.landlock import landlock_abi

    if landlock_abi() == 0:
        pytest.skip("Landlock is not available on this kernel")
    workspace, outside = tmp_path / "ws", Path.home() / f".codex-py-test-{tmp_path.name}"
    workspace.mkdir()
    outside.mkdir()
    try:
        argv = ["bash", "-c", f"echo hi >> {outside}/f"]
        calls = [shell(argv, f"c{i}", sandbox_permissions="require_escalated") for i in (1, 2)]
        fake_provider.script(Reply(tool_calls=[calls[0]]), Reply(tool_calls=[calls[1]]), Reply(text="done"))
        sink = Sink(lambda req: ApprovalResult(Decision.APPROVE_SESSION))
        session, _ = make_session(fake_provider, workspace, "chat", sink=sink, approval="on-request")
        await session.run_turn("write outside")
        await session.aclose()
        assert len(sink.of(ApprovalRequest)) == 1  # the second run was approved for the session
        assert (outside / "f").read_text() == "hi\nhi\n"
    finally:
        import shutil

        shutil.rmtree(outside, ignore_errors=True)


async def test_escalation_request_under_never_is_refused_with_codex_text(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    from codex_py.sandbox.landlock import landlock_abi

    if landlock_abi() == 0:
        pytest.skip("Landlock is not available on this kernel")
    fake_provider.script(
        Reply(tool_calls=[shell(["touch", "/etc/x"], "c1", sandbox_permissions="require_escalated")]),
        Reply(text="ok"),
    )
    session, _ = make_session(fake_provider, tmp_path, "chat", approval="never")
    await session.run_turn("escalate")
    await session.aclose()
    output = tool_outputs(fake_provider.requests[1].json, "chat")["c1"]
    assert "you should not ask for escalated permissions" in output


async def test_parallel_tool_calls_follow_the_catalog(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(Reply(text="a"), Reply(text="b"))
    for model, expected in (("gpt-5.1-codex", True), ("test-model", False)):
        session, _ = make_session(fake_provider, tmp_path, "responses", model=model)
        await session.run_turn("hi")
        await session.aclose()
        assert fake_provider.last_request.json["parallel_tool_calls"] is expected


# --- output limit, refusal, context window -------------------------------------------------


def _message_stream(blocks: list[tuple[dict[str, Any], list[dict[str, Any]]]], stop: str) -> bytes:
    """A Messages SSE body: each block is (content_block_start's block, its deltas)."""
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {"id": "msg_1", "role": "assistant", "content": [], "usage": {"input_tokens": 20}},
        }
    ]
    for index, (block, deltas) in enumerate(blocks):
        events.append({"type": "content_block_start", "index": index, "content_block": block})
        events += [{"type": "content_block_delta", "index": index, "delta": d} for d in deltas]
        events.append({"type": "content_block_stop", "index": index})
    events.append({"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": 9}})
    events.append({"type": "message_stop"})
    return sse(*events)


def _text_block(text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return {"type": "text", "text": ""}, [{"type": "text_delta", "text": text}]


@pytest.mark.parametrize("wire", ["chat", "responses"])
async def test_call_cut_by_the_output_limit_is_not_run(fake_provider: FakeProvider, tmp_path: Path, wire: str) -> None:
    cut = Call("shell", '{"command": ["touch", "cut.txt"', call_id="c2")
    fake_provider.script(
        Reply(tool_calls=[shell(["touch", "whole.txt"], "c1"), cut], stop="length"),
        Reply(text="I will send it again."),
    )
    session, sink = make_session(fake_provider, tmp_path, wire)
    await session.run_turn("make two files")
    await session.aclose()
    assert (tmp_path / "whole.txt").exists(), "the complete call before the cut one still runs"
    assert not (tmp_path / "cut.txt").exists()
    outputs = tool_outputs(fake_provider.requests[1].json, wire)
    assert "output token limit" in outputs["c2"] and "Exit code: 0" in outputs["c1"]
    assert any("cut off" in w.message for w in sink.of(Warning))
    assert sink.of(TurnCompleted)[-1].last_message == "I will send it again."


async def test_messages_tool_use_cut_at_max_tokens_is_answered_not_run(tmp_path: Path) -> None:
    partial = '{"command": ["touch", "never.txt'
    first = _message_stream(
        [
            _text_block("Writing it."),
            (
                {"type": "tool_use", "id": "toolu_cut", "name": "shell", "input": {}},
                [{"type": "input_json_delta", "partial_json": partial}],
            ),
        ],
        "max_tokens",
    )
    server = RawServer(200, "text/event-stream", [first, _message_stream([_text_block("Retrying.")], "end_turn")])
    try:
        session, _ = make_session(server, tmp_path, "messages")  # type: ignore[arg-type]
        await session.run_turn("make a file")
        await session.aclose()
    finally:
        server.close()
    assert not (tmp_path / "never.txt").exists()
    second = server.requests[1]
    assistant = second["messages"][1]
    assert assistant["content"][-1]["input"] == {"input": partial}, "the cut input is replayed as a valid object"
    [result] = [b for b in second["messages"][2]["content"] if b["type"] == "tool_result"]
    assert result["tool_use_id"] == "toolu_cut" and result["is_error"] is True
    assert "output token limit" in result["content"]


async def test_refusal_is_shown_but_not_replayed(tmp_path: Path) -> None:
    refusal = _message_stream([_text_block("I can't help with that.")], "refusal")
    server = RawServer(200, "text/event-stream", [refusal, _message_stream([_text_block("Sure.")], "end_turn")])
    try:
        session, sink = make_session(server, tmp_path, "messages")  # type: ignore[arg-type]
        await session.run_turn("something bad")
        await session.run_turn("something fine")
        await session.aclose()
    finally:
        server.close()
    assert sink.of(TurnCompleted)[0].last_message == "I can't help with that."
    assert any("declined" in w.message for w in sink.of(Warning))
    second = server.requests[1]["messages"]
    assert [m["role"] for m in second] == ["user"]
    assert [b["text"] for b in second[0]["content"]] == ["something bad", "something fine"]
    assert not any(isinstance(i, AssistantMessage) and "can't" in i.text for i in session.history)


@pytest.mark.parametrize("wire", WIRES)
async def test_context_window_error_compacts_and_retries(
    fake_provider: FakeProvider, tmp_path: Path, wire: str
) -> None:
    from tests.support.replies import HttpError

    fake_provider.script(HttpError.context_length(), Reply(text="NOTE: user said hi."), Reply(text="Hello again."))
    session, sink = make_session(fake_provider, tmp_path, wire)
    await session.run_turn("hi")
    await session.aclose()
    assert sink.of(TurnCompleted)[-1].last_message == "Hello again."
    assert not sink.of(TurnFailed)
    assert any("context window" in w.message for w in sink.of(Warning))
    assert len(sink.of(Compacted)) == 1
    retried = json.dumps(fake_provider.requests[2].json)
    assert "NOTE: user said hi." in retried and "hi" in retried


async def test_large_tool_output_triggers_compaction_before_the_next_request(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    (tmp_path / "big.txt").write_text("word " * 4000)  # ~2.5k tokens reach the model; the response reported 110
    fake_provider.script(
        Reply(tool_calls=[shell(["cat", "big.txt"], "c1")], usage=Usage(100, 10)),
        Reply(text="NOTE: read big.txt."),
        Reply(text="It is big."),
    )
    session, sink = make_session(fake_provider, tmp_path, "chat", overrides=["model_context_window=2000"])
    await session.run_turn("read big.txt")
    await session.aclose()
    assert sink.of(Compacted), "the tool output pushed the conversation past the compaction threshold"
    assert "handoff note" in json.dumps(fake_provider.requests[1].json)
    assert sink.of(TurnCompleted)[-1].last_message == "It is big."


async def test_compaction_on_messages_keeps_the_cached_prefix(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(
        Reply(tool_calls=[shell(["true"], "toolu_a")]), Reply(text="done"), Reply(text="NOTE: ran true.")
    )
    session, _ = make_session(fake_provider, tmp_path, "messages", model="claude-sonnet-4-5")
    await session.run_turn("run true")
    await session.compact()
    await session.aclose()
    last, summary = fake_provider.requests[1].json, fake_provider.requests[2].json
    assert summary["tools"] == last["tools"] and summary["system"] == last["system"]
    assert summary["tool_choice"] == {"type": "none"}, "tool blocks need tools; the summary needs text only"
    # same prefix, and the block that closed the previous request's is still a breakpoint: a cache read
    assert _unmarked(summary["messages"][: len(last["messages"])]) == _unmarked(last["messages"])
    assert "cache_control" in summary["messages"][len(last["messages"]) - 1]["content"][-1]


def _unmarked(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**m, "content": [{k: v for k, v in b.items() if k != "cache_control"} for b in m["content"]]} for m in messages
    ]


def test_instructions_describe_environment_permissions_and_patch_format(tmp_path: Path) -> None:
    import datetime

    from codex_py.agent.instructions import build_instructions
    from codex_py.config import CliOverrides, load_config
    from codex_py.tools.apply_patch.texts import APPLY_PATCH_INSTRUCTIONS

    config = load_config(
        CliOverrides(cd=tmp_path, sandbox="read-only", approval="on-request", config=["shell_timeout_ms=30000"])
    )
    plain = build_instructions(config, None)
    assert f"Working directory: {tmp_path}" in plain and datetime.date.today().isoformat() in plain
    assert "after 30 seconds" in plain and "no network" in plain and '"require_escalated"' in plain
    assert "# Patch format" not in plain and "\n\n\n" not in plain
    full = build_instructions(config, "Use tabs.", patch_format=APPLY_PATCH_INSTRUCTIONS)
    assert "# Patch format\nEdit files with a patch" in full and "\n\n\n" not in full
    assert full.endswith("Use tabs.\n") and full.index("# Patch format") < full.index("# AGENTS.md")
    own = load_config(CliOverrides(cd=tmp_path, config=['instructions="Only answer in haiku."']))
    assert build_instructions(own, None) == "Only answer in haiku.\n"


@pytest.mark.parametrize("hide", [False, True])
async def test_hide_agent_reasoning_hides_the_deltas_too(
    fake_provider: FakeProvider, tmp_path: Path, hide: bool
) -> None:
    from codex_py.agent.events import AgentReasoning, AgentReasoningDelta

    fake_provider.script(Reply(reasoning="Thinking about it.", text="Answer."))
    overrides = [f"hide_agent_reasoning={'true' if hide else 'false'}"]
    session, sink = make_session(fake_provider, tmp_path, "responses", model="o3", overrides=overrides)
    await session.run_turn("q")
    await session.aclose()
    shown = sink.of(AgentReasoningDelta) + sink.of(AgentReasoning)
    assert (shown == []) is hide
    assert any(isinstance(i, Reasoning) for i in session.history), "hidden reasoning is still kept and echoed"


@pytest.mark.parametrize("wire", WIRES)
async def test_interrupt_mid_answer_keeps_the_partial_text(
    fake_provider: FakeProvider, tmp_path: Path, wire: str
) -> None:
    from codex_py.agent.events import AgentTextDelta

    fake_provider.script(Reply(text="one two three four five six seven", delay=0.15), Reply(text="ok"))
    session, sink = make_session(fake_provider, tmp_path, wire)
    task = asyncio.create_task(session.run_turn("count"))
    for _ in range(200):
        if len(sink.of(AgentTextDelta)) >= 2:
            break
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [partial] = [i for i in session.history if isinstance(i, AssistantMessage)]
    assert partial.text and "one two three four five six seven".startswith(partial.text) and "seven" not in partial.text
    await session.run_turn("go on")
    await session.aclose()
    sent = json.dumps(fake_provider.requests[-1].json)
    assert sent.index("count") < sent.index(json.dumps(partial.text)[1:-1]) < sent.index("go on")
    assert sink.of(TurnCompleted)[-1].last_message == "ok"
