"""The TUI driven by Pilot through a real Session against the loopback fake provider."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from codex_py.config import CliOverrides, load_config
from codex_py.tui.app import CodexApp
from codex_py.tui.screens.approval import ApprovalScreen
from codex_py.tui.widgets.assistant_message import AssistantMessage
from codex_py.tui.widgets.command_cell import CommandCell
from codex_py.tui.widgets.notice import Notice
from codex_py.tui.widgets.patch_cell import PatchCell
from codex_py.tui.widgets.thinking import ThinkingBlock
from codex_py.tui.widgets.user_message import UserMessage
from tests.support.fake_provider import Call, FakeProvider, Reply


def make_app(fake: FakeProvider, workspace: Path, *, approval: str = "untrusted", wire: str = "responses") -> CodexApp:
    config = load_config(
        CliOverrides(
            provider="fake",
            model="gpt-fake",
            cd=workspace,
            approval=approval,
            config=[
                f'model_providers.fake.base_url="{fake.base_url}"',
                f'model_providers.fake.wire_api="{wire}"',
                "model_providers.fake.request_max_retries=0",
                "model_providers.fake.stream_max_retries=0",
            ],
        )
    )
    return CodexApp(config)


async def wait_for(pilot: Pilot[int], condition: Callable[[], bool], what: str, rounds: int = 500) -> None:
    """Let the app run until ``condition`` holds (bounded by rounds, not by a clock)."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never happened: {what}")


async def send(pilot: Pilot[int], app: CodexApp, text: str) -> None:
    app.chat.composer.load_text(text)
    await pilot.press("enter")


def answers(app: CodexApp) -> list[str]:
    return [a.text for a in app.chat.transcript.query(AssistantMessage) if not a.has_class("-dim")]


def idle(app: CodexApp) -> Callable[[], bool]:
    return lambda: app.session is not None and not app.chat.busy and not app.chat.renderer.running


async def test_full_conversation(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """Thinking and text stream in, a command is approved in the modal, a patch shows as a diff,
    Esc interrupts a slow answer, and the conversation goes on afterwards."""
    (tmp_path / "hello.txt").write_text("hello world\n")
    patch = "*** Begin Patch\n*** Update File: hello.txt\n-hello world\n+hello codex\n*** End Patch\n"
    fake_provider.script(
        Reply(reasoning="Considering the **greeting**", text="Hello, *friend*. How can I help?"),
        Reply(text="Creating it.", tool_calls=[Call("shell", json.dumps({"command": ["touch", "made.txt"]}), "c1")]),
        Reply(text="Patching.", tool_calls=[Call("apply_patch", json.dumps({"input": patch}), "p1")]),
        Reply(text="All done."),
        Reply(text=" ".join(f"word{i}" for i in range(400)), delay=0.02),
        Reply(text="Stopped as asked."),
    )
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "hi")
        await wait_for(pilot, lambda: answers(app) == ["Hello, *friend*. How can I help?"], "first answer")
        await wait_for(pilot, idle(app), "first turn ended")
        thinking = app.chat.transcript.query_one(ThinkingBlock)
        assert "greeting" in thinking.body.text and thinking.collapsed
        assert [u.text for u in app.chat.transcript.query(UserMessage)] == ["hi"]

        await send(pilot, app, "make a file, then fix hello")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen), "approval modal")
        assert isinstance(app.screen, ApprovalScreen)
        assert app.screen.request.command == ["touch", "made.txt"]
        await pilot.press("y")
        await wait_for(pilot, lambda: bool(app.chat.transcript.query(CommandCell)), "command cell")
        cell = app.chat.transcript.query_one(CommandCell)
        await wait_for(pilot, lambda: cell.status != "running" or isinstance(app.screen, ApprovalScreen), "command")
        if isinstance(app.screen, ApprovalScreen):  # the patch may ask too under "untrusted"
            await pilot.press("y")
        await wait_for(pilot, idle(app), "second turn ended")
        assert cell.exit_code == 0 and (tmp_path / "made.txt").exists()
        patch_cell = app.chat.transcript.query_one(PatchCell)
        assert patch_cell.status == "completed"
        assert "+hello codex" in patch_cell.plain_text() and "-hello world" in patch_cell.plain_text()
        assert (tmp_path / "hello.txt").read_text() == "hello codex\n"
        assert answers(app)[-1] == "All done."

        await send(pilot, app, "write a long essay")
        await wait_for(pilot, lambda: answers(app)[-1].startswith("word0"), "slow answer streaming")
        await pilot.press("escape")
        await wait_for(pilot, idle(app), "turn aborted")
        assert any("interrupted" in n.message for n in app.chat.transcript.query(Notice))
        assert not any("internal error" in n.message for n in app.chat.transcript.query(Notice))  # a cancel is no crash
        assert len(answers(app)[-1].split()) < 400

        await send(pilot, app, "ok, stop")
        await wait_for(pilot, lambda: answers(app)[-1] == "Stopped as asked.", "answer after the interrupt")
        sent = json.dumps(fake_provider.requests[-1].json)
        assert "word0 word1" in sent and "ok, stop" in sent  # the partial answer stayed in the history


async def test_slash_commands(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """/status, /model, /approvals, /copy, /diff, /help, an unknown command, /new, and /quit."""
    fake_provider.script(Reply(text="The answer is 42."))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        first_id = app.session.session_id if app.session else ""
        await send(pilot, app, "question")
        await wait_for(pilot, lambda: answers(app) == ["The answer is 42."], "answer")
        await wait_for(pilot, idle(app), "turn ended")

        def last_notice() -> Notice:
            return app.chat.transcript.query(Notice).last()

        await send(pilot, app, "/status")
        await pilot.pause()
        assert f"Session:     {first_id}" in last_notice().message and "gpt-fake" in last_notice().message
        assert "sandbox: " in last_notice().message  # what Landlock enforces here, or that it is missing

        await send(pilot, app, "/model gpt-other high")
        await pilot.pause()
        assert app.config.model == "gpt-other" and app.config.model_reasoning_effort == "high"
        assert app.session is not None and app.session.config.model == "gpt-other"
        assert "gpt-other (high)" in app.chat.status_bar.info.render_line()

        await send(pilot, app, "/approvals read-only/never")
        await pilot.pause()
        assert app.session.config.sandbox_mode == "read-only" and app.session.runner.config.approval_policy == "never"

        await send(pilot, app, "/copy")
        await pilot.pause()
        assert "Copied the last answer (17 characters)" in last_notice().message
        assert app.clipboard == "The answer is 42."

        await send(pilot, app, "/diff")
        await pilot.pause(0.2)
        assert "not a git repository" in last_notice().message

        await send(pilot, app, "/frobnicate")
        await pilot.pause()
        assert last_notice().kind == "error" and "/help" in last_notice().hint

        await send(pilot, app, "/help")
        await pilot.pause()
        assert "/compact" in last_notice().message

        await send(pilot, app, "/new")
        await wait_for(pilot, lambda: app.session is not None and app.session.session_id != first_id, "new session")
        assert not app.chat.transcript.query(UserMessage)

        await send(pilot, app, "/quit")
        await pilot.pause()
    assert app.return_value == 0


async def test_slash_popup_completes_commands(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """Typing / opens the command popup; Tab completes the highlighted command."""
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("/", "s", "t")
        popup = app.chat.popup
        assert popup.is_open and [c.insert for c in popup.candidates] == ["/status"]
        await pilot.press("tab")
        assert app.chat.composer.text == "/status " and not popup.is_open


async def test_esc_stops_a_running_command_at_once(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """A 30 s command is stopped by Esc well before it ends; its cell says "stopped" with the time it ran."""
    fake_provider.script(Reply(tool_calls=[Call("shell", json.dumps({"command": ["sleep", "30"]}), "s1")]))
    app = make_app(fake_provider, tmp_path, approval="never")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "wait a while")
        await wait_for(pilot, lambda: bool(app.chat.transcript.query(CommandCell)), "command running")
        cell = app.chat.transcript.query_one(CommandCell)
        await pilot.pause(0.3)
        await pilot.press("escape")
        await wait_for(pilot, idle(app), "turn stopped", rounds=150)  # 3 s, far less than the command's 30 s
        assert cell.status == "failed" and cell.exit_code is None and cell.duration_s > 0
        assert "stopped ·" in str(cell.query_one(".header").render())
        assert any("interrupted" in n.message for n in app.chat.transcript.query(Notice))


@pytest.mark.parametrize("wire", ["responses", "chat", "messages"])
async def test_one_thinking_block_per_reasoning_item_on_every_wire(
    fake_provider: FakeProvider, tmp_path: Path, wire: str
) -> None:
    """Chat Completions delivers the reasoning item after the answer: it completes the block that
    streamed, instead of adding a second finished 'Thought' block after the answer."""
    fake_provider.script(Reply(reasoning="weighing the **options**", text="Pick the second."))
    app = make_app(fake_provider, tmp_path, wire=wire)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "which?")
        await wait_for(pilot, lambda: answers(app) == ["Pick the second."], f"answer on {wire}")
        await wait_for(pilot, idle(app), "turn ended")
        blocks = list(app.chat.transcript.query(ThinkingBlock))
        assert len(blocks) == 1
        assert "options" in blocks[0].body.text and blocks[0].collapsed
        order = [type(c).__name__ for c in app.chat.transcript.cells()]
        assert order.index("ThinkingBlock") < order.index("AssistantMessage"), order
