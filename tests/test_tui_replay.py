"""The TUI fed recorded agent events (no model): each kind of cell renders what it should."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from codex_py.agent import events as ev
from codex_py.config import CliOverrides, load_config
from codex_py.protocol.events import Usage
from codex_py.tui.app import CodexApp
from codex_py.tui.bridge import FLUSH_INTERVAL_S, MAX_FLUSH_INTERVAL_S, EventBridge, next_interval
from codex_py.tui.renderer import RETRY_HINT
from codex_py.tui.replay import dump_events, load_events
from codex_py.tui.widgets.assistant_message import AssistantMessage
from codex_py.tui.widgets.command_cell import CommandCell
from codex_py.tui.widgets.notice import Notice
from codex_py.tui.widgets.patch_cell import PatchCell
from codex_py.tui.widgets.plan_cell import PlanCell
from codex_py.tui.widgets.status_bar import StatusInfo
from codex_py.tui.widgets.thinking import ThinkingBlock

DIFF = "--- a/hello.py\n+++ b/hello.py\n@@ -1 +1 @@\n-print('hi')\n+print('hello')\n"


def make_app(tmp_path: Path) -> CodexApp:
    config = load_config(CliOverrides(cd=tmp_path, model="gpt-test"))
    return CodexApp(config, connect=False)


def conversation() -> list[ev.AgentEvent]:
    """A finished turn with thinking, an answer, a command, a patch and a plan."""
    return [
        ev.TurnStarted("t1"),
        ev.AgentReasoningDelta("**Looking** at the "),
        ev.AgentReasoningDelta("files"),
        ev.AgentReasoning("**Looking** at the files"),
        ev.AgentTextDelta("I will run "),
        ev.AgentTextDelta("`ls` first."),
        ev.AgentMessage("I will run `ls` first."),
        ev.PlanUpdated("Small fix", [ev.PlanStep("List files", "completed"), ev.PlanStep("Edit", "in_progress")]),
        ev.CommandBegin("c1", ["bash", "-lc", "ls"], "/tmp"),
        ev.CommandOutput("c1", "a.txt\n"),
        ev.CommandOutput("c1", "hello.py\n"),
        ev.CommandEnd("c1", ["bash", "-lc", "ls"], 0, "a.txt\nhello.py\n", 0.25, "completed"),
        ev.PatchBegin("p1", [ev.FileChange("hello.py", "update", DIFF)]),
        ev.PatchEnd("p1", [ev.FileChange("hello.py", "update", DIFF)], "completed"),
        ev.AgentTextDelta("Done: **hello.py** now says hello."),
        ev.AgentMessage("Done: **hello.py** now says hello."),
        ev.TokenUsage(Usage(1200, 200, 300, 100), Usage(1200, 200, 300, 100), 40_000, 1500),
        ev.TurnCompleted("Done: **hello.py** now says hello."),
    ]


async def feed(app: CodexApp, events: list[ev.AgentEvent]) -> None:
    for event in events:
        app.sink(event)
    app.chat.bridge.flush()


async def test_replayed_turn_renders_every_cell(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await feed(app, conversation())
        await pilot.pause()
        await pilot.pause()
        transcript = app.chat.transcript
        thinking = transcript.query_one(ThinkingBlock)
        assert thinking.collapsed
        assert str(thinking.title).startswith("Thought for")
        assert "Looking" in thinking.body.text
        answers = list(transcript.query(AssistantMessage).results())
        assert [a.text for a in answers if not a.has_class("-dim")] == [
            "I will run `ls` first.",
            "Done: **hello.py** now says hello.",
        ]
        command = transcript.query_one(CommandCell)
        assert command.exit_code == 0 and command.output == "a.txt\nhello.py\n"
        assert "exit 0" in command.plain_text()
        patch = transcript.query_one(PatchCell)
        assert patch.status == "completed"
        assert "+print('hello')" in patch.plain_text()
        plan = transcript.query_one(PlanCell)
        assert "☑ List files" in plan.plain_text()
        usage = [n for n in transcript.query(Notice) if n.kind == "usage"]
        assert usage and "1.2k in (200 cached)" in usage[0].message
        line = app.chat.status_bar.info.render_line()
        assert "1.5k tokens · 96% context left" in line and "workspace-write/on-request" in line
        assert app.chat.renderer.last_answer == "Done: **hello.py** now says hello."
        assert not app.chat.working.has_class("-active")


async def test_replay_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "replay.jsonl"
    dump_events(conversation(), path)
    loaded = load_events(path)
    assert loaded == conversation()


async def test_many_deltas_are_coalesced_into_few_messages(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    posted: list[int] = []
    async with app.run_test() as pilot:
        original = app.chat.post_message

        def counting(message: object) -> bool:
            posted.append(len(getattr(message, "events", [])))
            return original(message)  # type: ignore[arg-type]

        app.chat.bridge._post = counting
        app.sink(ev.TurnStarted("t"))
        for i in range(2000):
            app.sink(ev.AgentTextDelta(f"w{i} "))
        app.sink(ev.AgentMessage("".join(f"w{i} " for i in range(2000))))
        app.sink(ev.TurnCompleted(None))
        await pilot.pause()
        await pilot.pause()
        assert len(posted) <= 4
        answer = app.chat.transcript.query_one(AssistantMessage)
        assert answer.text.startswith("w0 w1 ") and answer.text.endswith("w1999 ")


async def test_stream_reset_discards_partial_answer(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await feed(app, [ev.TurnStarted("t"), ev.AgentTextDelta("partial ans")])
        await pilot.pause()
        await feed(app, [ev.StreamReset(1, 5, "Reconnecting... 1/5 (connection reset)")])
        await feed(app, [ev.AgentTextDelta("full answer"), ev.AgentMessage("full answer"), ev.TurnCompleted(None)])
        await pilot.pause()
        texts = [a.text for a in app.chat.transcript.query(AssistantMessage)]
        assert texts == ["full answer"]
        assert any("Reconnecting" in n.message for n in app.chat.transcript.query(Notice))


async def test_failed_turn_shows_error_and_next_step(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await feed(app, [ev.TurnStarted("t"), ev.TurnFailed("401 Unauthorized", "run `codex-py login`", 3)])
        await pilot.pause()
        notice = app.chat.transcript.query(Notice).last()
        assert notice.kind == "error"
        assert "/login" in notice.hint and "codex-py login" in notice.plain_text()
        await feed(app, [ev.TurnStarted("t2"), ev.TurnFailed("HTTP 400: bad request")])  # the provider gave no hint
        await pilot.pause()
        assert app.chat.transcript.query(Notice).last().hint == RETRY_HINT


async def test_plan_updates_redraw_the_turns_checklist_in_place(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        steps = [ev.PlanStep("Read", "in_progress"), ev.PlanStep("Fix", "pending")]
        done = [ev.PlanStep("Read", "completed"), ev.PlanStep("Fix", "in_progress")]
        await feed(app, [ev.TurnStarted("t"), ev.PlanUpdated(None, steps), ev.AgentTextDelta("Reading.")])
        await feed(app, [ev.AgentMessage("Reading."), ev.PlanUpdated("halfway", done), ev.TurnCompleted(None)])
        await pilot.pause()
        (plan,) = app.chat.transcript.query(PlanCell)
        assert plan.plain_text() == "Plan\nhalfway\n  ☑ Read\n  ◐ Fix"
        await feed(app, [ev.TurnStarted("t2"), ev.PlanUpdated(None, done), ev.TurnCompleted(None)])
        await pilot.pause()
        assert len(app.chat.transcript.query(PlanCell)) == 2  # a new turn starts a new checklist


async def test_the_conversation_is_kept_for_the_scrollback_on_exit(tmp_path: Path) -> None:
    """After ``run`` the widgets are gone, so ``exit`` keeps what an inline run prints to the terminal."""
    from rich.console import Console
    from rich.markdown import Markdown

    from codex_py.tui.widgets.user_message import UserMessage

    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        app.chat.transcript.add(UserMessage("hi"))
        await feed(app, conversation())
        await pilot.pause()
        app.exit(0)
        await pilot.pause()
    assert not app.chat.transcript.children
    assert isinstance(app.scrollback[2], Markdown) and app.scrollback[2].markup == "I will run `ls` first."
    console = Console(width=80, record=True, file=open(os.devnull, "w"), color_system=None)  # noqa: SIM115
    for renderable in app.scrollback:
        console.print(renderable)
    text = console.export_text()
    assert text.startswith("› hi\nThought for") and "$ ls  (exit 0)" in text and "hello.py now says hello" in text
    assert "**" not in text  # the answers are rendered, not dumped as Markdown source


def test_status_line_shortens_to_fit_and_keeps_the_policy() -> None:
    info = StatusInfo(
        provider="openai",
        model="gpt-5.1-codex",
        effort="high",
        auth="ChatGPT (me@example.com)",
        cwd="~/src/some/deep/project",
        tokens=12_300,
        context_window=272_000,
        context_used=40_000,
        sandbox="workspace-write",
        approvals="on-request",
    )
    wide = info.render_line(200)
    assert wide == (
        "openai · gpt-5.1-codex (high) · ChatGPT (me@example.com) · ~/src/some/deep/project · 12.3k tokens"
        " · 85% context left · workspace-write/on-request"
    )
    assert info.render_line() == wide
    for width in (120, 100, 80, 60):
        line = info.render_line(width)
        assert len(line) <= width and line.endswith("workspace-write/on-request") and "gpt-5.1-codex" in line
    assert "project" in info.render_line(100) and "~/src" not in info.render_line(100)


@pytest.mark.parametrize(
    ("keys", "decision", "reason"),
    [
        (["y"], ev.Decision.APPROVE, ""),
        (["a"], ev.Decision.APPROVE_SESSION, ""),
        (["n", *"too risky", "enter"], ev.Decision.DENY, "too risky"),
        (["escape"], ev.Decision.ABORT, ""),
    ],
)
async def test_approval_modal_keys(tmp_path: Path, keys: list[str], decision: ev.Decision, reason: str) -> None:
    from codex_py.tui.screens.approval import ApprovalScreen

    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        future: asyncio.Future[ev.ApprovalResult] = asyncio.get_running_loop().create_future()
        app.sink(ev.ApprovalRequest("c1", "command", "needs network", ["curl", "example.com"], future=future))
        await pilot.pause()
        assert isinstance(app.screen, ApprovalScreen)
        await pilot.press(*keys)
        result = await asyncio.wait_for(future, 2)
        assert result.decision is decision
        assert result.reason == reason
        await pilot.pause()
        assert not isinstance(app.screen, ApprovalScreen)


def test_flush_interval_grows_with_lateness_and_is_capped() -> None:
    assert next_interval(FLUSH_INTERVAL_S, 0.005) == FLUSH_INTERVAL_S
    assert FLUSH_INTERVAL_S < next_interval(FLUSH_INTERVAL_S, 0.05) < MAX_FLUSH_INTERVAL_S
    assert next_interval(FLUSH_INTERVAL_S, 5.0) == MAX_FLUSH_INTERVAL_S


async def test_a_busy_loop_makes_the_bridge_coalesce_more() -> None:
    """A timer that fires late (the loop was blocked) lengthens the wait; all text still arrives in order."""
    batches: list[list[ev.AgentEvent]] = []
    bridge = EventBridge(lambda m: batches.append(m.events))  # type: ignore[attr-defined]
    bridge(ev.AgentTextDelta("a"))
    time.sleep(0.2)  # a frame that took far too long
    bridge(ev.AgentTextDelta("b"))
    while not batches:
        await asyncio.sleep(0.01)
    assert bridge.interval > FLUSH_INTERVAL_S
    bridge(ev.TurnCompleted(None))
    assert [e.text for b in batches for e in b if isinstance(e, ev.AgentTextDelta)] == ["ab"]
    assert isinstance(batches[-1][-1], ev.TurnCompleted)
