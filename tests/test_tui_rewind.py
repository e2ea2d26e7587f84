"""``/rewind`` (and Esc Esc), ``/fork`` and ``/export`` in the app under Pilot, with the loopback model, real
checkpoints in a real workspace and the real session file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from textual.pilot import Pilot

from codex_py.config import resolve_paths
from codex_py.protocol.items import UserMessage as UserItem
from codex_py.session.rollout import list_rollouts, load_rollout, read_header
from codex_py.tui.app import CodexApp
from codex_py.tui.screens.picker import PickerScreen
from codex_py.tui.screens.rewind import RewindScreen
from codex_py.tui.widgets.notice import Notice
from codex_py.tui.widgets.user_message import UserMessage
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Reply
from tests.test_tui_conversation import idle, make_app, send, wait_for

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="checkpoints need git")

BASE = "line one\n"


def shell(script: str) -> Call:
    return Call("shell", json.dumps({"command": ["bash", "-lc", script]}))


def script_two_turns(fake: FakeProvider) -> None:
    fake.script(
        Reply(tool_calls=[shell("echo one > one.txt")]),
        Reply(text="first answer"),
        Reply(tool_calls=[shell("printf 'line two\\n' >> base.txt && echo two > two.txt")]),
        Reply(text="second answer"),
        Reply(text="answer after the rewind"),
    )


async def two_turns(pilot: Pilot[int], app: CodexApp, ws: Path) -> None:
    await wait_for(pilot, lambda: app.session is not None, "session started")
    app.session.config.sandbox_mode = "danger-full-access"  # type: ignore[union-attr]
    app.session.runner.reset_policy()  # type: ignore[union-attr]
    await send(pilot, app, "turn one")
    await wait_for(pilot, lambda: idle(app)() and (ws / "one.txt").exists(), "turn one ran", rounds=1500)
    await send(pilot, app, "turn two")
    await wait_for(pilot, lambda: idle(app)() and (ws / "two.txt").exists(), "turn two ran", rounds=1500)
    await wait_for(pilot, lambda: idle(app)() and app.session.checkpointer is not None, "idle")  # type: ignore[union-attr]
    await pilot.pause(0.1)


async def choose(pilot: Pilot[int], app: CodexApp, mode_steps: int, *, message_up: int = 0) -> None:
    """In the open rewind dialog: go up ``message_up`` messages from the newest, Enter, then the mode."""
    await wait_for(pilot, lambda: isinstance(app.screen, RewindScreen), "the rewind dialog")
    for _ in range(message_up):
        await pilot.press("up")
    await pilot.press("enter")
    await pilot.pause(0.05)
    for _ in range(mode_steps):
        await pilot.press("down")
    await pilot.press("enter")


def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "base.txt").write_text(BASE)
    return ws


def prompts_on_screen(app: CodexApp) -> list[str]:
    return [str(getattr(m, "text", "")) for m in app.chat.transcript.query(UserMessage)]


def notices(app: CodexApp) -> list[str]:
    return [n.message for n in app.chat.transcript.query(Notice)]


def model_prompts(app: CodexApp) -> list[str]:
    assert app.session is not None
    return [i.text for i in app.session.history if isinstance(i, UserItem)]


async def test_rewind_code_and_conversation_with_esc_esc(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    ws = workspace(tmp_path)
    script_two_turns(fake_provider)
    app = make_app(fake_provider, ws, approval="never")
    async with app.run_test(size=(100, 40)) as pilot:
        await two_turns(pilot, app, ws)
        assert (ws / "base.txt").read_text() == BASE + "line two\n"
        await pilot.press("escape")
        assert not isinstance(app.screen, RewindScreen)  # one Esc only primes it
        await pilot.press("escape")
        await choose(pilot, app, 0)  # "turn two" (the newest), then "Restore code and conversation"
        await wait_for(pilot, lambda: app.chat.composer.text == "turn two", "the message back in the composer")
        # code: turn two's changes are gone, turn one's stay
        assert (ws / "base.txt").read_text() == BASE and not (ws / "two.txt").exists()
        assert (ws / "one.txt").exists()
        # conversation: the model no longer sees turn two; the screen shows turn one only
        assert model_prompts(app) == ["turn one"]
        await wait_for(pilot, lambda: prompts_on_screen(app) == ["turn one"], "the transcript redrawn")
        assert any(m.startswith("Rewound: the conversation is back to before message #2") for m in notices(app))
        # the session file agrees (a resume sees the same history)
        assert app.session is not None
        path = app.session.recorder.path  # type: ignore[union-attr]
        loaded = load_rollout(path)
        assert [i.text for i in loaded.items if isinstance(i, UserItem)] == ["turn one"]
        assert [i.text for i in loaded.transcript if isinstance(i, UserItem)] == ["turn one"]
        # sending again goes on from turn one
        app.chat.composer.load_text("turn two, edited")
        await pilot.press("enter")
        await wait_for(pilot, lambda: idle(app)() and fake_provider.pending == 0, "the edited turn", rounds=1500)
        request = fake_provider.last_request.json
        sent = json.dumps(request["input"])
        assert "turn two, edited" in sent and "second answer" not in sent and '"turn two"' not in sent
    resumed = load_rollout(path)
    assert [i.text for i in resumed.items if isinstance(i, UserItem)] == ["turn one", "turn two, edited"]


async def test_rewind_conversation_only_keeps_the_files(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    ws = workspace(tmp_path)
    script_two_turns(fake_provider)
    app = make_app(fake_provider, ws, approval="never")
    async with app.run_test(size=(100, 40)) as pilot:
        await two_turns(pilot, app, ws)
        await send(pilot, app, "/rewind")
        await choose(pilot, app, 1, message_up=1)  # "turn one", then "Restore conversation"
        await wait_for(pilot, lambda: app.chat.composer.text == "turn one", "the message back in the composer")
        assert model_prompts(app) == []
        await wait_for(pilot, lambda: prompts_on_screen(app) == [], "the transcript redrawn")
        assert (ws / "one.txt").exists() and (ws / "two.txt").exists()  # the files stay as they are
        assert (ws / "base.txt").read_text() == BASE + "line two\n"
        path = app.session.recorder.path  # type: ignore[union-attr]
    assert load_rollout(path).items == []


async def test_rewind_code_only_asks_before_overwriting_a_changed_file(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    ws = workspace(tmp_path)
    script_two_turns(fake_provider)
    app = make_app(fake_provider, ws, approval="never")
    async with app.run_test(size=(100, 40)) as pilot:
        await two_turns(pilot, app, ws)
        (ws / "base.txt").write_text("the user's own edit\n")  # changed since, by someone else
        await send(pilot, app, "/rewind")
        await choose(pilot, app, 2, message_up=1)  # "turn one", then "Restore code"
        await wait_for(pilot, lambda: type(app.screen) is PickerScreen, "the confirmation")
        assert "base.txt" in app.screen.title_text  # type: ignore[attr-defined]
        await pilot.press("escape")  # cancel: nothing changes
        await wait_for(pilot, lambda: any("Rewind cancelled" in m for m in notices(app)), "cancelled")
        assert (ws / "base.txt").read_text() == "the user's own edit\n" and (ws / "one.txt").exists()

        await send(pilot, app, "/rewind")
        await choose(pilot, app, 2, message_up=1)
        await wait_for(pilot, lambda: type(app.screen) is PickerScreen, "the confirmation")
        await pilot.press("up", "enter")  # "Restore them anyway"
        await wait_for(pilot, lambda: not (ws / "one.txt").exists(), "the code restored", rounds=1500)
        assert (ws / "base.txt").read_text() == BASE and not (ws / "two.txt").exists()
        assert model_prompts(app) == ["turn one", "turn two"]  # the conversation stays
        assert app.chat.composer.text == ""
        assert any(m.startswith("Rewound: ") and "deleted one.txt" in m for m in notices(app))


async def test_fork_continues_in_a_copy_and_export_writes_the_conversation(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    ws = workspace(tmp_path)
    script_two_turns(fake_provider)
    app = make_app(fake_provider, ws, approval="never")
    async with app.run_test(size=(100, 40)) as pilot:
        await two_turns(pilot, app, ws)
        assert app.session is not None
        original_id = app.session.session_id
        original = app.session.recorder.path  # type: ignore[union-attr]
        before = original.read_bytes()

        await send(pilot, app, "/export")
        target = ws / f"codex-py-{original_id[:8]}.md"
        await wait_for(pilot, target.exists, "the export written")
        text = target.read_text()
        assert "## Turn 1" in text and "turn two" in text and "second answer" in text
        assert "echo one > one.txt" in text
        await send(pilot, app, "/export missing-dir/conv.json")
        await wait_for(pilot, lambda: any("/export failed: cannot write" in m for m in notices(app)), "one-line error")
        await send(pilot, app, "/export conv.json")
        await wait_for(pilot, (ws / "conv.json").exists, "the json export")
        assert json.loads((ws / "conv.json").read_text())["session"]["id"] == original_id

        await send(pilot, app, "/fork")
        await wait_for(
            pilot, lambda: app.session is not None and app.session.session_id != original_id, "the forked session"
        )
        forked_id = app.session.session_id
        await wait_for(pilot, lambda: prompts_on_screen(app) == ["turn one", "turn two"], "the copy drawn")
        assert any(f"Forked into session {forked_id}" in m for m in notices(app))
        await send(pilot, app, "and on")
        await wait_for(pilot, lambda: idle(app)() and fake_provider.pending == 0, "a turn in the copy", rounds=1500)
    assert original.read_bytes() == before  # the original is untouched
    forked = next(p for _, p in list_rollouts(resolve_paths()) if p.name.endswith(f"-{forked_id}.jsonl"))
    header = read_header(forked)
    assert header is not None and header.forked_from_id == original_id
    assert [i.text for i in load_rollout(forked).items if isinstance(i, UserItem)] == ["turn one", "turn two", "and on"]
