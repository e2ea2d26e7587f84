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
    ("Ask codex-py to do anything ...") and the status bar: openai · gpt-test · connecting… · / ·
    0 tokens · workspace-write/on-request, all within 80x24."""
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
    "Edited hello.py (+1 -1)" with a coloured diff, and the keys y / a / n / esc on one line."""

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
