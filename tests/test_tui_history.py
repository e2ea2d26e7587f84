"""Earlier conversation drawn from the session history: /resume (startup and slash command) and
scroll-back after old turns were pruned. Pilot through a real Session and the loopback fake."""

from __future__ import annotations

import json
from pathlib import Path

from codex_py.protocol.items import AssistantMessage as AssistantItem
from codex_py.protocol.items import Item, Reasoning, ToolCall, ToolResult
from codex_py.protocol.items import UserMessage as UserItem
from codex_py.session.resume import ResumeTarget
from codex_py.tui.widgets.assistant_message import AssistantMessage
from codex_py.tui.widgets.command_cell import CommandCell
from codex_py.tui.widgets.history_cells import ToolHistoryCell, history_cells, split_turns
from codex_py.tui.widgets.notice import Notice
from codex_py.tui.widgets.session_header import SessionHeader
from codex_py.tui.widgets.thinking import ThinkingBlock
from codex_py.tui.widgets.user_message import UserMessage
from tests.support.fake_provider import Call, FakeProvider, Reply
from tests.test_tui_conversation import answers, idle, make_app, send, wait_for


def users(app: object) -> list[str]:
    return [u.text for u in app.chat.transcript.query(UserMessage)]  # type: ignore[attr-defined]


async def test_resume_redraws_the_earlier_conversation(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """A session resumed at startup, and again with /resume after /new, shows its user messages,
    answers, thinking and commands (with output and exit code) before anything new is said."""
    fake_provider.script(
        Reply(
            reasoning="Look at the **files** first",
            text="Listing.",
            tool_calls=[Call("shell", json.dumps({"command": ["echo", "from-the-past"]}), "c1")],
        ),
        Reply(text="There is one file: `notes.md`."),
        Reply(text="Second answer."),
        Reply(text="Welcome back."),
    )
    first = make_app(fake_provider, tmp_path, approval="never")
    async with first.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: first.session is not None, "session started")
        await send(pilot, first, "what is here?")
        await wait_for(pilot, idle(first), "first turn")
        await send(pilot, first, "and then?")
        await wait_for(pilot, lambda: answers(first)[-1:] == ["Second answer."], "second turn")
        await wait_for(pilot, idle(first), "second turn ended")
        assert first.session is not None
        session_id = first.session.session_id

    resumed = make_app(fake_provider, tmp_path, approval="never")
    resumed.resume = ResumeTarget(session_id)
    async with resumed.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: len(users(resumed)) == 2, "history drawn")
        transcript = resumed.chat.transcript
        assert users(resumed) == ["what is here?", "and then?"]
        assert answers(resumed) == ["Listing.", "There is one file: `notes.md`.", "Second answer."]
        thinking = transcript.query_one(ThinkingBlock)
        assert thinking.collapsed and "files" in thinking.body.text
        cell = transcript.query_one(CommandCell)
        assert cell.command == ["echo", "from-the-past"] and cell.exit_code == 0 and "from-the-past" in cell.output
        order = [type(c).__name__ for c in transcript.cells()]
        assert order.index("UserMessage") < order.index("ThinkingBlock") < order.index("CommandCell")

        await send(pilot, resumed, "hello again")
        await wait_for(pilot, lambda: answers(resumed)[-1:] == ["Welcome back."], "new turn after resume")
        await wait_for(pilot, idle(resumed), "new turn ended")
        assert users(resumed) == ["what is here?", "and then?", "hello again"]
        assert "from-the-past" in json.dumps(fake_provider.requests[-1].json)  # the model got the history too

        await send(pilot, resumed, "/new")
        await wait_for(pilot, lambda: not users(resumed) and resumed.session is not None, "new conversation")
        await wait_for(pilot, lambda: resumed.session is not None and resumed.session.session_id != session_id, "new")
        await send(pilot, resumed, f"/resume {session_id}")
        await wait_for(pilot, lambda: len(users(resumed)) == 3, "history drawn by /resume")
        assert users(resumed) == ["what is here?", "and then?", "hello again"]
        assert answers(resumed)[-1] == "Welcome back."


async def test_pruned_turns_reload_when_scrolling_back_to_the_top(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """Past the line budget whole old turns leave the screen; scrolling to the top brings them back
    from the session history, above what is shown, without moving the view."""
    long_answer = "\n\n".join(f"Paragraph {i} of the answer." for i in range(6))
    fake_provider.script(*(Reply(text=f"Answer {t}.\n\n{long_answer}") for t in range(6)))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        transcript = app.chat.transcript
        transcript.line_budget = 30
        await wait_for(pilot, lambda: app.session is not None, "session started")
        for t in range(6):
            await send(pilot, app, f"question {t}")
            expected = [f"Answer {t}.\n\n{long_answer}"]
            await wait_for(pilot, lambda e=expected: answers(app)[-1:] == e, f"turn {t}")  # type: ignore[misc]
            await wait_for(pilot, idle(app), f"turn {t} ended")
            await pilot.pause()
        await wait_for(pilot, lambda: transcript.hidden_turns > 0, "old turns pruned")
        hidden = transcript.hidden_turns
        assert users(app) == [f"question {t}" for t in range(hidden, 6)]
        assert transcript.total_lines() <= transcript.line_budget + 20
        header, notice = transcript.children[:2]  # the session header stays above the note
        assert isinstance(header, SessionHeader)
        assert isinstance(notice, Notice) and f"{hidden} earlier turns hidden" in notice.message

        top_cell = transcript.cells()[0]
        offset = top_cell.virtual_region.y  # where it shows once scrolled to the top
        transcript.scroll_home(animate=False)
        await wait_for(pilot, lambda: transcript.hidden_turns < hidden, "hidden turns reloaded")
        await pilot.pause()
        loaded = hidden - transcript.hidden_turns
        assert users(app) == [f"question {t}" for t in range(hidden - loaded, 6)]
        assert answers(app)[0] == f"Answer {hidden - loaded}.\n\n{long_answer}"
        assert transcript.scroll_y > 0 and top_cell.virtual_region.y - transcript.scroll_y == offset  # the view stayed
        while transcript.hidden_turns:
            before = transcript.hidden_turns
            transcript.scroll_home(animate=False)
            await wait_for(pilot, lambda b=before: transcript.hidden_turns < b, "more turns")  # type: ignore[misc]
        assert users(app) == [f"question {t}" for t in range(6)]
        assert not any(isinstance(c, Notice) and "hidden" in c.message for c in transcript.children)


def test_history_cells_cover_every_item_kind() -> None:
    items: list[Item] = [
        UserItem.of("fix it"),
        Reasoning("thinking about it"),
        ToolCall("c1", "bash", json.dumps({"command": "false"})),
        ToolResult("c1", "Exit code: 1\nWall time: 0.2 seconds\nOutput:\nboom\n", is_error=True),
        ToolCall("p1", "apply_patch", "*** Begin Patch\n*** Update File: a.py\n@@\n-x\n+y\n*** End Patch", "custom"),
        ToolResult("p1", "Success. Updated the following files:\nM a.py"),
        ToolCall("s1", "shell", json.dumps({"command": ["rm", "-rf", "/"]})),
        ToolResult("s1", "The user declined this command.", is_error=True),
        AssistantItem("Fixed **a.py**."),
        UserItem.of("thanks"),
    ]
    assert [len(t) for t in split_turns(items)] == [9, 1]
    cells = history_cells(items)
    kinds = [type(c).__name__ for c in cells]
    assert kinds == [
        "UserMessage",
        "ThinkingBlock",
        "CommandCell",
        "ToolHistoryCell",
        "CommandCell",
        "AssistantMessage",
        "UserMessage",
    ]
    failed, declined = cells[2], cells[4]
    assert isinstance(failed, CommandCell) and failed.exit_code == 1 and failed.output == "boom\n"
    assert isinstance(declined, CommandCell) and declined.status == "declined" and declined.exit_code is None
    patch = cells[3]
    assert isinstance(patch, ToolHistoryCell) and patch.plain_text() == "• apply_patch *** Update File: a.py"
    answer = cells[5]
    assert isinstance(answer, AssistantMessage) and answer.text == "Fixed **a.py**."
