"""A resumed session is drawn as the live one was (issue 12 item 18): command durations and approvals, the plan
checklist, patch diffs, and a compaction as a divider with its summary collapsed (never as a user message).

A real session against the loopback fake runs a command, a plan, a patch and /compact in one app; a new app
resumes it from the rollout; the cells are compared with what the live app showed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from codex_py.config import CliOverrides, load_config, resolve_paths
from codex_py.session.compaction import SUMMARY_PREFIX
from codex_py.session.resume import ResumeTarget
from codex_py.tui.app import CodexApp
from codex_py.tui.widgets.command_cell import CommandCell
from codex_py.tui.widgets.history_cells import CompactionDivider
from codex_py.tui.widgets.patch_cell import PatchCell
from codex_py.tui.widgets.plan_cell import PlanCell
from codex_py.tui.widgets.user_message import UserMessage
from tests.support.fake_provider import Call, FakeProvider, Reply
from tests.test_tui_conversation import idle, send, wait_for

PATCH = "*** Begin Patch\n*** Update File: notes.txt\n-first draft\n+second draft\n*** End Patch\n"
PLAN_1 = {"plan": [{"step": "look around", "status": "in_progress"}, {"step": "fix notes", "status": "pending"}]}
PLAN_2 = {
    "explanation": "almost there",
    "plan": [{"step": "look around", "status": "completed"}, {"step": "fix notes", "status": "in_progress"}],
}
SUMMARY = "The user asked to fix notes.txt; it now says second draft."


def make_app(fake: FakeProvider, workspace: Path) -> CodexApp:
    config = load_config(
        CliOverrides(
            provider="fake",
            model="gpt-fake",
            cd=workspace,
            approval="never",
            sandbox="danger-full-access",  # the command runs wherever Landlock is missing too
            config=[
                f'model_providers.fake.base_url="{fake.base_url}"',
                "model_providers.fake.request_max_retries=0",
                "model_providers.fake.stream_max_retries=0",
            ],
        )
    )
    return CodexApp(config)


def snapshot(app: CodexApp) -> dict[str, object]:
    """What the transcript shows, cell by cell, in the terms the issue names."""
    transcript = app.chat.transcript
    commands = list(transcript.query(CommandCell))
    patches = list(transcript.query(PatchCell))
    plans = list(transcript.query(PlanCell))
    dividers = list(transcript.query(CompactionDivider))
    return {
        "users": [u.text for u in transcript.query(UserMessage)],
        "commands": [(c.command, c.exit_code, c.status, round(c.duration_s, 3), c.plain_text()) for c in commands],
        "command_headers": [str(c._header.render()) for c in commands],
        "plans": [p.plain_text() for p in plans],
        "patches": [(p.status, p.plain_text()) for p in patches],
        "dividers": [(d.summary, d.collapsed) for d in dividers],
        "order": [type(c).__name__ for c in transcript.cells() if type(c).__name__ != "Notice"],
    }


async def test_a_resumed_session_is_drawn_as_it_was_live(fake_provider: FakeProvider, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("first draft\n")
    fake_provider.script(
        Reply(text="Planning.", tool_calls=[Call("update_plan", json.dumps(PLAN_1), "plan1")]),
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["sh", "-c", "sleep 0.25; echo looked"]}), "cmd1")]),
        Reply(tool_calls=[Call("update_plan", json.dumps(PLAN_2), "plan2")]),
        Reply(tool_calls=[Call("apply_patch", json.dumps({"input": PATCH}), "patch1")]),
        Reply(text="Fixed."),
        Reply(text=SUMMARY),  # the /compact summary
    )
    live = make_app(fake_provider, tmp_path)
    async with live.run_test(size=(110, 60)) as pilot:
        await wait_for(pilot, lambda: live.session is not None, "session started")
        await send(pilot, live, "fix notes.txt")
        await wait_for(pilot, lambda: bool(live.chat.transcript.query(PatchCell)), "the patch")
        await wait_for(pilot, idle(live), "turn ended")
        await send(pilot, live, "/compact")
        await wait_for(pilot, lambda: bool(live.chat.transcript.query(CompactionDivider)), "compaction divider")
        await wait_for(pilot, idle(live), "compaction ended")
        await pilot.pause()
        shown = snapshot(live)
        assert live.session is not None
        session_id = live.session.session_id
    assert (tmp_path / "notes.txt").read_text() == "second draft\n"

    # what the live app showed, as the issue describes it
    command = shown["commands"][0]  # type: ignore[index]
    assert command[0] == ["sh", "-c", "sleep 0.25; echo looked"] and command[1] == 0 and command[3] >= 0.25
    assert re.search(r"exit 0 · [1-9]\d\dms · auto: ", shown["command_headers"][0])  # type: ignore[index]
    assert shown["plans"] == ["Plan\nalmost there\n  ☑ look around\n  ◐ fix notes"]  # one checklist, last state
    assert "+second draft" in shown["patches"][0][1] and "-first draft" in shown["patches"][0][1]  # type: ignore[index]
    assert shown["dividers"] == [(SUMMARY, True)]
    assert shown["users"] == ["fix notes.txt"]

    resumed = make_app(fake_provider, tmp_path)
    resumed.resume = ResumeTarget(session_id)
    async with resumed.run_test(size=(110, 60)) as pilot:
        await wait_for(pilot, lambda: bool(resumed.chat.transcript.query(CompactionDivider)), "history drawn")
        await pilot.pause()
        redrawn = snapshot(resumed)
        texts = " ".join(u.text for u in resumed.chat.transcript.query(UserMessage))
    assert SUMMARY_PREFIX.strip()[:20] not in texts  # the compaction's internal message is not shown as typed

    assert redrawn == shown


async def test_records_survive_a_second_resume_and_old_rollouts_still_draw(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    """A rollout without ``tool_end`` lines (written before they existed) still draws its command from the
    result text; with them, a session resumed twice keeps the exact durations of both runs' commands."""
    fake_provider.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["sh", "-c", "sleep 0.05"]}), "a1")]),
        Reply(text="one"),
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["sh", "-c", "sleep 0.06"]}), "a2")]),
        Reply(text="two"),
    )
    first = make_app(fake_provider, tmp_path)
    async with first.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: first.session is not None, "session started")
        await send(pilot, first, "one")
        await wait_for(pilot, lambda: bool(first.chat.transcript.query(CommandCell)), "command")
        await wait_for(pilot, idle(first), "turn ended")
        assert first.session is not None
        session_id = first.session.session_id
        live_first = first.chat.transcript.query_one(CommandCell).duration_s
    second = make_app(fake_provider, tmp_path)
    second.resume = ResumeTarget(session_id)
    async with second.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: len(second.chat.transcript.query(CommandCell)) == 1, "history drawn")
        await send(pilot, second, "two")
        await wait_for(pilot, lambda: len(second.chat.transcript.query(CommandCell)) == 2, "second command")
        await wait_for(pilot, idle(second), "turn ended")
        live_second = list(second.chat.transcript.query(CommandCell))[1].duration_s
    third = make_app(fake_provider, tmp_path)
    third.resume = ResumeTarget(session_id)
    async with third.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: len(third.chat.transcript.query(CommandCell)) == 2, "history drawn")
        durations = [c.duration_s for c in third.chat.transcript.query(CommandCell)]
    assert durations == [live_first, live_second]

    # the same rollout without its tool_end lines: the wall time the model saw (0.1 s precision) still shows
    rollout = next(resolve_paths().sessions_dir.glob(f"*/*/*/rollout-*-{session_id}.jsonl"))
    lines = rollout.read_text().splitlines(keepends=True)
    rollout.write_text("".join(line for line in lines if '"type": "tool_end"' not in line))
    fourth = make_app(fake_provider, tmp_path)
    fourth.resume = ResumeTarget(session_id)
    async with fourth.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: len(fourth.chat.transcript.query(CommandCell)) == 2, "history drawn")
        cells = list(fourth.chat.transcript.query(CommandCell))
    assert [c.exit_code for c in cells] == [0, 0]
    assert [c.duration_s for c in cells] == [round(live_first, 1), round(live_second, 1)]
