"""Session header, Ctrl+R history search, ``!cmd`` shell mode, decline reasons in cells, and 80x24 fit.

Pilot drives the real app; sessions talk to the loopback fake provider; shell commands really run.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from textual.widget import Widget

from codex_py.agent import events as ev
from codex_py.config import CliOverrides, load_config
from codex_py.protocol.items import UserMessage as UserItem
from codex_py.sandbox.landlock import landlock_abi
from codex_py.tui.app import CodexApp
from codex_py.tui.screens.approval import ApprovalScreen
from codex_py.tui.screens.onboarding import OnboardingScreen
from codex_py.tui.widgets.command_cell import CommandCell
from codex_py.tui.widgets.notice import Notice
from codex_py.tui.widgets.patch_cell import PatchCell
from codex_py.tui.widgets.session_header import SessionHeader
from codex_py.tui.widgets.user_message import UserMessage
from tests.support.fake_provider import Call, FakeProvider, Reply
from tests.test_tui_conversation import answers, idle, make_app, send, wait_for


def offline_app(history: list[str] | None = None) -> CodexApp:
    """An app without a session (no provider), with ``history`` as the composer's past messages."""
    app = CodexApp(load_config(CliOverrides(cd=Path("/"), model="gpt-test")), connect=False)
    app.chat.history.entries[:] = list(history or [])
    return app


def on_screen(app: CodexApp, widget: Widget) -> bool:
    """The whole widget is inside the terminal."""
    return app.screen.region.contains_region(widget.region) and widget.region.height > 0


# --- 1. the session header ------------------------------------------------------------------
async def test_header_opens_the_session_and_stays_first(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(Reply(text="Hi."), Reply(text="Again."))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.chat.transcript.header is not None, "header")
        header = app.chat.transcript.header
        assert isinstance(header, SessionHeader) and app.session is not None
        text = header.plain_text()
        for expected in ("codex-py (v", "gpt-fake", "fake · no auth", str(tmp_path), app.session.session_id):
            assert expected in text
        assert "workspace-write · approvals: untrusted" in text
        await wait_for(pilot, lambda: on_screen(app, header), "header laid out within 80x24")
        first_id = app.session.session_id

        await send(pilot, app, "hello")
        await wait_for(pilot, idle(app), "turn ended")
        assert app.chat.transcript.children[0] is header
        assert header not in app.chat.transcript.cells()  # never pruned with the turns
        assert app.chat.transcript.scrollback()[0].plain.startswith(">_ codex-py")  # type: ignore[union-attr]

        await send(pilot, app, "/new")
        await wait_for(pilot, lambda: app.session is not None and app.session.session_id != first_id, "new session")
        await wait_for(pilot, lambda: app.chat.transcript.header is not None, "new header")
        new_header = app.chat.transcript.header
        assert isinstance(new_header, SessionHeader) and new_header.info.session_id == app.session.session_id
        assert list(app.chat.transcript.query(SessionHeader)) == [new_header]


async def test_header_sits_above_a_resumed_conversation(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(Reply(text="First answer."))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session")
        await send(pilot, app, "remember me")
        await wait_for(pilot, idle(app), "turn ended")
        session_id = app.session.session_id if app.session else ""
        await send(pilot, app, f"/resume {session_id}")
        await wait_for(pilot, lambda: bool(app.chat.transcript.query(UserMessage)), "history drawn")
        await wait_for(pilot, lambda: app.chat.transcript.header is not None, "header")
        children = list(app.chat.transcript.children)
        assert isinstance(children[0], SessionHeader) and children[0].info.session_id == session_id
        assert [u.text for u in app.chat.transcript.query(UserMessage)] == ["remember me"]


# --- 2. Ctrl+R history search ---------------------------------------------------------------
async def test_ctrl_r_filters_history_and_enter_takes_the_match() -> None:
    app = offline_app(["deploy to staging", "run the tests", "deploy to prod", "git status"])
    async with app.run_test(size=(80, 24)) as pilot:
        composer, popup = app.chat.composer, app.chat.popup
        composer.load_text("half-typed draft")
        await pilot.press("ctrl+r")
        assert composer.searching and composer.text == ""
        assert [c.insert for c in popup.candidates] == [
            "git status",
            "deploy to prod",
            "run the tests",
            "deploy to staging",
        ]
        await pilot.press(*"DEPLOY")
        await pilot.pause()
        assert [c.insert for c in popup.candidates] == ["deploy to prod", "deploy to staging"]  # newest first
        await pilot.press("ctrl+r")  # the next older match
        await pilot.press("enter")
        await pilot.pause()
        assert not composer.searching and not popup.is_open
        assert composer.text == "deploy to staging"
        assert not app.chat.transcript.query(UserMessage)  # taken into the composer, not sent


async def test_ctrl_r_esc_and_ctrl_c_give_back_the_draft_and_no_match_keeps_searching() -> None:
    app = offline_app(["alpha", "beta"])
    async with app.run_test(size=(80, 24)) as pilot:
        composer = app.chat.composer
        composer.load_text("my draft")
        await pilot.press("ctrl+r", *"zzz")
        await pilot.pause()
        assert not app.chat.popup.is_open and "no match for 'zzz'" in str(composer.border_title)
        await pilot.press("enter")  # nothing to take: still searching, nothing sent
        assert composer.searching and composer.text == "zzz"
        await pilot.press("escape")
        await pilot.pause()
        assert not composer.searching and composer.text == "my draft" and composer.border_title is None

        await pilot.press("ctrl+r", "b")
        await pilot.pause()
        assert [c.insert for c in app.chat.popup.candidates] == ["beta"]
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not composer.searching and composer.text == "my draft"
        assert app.is_running  # ctrl+c ended the search; it did not arm the quit


# --- 3. why a command or patch was declined --------------------------------------------------
async def test_denial_reason_shows_in_the_command_and_patch_cells(fake_provider: FakeProvider, tmp_path: Path) -> None:
    patch = "*** Begin Patch\n*** Add File: new.txt\n+x\n*** End Patch\n"
    fake_provider.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["touch", "made.txt"]}), "c1")]),
        Reply(tool_calls=[Call("apply_patch", json.dumps({"input": patch}), "p1")]),
        Reply(text="Understood."),
    )
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session")
        await send(pilot, app, "make files")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen), "command approval")
        await pilot.press("n", *"use make instead", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen), "patch approval")
        await pilot.press("n", *"wrong folder", "enter")
        await wait_for(pilot, idle(app), "turn ended")
        cell = app.chat.transcript.query_one(CommandCell)
        assert cell.status == "declined" and cell.reason == "rejected by user: use make instead"
        assert cell.query_one(".reason").display and "use make instead" in cell.plain_text()
        patch_cell = app.chat.transcript.query_one(PatchCell)
        assert patch_cell.status == "declined" and patch_cell.message == "rejected by user: wrong folder"
        assert not (tmp_path / "made.txt").exists() and not (tmp_path / "new.txt").exists()


# --- 4. !cmd runs a shell command ----------------------------------------------------------
def shell_app(fake: FakeProvider, workspace: Path, *overrides: str, sandbox: str = "workspace-write") -> CodexApp:
    config = load_config(
        CliOverrides(
            provider="fake",
            model="gpt-fake",
            cd=workspace,
            sandbox=sandbox,
            config=[
                f'model_providers.fake.base_url="{fake.base_url}"',
                'model_providers.fake.wire_api="responses"',
                "model_providers.fake.request_max_retries=0",
                *overrides,
            ],
        )
    )
    return CodexApp(config)


async def test_bang_runs_the_command_and_the_model_sees_it_next_turn(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    fake_provider.script(Reply(text="It printed numbers."))
    app = shell_app(fake_provider, tmp_path, "tool_output_max_lines=10")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session")
        await send(pilot, app, "!echo start; seq 1 100; pwd")
        await wait_for(pilot, lambda: bool(app.chat.transcript.query(CommandCell)), "command cell")
        cell = app.chat.transcript.query_one(CommandCell)
        await wait_for(pilot, lambda: cell.status != "running" and not app.chat.busy, "command ended")
        assert cell.exit_code == 0 and "start\n1\n2\n" in cell.output and str(tmp_path) in cell.output
        assert not fake_provider.requests  # no model call
        assert app.session is not None
        context = app.session.history[-1]
        assert isinstance(context, UserItem) and "`echo start; seq 1 100; pwd`" in context.text
        assert "Exit code: 0" in context.text and "lines truncated" in context.text  # cut like tool output
        assert "\n50\n" not in context.text

        await send(pilot, app, "what did it print?")
        await wait_for(pilot, lambda: answers(app) == ["It printed numbers."], "answer")
        sent = json.dumps(fake_provider.requests[0].json)
        assert "echo start; seq 1 100; pwd" in sent and "what did it print?" in sent


async def test_bang_is_sandboxed_and_esc_stops_it(fake_provider: FakeProvider, tmp_path: Path) -> None:
    app = shell_app(fake_provider, tmp_path, sandbox="read-only")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session")
        if landlock_abi() > 0:  # the sandbox is enforced here: really try to write
            await send(pilot, app, "!touch escaped.txt")
            await wait_for(pilot, lambda: bool(app.chat.transcript.query(CommandCell)), "command cell")
            await wait_for(pilot, lambda: not app.chat.busy, "command ended")
            cell = app.chat.transcript.query(CommandCell).last()
            assert cell.exit_code not in (None, 0) and not (tmp_path / "escaped.txt").exists()
        history_before = len(app.session.history) if app.session else 0

        await send(pilot, app, "!sleep 30")
        await wait_for(pilot, lambda: app.chat.busy, "running")
        await send(pilot, app, "!echo queued")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not app.chat.busy, "stopped")
        cell = app.chat.transcript.query(CommandCell).last()
        assert cell.command[-1] == "sleep 30" and cell.status == "failed" and cell.exit_code is None
        assert "stopped" in str(cell.query_one(".header").render())
        assert app.session is not None and len(app.session.history) == history_before  # nothing to tell the model
        assert not app.chat.queued  # esc drops what was queued, as for a turn

        await send(pilot, app, "!")
        await pilot.pause()
        assert app.chat.transcript.query(Notice).last().message == "no command after !"


# --- 5. every screen at 80x24 ----------------------------------------------------------------
async def test_approval_with_a_long_diff_fits_80x24_and_scrolls() -> None:
    diff = "--- a/big.py\n+++ b/big.py\n@@ -1,80 +1,80 @@\n" + "".join(f"-old {i}\n+new {i}\n" for i in range(80))
    app = offline_app()
    async with app.run_test(size=(80, 24)) as pilot:
        future: asyncio.Future[ev.ApprovalResult] = asyncio.get_running_loop().create_future()
        change = ev.FileChange("big.py", "update", diff)
        app.sink(ev.ApprovalRequest("p1", "patch", "writes outside the workspace", changes=[change], future=future))
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen), "modal")
        await pilot.pause()
        modal = app.screen
        body = modal.query_one("#body")
        assert on_screen(app, modal.query_one("#title")) and on_screen(app, modal.query_one("#keys"))
        assert body.max_scroll_y > 0 and app.focused is body
        await pilot.press("pagedown")
        assert body.scroll_y > 0  # the keyboard scrolls the diff (the mouse is not captured)
        await pilot.press("n")
        await pilot.pause()
        await pilot.pause()
        assert on_screen(app, modal.query_one("#deny-reason"))  # the reason field is visible too
        await pilot.press(*"no", "enter")
        assert (await future).reason == "no"


async def test_onboarding_oauth_step_fits_80x24(oauth_url: str = "https://auth.example/authorize?" + "x" * 600) -> None:
    app = offline_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.show_onboarding()
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardingScreen), "onboarding")
        screen = app.screen
        assert isinstance(screen, OnboardingScreen)
        await pilot.press("down", "down", "enter")  # paste an OpenAI key: no network
        await pilot.pause()
        assert not screen.query_one("#ways").display  # the list gives its room to the field
        screen._show_url(oauth_url)  # the longest step: a wrapped authorization URL above the field
        await pilot.pause()
        for part in ("#url", "#secret", "#status", "#footer"):
            assert on_screen(app, screen.query_one(part)), part
        await pilot.press("escape")
        await pilot.pause()
        assert screen.query_one("#ways").display and "Welcome" in str(screen.query_one("#welcome").render())
