"""SVG snapshots of the main screens (pytest-textual-snapshot; refresh with --snapshot-update)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from codex_py.agent import events as ev
from codex_py.config import CliOverrides, load_config
from codex_py.tui.app import CodexApp
from tests.test_tui_replay import DIFF, conversation


def make_app() -> CodexApp:
    config = load_config(CliOverrides(cd=Path("/"), model="gpt-test"))
    return CodexApp(config, connect=False)


def test_empty_chat(snap_compare: Any) -> None:
    """You should see an empty transcript, the rounded composer with its placeholder
    ("Ask codex-py anything (/ commands · @ files · ! shell · ctrl+r history)") and the status bar:
    openai · gpt-test · connecting… · / · 0 tokens · workspace-write/on-request, all within 80x24."""
    assert snap_compare(make_app(), terminal_size=(80, 24))


def test_finished_conversation(snap_compare: Any) -> None:
    """You should see, top to bottom: a collapsed "Thought for 1s" block, the answer with `ls` as inline
    code, the Plan checklist (List files struck through, Edit in bold), a green ✓ `$ ls` cell with its two
    output lines and "exit 0 · 250ms", "✓ Changed 1 file" with "Edited hello.py (+1 -1)" and a red/green
    diff, the final answer with **hello.py** in bold, and a dim right-aligned token line."""

    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, CodexApp)
        for event in conversation():
            app.sink(event)
        app.chat.bridge.flush()
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(100, 40), run_before=run_before)


def test_approval_modal_for_a_patch(snap_compare: Any) -> None:
    """You should see a modal with a thick warning border: "Apply these changes to 1 file?", the reason,
    "Edit hello.py (+1 -1)" (not yet made) with a coloured diff, and the keys y / a / n / esc on one line."""

    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, CodexApp)
        future: asyncio.Future[ev.ApprovalResult] = asyncio.get_running_loop().create_future()
        change = ev.FileChange("hello.py", "update", DIFF)
        app.sink(ev.ApprovalRequest("p1", "patch", "writes outside the workspace", changes=[change], future=future))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=run_before)


def test_onboarding(snap_compare: Any) -> None:
    """You should see "Welcome to codex-py", a one-line explanation, and the four ways in: Sign in with
    ChatGPT, Sign in with Claude, Paste an OpenAI API key, Paste an Anthropic API key (the first highlighted),
    and a footer with esc / ctrl+y / ctrl+c."""

    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, CodexApp)
        app.show_onboarding()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=run_before)


def test_session_header_at_80x24(snap_compare: Any) -> None:
    """You should see, above the composer, a rounded box titled ">_ codex-py (v0.1.0)" with aligned rows:
    model gpt-5-codex (high) and a dim "/model to change", provider OpenAI · ChatGPT (user@example.com),
    directory ~/code/project, session 0199a1b2-..., sandbox workspace-write · approvals: on-request and
    "/approvals to change"; then the user's "hello" — all within 80 columns."""
    from codex_py.tui.widgets.session_header import HeaderInfo, SessionHeader
    from codex_py.tui.widgets.user_message import UserMessage

    info = HeaderInfo(
        version="0.1.0",
        model="gpt-5-codex",
        effort="high",
        provider="OpenAI",
        auth="ChatGPT (user@example.com)",
        cwd="~/code/project",
        session_id="0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        sandbox="workspace-write",
        approvals="on-request",
    )

    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, CodexApp)
        await app.chat.transcript.set_header(SessionHeader(info))
        app.chat.transcript.add(UserMessage("hello"))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


def test_approval_with_a_long_diff_at_80x24(snap_compare: Any) -> None:
    """You should see the patch modal filling the screen with its title, the reason, the top of a 60-line
    diff (scrollable), and, still on screen at the bottom, the keys line y / a / n / esc."""

    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, CodexApp)
        future: asyncio.Future[ev.ApprovalResult] = asyncio.get_running_loop().create_future()
        diff = "--- a/big.py\n+++ b/big.py\n@@ -1,30 +1,30 @@\n" + "".join(
            f"-value_{i} = {i}\n+value_{i} = {i * 2}\n" for i in range(30)
        )
        change = ev.FileChange("big.py", "update", diff)
        app.sink(ev.ApprovalRequest("p1", "patch", "writes outside the workspace", changes=[change], future=future))
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


def test_history_search_at_80x24(snap_compare: Any) -> None:
    """You should see the composer with an accent border titled "history search · enter takes · esc cancels",
    the query "dep" in it, and above it the popup with "deploy to prod" (highlighted) over "deploy to staging"."""

    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, CodexApp)
        app.chat.history.entries[:] = ["deploy to staging", "run the tests", "deploy to prod"]
        await pilot.pause()
        await pilot.press("ctrl+r", *"dep")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)
