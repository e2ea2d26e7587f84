"""exec's two outputs fed with agent events: the --json contract mapping and the human rendering."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest

from codex_py.agent.events import (
    AgentEvent,
    AgentMessage,
    AgentReasoning,
    AgentReasoningDelta,
    AgentTextDelta,
    ApprovalRequest,
    CommandBegin,
    CommandEnd,
    CommandOutput,
    Compacted,
    Decision,
    FileChange,
    PatchBegin,
    PatchEnd,
    PlanStep,
    PlanUpdated,
    StreamReset,
    TokenUsage,
    TurnAborted,
    TurnCompleted,
    TurnFailed,
    TurnStarted,
    Warning,
)
from codex_py.errors import UsageError
from codex_py.exec.human import HumanOutput
from codex_py.exec.jsonl import JsonlOutput
from codex_py.exec.prompt import read_prompt
from codex_py.protocol.events import Usage


def jsonl(events: list[AgentEvent], session_id: str = "sid-1") -> list[dict[str, Any]]:
    buf = io.StringIO()
    out = JsonlOutput(buf.write)
    out.thread_started(session_id)
    for event in events:
        out(event)
    lines = buf.getvalue().splitlines()
    for line in lines:  # compact, one object per line, like Codex
        assert line == json.dumps(json.loads(line), separators=(",", ":"), ensure_ascii=False)
    return [json.loads(line) for line in lines]


def usage(i: int, c: int, o: int, r: int) -> TokenUsage:
    return TokenUsage(Usage(1, 0, 1, 0), Usage(i, c, o, r), 1000, 10)


def test_json_full_turn_sequence() -> None:
    plan1 = PlanUpdated("why", [PlanStep("read", "in_progress"), PlanStep("fix", "pending")])
    plan2 = PlanUpdated(None, [PlanStep("read", "completed"), PlanStep("fix", "in_progress")])
    events: list[AgentEvent] = [
        TurnStarted("t1"),
        AgentReasoningDelta("hm"),
        AgentReasoning("Thinking about files"),
        AgentTextDelta("Let me "),
        AgentTextDelta("look."),
        AgentMessage("Let me look."),
        plan1,
        CommandBegin("c1", ["bash", "-lc", "ls -1"], "/w"),
        CommandOutput("c1", "a\n"),
        CommandEnd("c1", ["bash", "-lc", "ls -1"], 0, "a\nb\n", 0.1, "completed"),
        PatchBegin("p1", [FileChange("a.txt", "update", "diff")]),
        PatchEnd("p1", [FileChange("a.txt", "update"), FileChange("new.txt", "add")], "completed", "ok"),
        plan2,
        usage(100, 20, 30, 5),
        Warning("model rerouted"),
        StreamReset(1, 5, "Reconnecting... 1/5 (connection reset)"),
        AgentMessage(""),
        AgentMessage("Done."),
        usage(250, 40, 60, 9),
        TurnCompleted("Done."),
    ]
    assert jsonl(events) == [
        {"type": "thread.started", "thread_id": "sid-1"},
        {"type": "turn.started"},
        {"type": "item.completed", "item": {"id": "item_0", "type": "reasoning", "text": "Thinking about files"}},
        {"type": "item.completed", "item": {"id": "item_1", "type": "agent_message", "text": "Let me look."}},
        {
            "type": "item.started",
            "item": {
                "id": "item_2",
                "type": "todo_list",
                "items": [{"text": "read", "completed": False}, {"text": "fix", "completed": False}],
            },
        },
        {
            "type": "item.started",
            "item": {
                "id": "item_3",
                "type": "command_execution",
                "command": "bash -lc 'ls -1'",
                "aggregated_output": "",
                "exit_code": None,
                "status": "in_progress",
            },
        },
        {
            "type": "item.completed",
            "item": {
                "id": "item_3",
                "type": "command_execution",
                "command": "bash -lc 'ls -1'",
                "aggregated_output": "a\nb\n",
                "exit_code": 0,
                "status": "completed",
            },
        },
        {
            "type": "item.completed",
            "item": {
                "id": "item_4",
                "type": "file_change",
                "changes": [{"path": "a.txt", "kind": "update"}, {"path": "new.txt", "kind": "add"}],
                "status": "completed",
            },
        },
        {
            "type": "item.updated",
            "item": {
                "id": "item_2",
                "type": "todo_list",
                "items": [{"text": "read", "completed": True}, {"text": "fix", "completed": False}],
            },
        },
        {"type": "item.completed", "item": {"id": "item_5", "type": "error", "message": "model rerouted"}},
        {"type": "error", "message": "Reconnecting... 1/5 (connection reset)"},
        {"type": "item.completed", "item": {"id": "item_6", "type": "agent_message", "text": "Done."}},
        {
            "type": "item.completed",
            "item": {
                "id": "item_2",
                "type": "todo_list",
                "items": [{"text": "read", "completed": True}, {"text": "fix", "completed": False}],
            },
        },
        {
            "type": "turn.completed",
            "usage": {
                "input_tokens": 250,
                "cached_input_tokens": 40,
                "output_tokens": 60,
                "reasoning_output_tokens": 9,
            },
            "cost_usd": None,
        },
    ]


def test_json_failures_declines_and_aborts() -> None:
    events: list[AgentEvent] = [
        TurnStarted("t"),
        CommandBegin("c1", ["rm", "-rf", "/"], "/w"),
        CommandEnd("c1", ["rm", "-rf", "/"], None, "", 0.0, "declined"),
        PatchEnd("p1", [FileChange("/etc/x", "add")], "declined", "rejected"),
        PatchEnd("p2", [], "failed", "bad patch"),
        CommandBegin("c2", ["sleep", "9"], "/w"),
        TurnFailed("rate limited", "wait a minute"),
        TurnStarted("t2"),
        TurnAborted(),
    ]
    out = jsonl(events)
    assert out[3]["item"]["status"] == "declined" and out[3]["item"]["exit_code"] is None
    assert out[4]["item"] == {
        "id": "item_1",
        "type": "file_change",
        "changes": [{"path": "/etc/x", "kind": "add"}],
        "status": "failed",
    }
    assert out[5]["item"]["changes"] == [] and out[5]["item"]["status"] == "failed"
    assert out[6]["type"] == "item.started"
    assert out[7] == {"type": "item.completed", "item": {**out[6]["item"], "status": "failed"}}
    assert out[8] == {"type": "turn.failed", "error": {"message": "rate limited; wait a minute"}}
    assert out[9:] == [{"type": "turn.started"}, {"type": "turn.failed", "error": {"message": "turn interrupted"}}]


def test_turn_completed_without_usage_reports_zeros() -> None:
    out = jsonl([TurnStarted("t"), TurnCompleted(None)])
    assert out[-1]["usage"] == {
        "input_tokens": 0,
        "cached_input_tokens": 0,
        "output_tokens": 0,
        "reasoning_output_tokens": 0,
    }


async def test_approval_requests_are_denied_in_both_outputs() -> None:
    loop = asyncio.get_running_loop()
    for sink in (JsonlOutput(io.StringIO().write), HumanOutput(io.StringIO(), io.StringIO())):
        request = ApprovalRequest("c", "command", "why", ["ls"], future=loop.create_future())
        sink(request)
        assert request.future is not None and request.future.result().decision is Decision.DENY


def human(events: list[AgentEvent], *, color: bool = False, show_reasoning: bool = True) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    sink = HumanOutput(out, err, color=color, show_reasoning=show_reasoning)
    for event in events:
        sink(event)
    return out.getvalue(), err.getvalue()


def test_human_answer_on_stdout_everything_else_on_stderr() -> None:
    out, err = human(
        [
            TurnStarted("t"),
            AgentReasoningDelta("pondering"),
            AgentReasoningDelta("more", section_break=True),
            AgentReasoning("pondering\n\nmore"),
            AgentTextDelta("Hello "),
            AgentTextDelta("world"),
            AgentMessage("Hello world"),
            CommandBegin("c", ["ls", "my dir"], "/w"),
            CommandEnd("c", ["ls", "my dir"], 2, "\n".join(f"l{i}" for i in range(30)), 1.25, "failed"),
            PatchEnd("p", [FileChange("a.py", "update"), FileChange("b.py", "add", move_to=None)], "completed"),
            PlanUpdated("because", [PlanStep("one", "completed"), PlanStep("two", "in_progress")]),
            Warning("careful"),
            Compacted("s", 9000, 1200),
            usage(1234, 200, 56, 10),
            AgentMessage("Second answer without deltas"),
            TurnCompleted("Second answer without deltas"),
        ]
    )
    assert out == "Hello world\nSecond answer without deltas\n"
    assert "\x1b[" not in err
    assert err.startswith("pondering\n\nmore\n")
    assert "$ ls 'my dir'\n  exit 2 in 1.2s\n  ... 10 earlier lines\n  l10\n" in err and "  l29\n" in err
    assert "apply_patch completed\n  M a.py\n  A b.py\n" in err
    assert "plan: because\n  [x] one\n  [>] two\n" in err
    assert "warning: careful\n" in err
    assert "context compacted: ~9,000 -> ~1,200 tokens" in err
    assert err.endswith("tokens used: 1,234 input (200 cached), 56 output (10 reasoning)\n")


def test_human_reconnect_marks_restart_and_colors_only_when_asked() -> None:
    out, err = human(
        [
            AgentTextDelta("partial ans"),
            StreamReset(1, 5, "Reconnecting... 1/5 (eof)"),
            AgentTextDelta("full answer"),
            AgentMessage("full answer"),
            TurnFailed("boom", "try again"),
        ],
        color=True,
    )
    assert out == "partial ans\nfull answer\n"
    assert "Reconnecting... 1/5 (eof) (the answer restarts below)" in err
    assert "\x1b[31merror: boom\x1b[0m" in err and "hint: try again" in err


def test_human_hides_reasoning_when_configured() -> None:
    out, err = human([AgentReasoningDelta("secret thoughts"), AgentReasoning("secret thoughts")], show_reasoning=False)
    assert "secret" not in out + err


def test_no_color_env_wins_over_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from codex_py.exec.human import wants_color

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert wants_color(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_color(Tty())
    assert not wants_color(io.StringIO())


class Piped(io.StringIO):
    def isatty(self) -> bool:
        return False


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_prompt_sources() -> None:
    assert read_prompt("do it", Terminal()) == "do it"
    assert read_prompt(None, Piped("from stdin\n")) == "from stdin"
    assert read_prompt("-", Piped("dash\n")) == "dash"
    assert read_prompt("summarize", Piped("log line\n")) == "summarize\n\n<stdin>\nlog line\n</stdin>"
    assert read_prompt("alone", Piped("")) == "alone"
    for prompt, stdin in ((None, Terminal()), ("-", Terminal()), (None, Piped("  \n")), ("  ", Terminal())):
        with pytest.raises(UsageError) as info:
            read_prompt(prompt, stdin)
        assert info.value.exit_code == 2 and info.value.hint
