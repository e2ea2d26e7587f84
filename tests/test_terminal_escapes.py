"""Model text and command output cannot drive the user's terminal (issue 11 item 17).

A hostile model (or a command it runs) prints OSC 52 (write the clipboard), OSC 0 (set the window title),
``ESC [2J`` (clear the screen), cursor moves, C1 CSI and stray C0 controls. exec's human output (stdout and
stderr) and the TUI show the text without them; ``exec --json`` carries them JSON-escaped only.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from codex_py.protocol.terminal_text import strip_controls
from codex_py.tui.app import CodexApp
from codex_py.tui.widgets.assistant_message import AssistantMessage
from codex_py.tui.widgets.command_cell import CommandCell
from codex_py.tui.widgets.thinking import ThinkingBlock
from tests.support.fake_provider import Call, FakeProvider, Reply
from tests.test_exec_e2e import QUIET
from tests.test_exec_e2e import run as run_exec
from tests.test_stream_limits import exec_workdir
from tests.test_tui_conversation import idle, make_app, send, wait_for

CLIPBOARD = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
TITLE = "\x1b]0;pwned title\x1b\\"
CLEAR = "\x1b[2J\x1b[H"
C1_CSI = "\x9b31m"
HOSTILE = f"safe start {CLIPBOARD}{TITLE}{CLEAR}{C1_CSI}bell\x07 back\x08 del\x7f end"
PRINTF = (
    "printf '"
    + HOSTILE.replace("\\", "\\\\")
    .replace("\x1b", "\\033")
    .replace("\x07", "\\007")
    .replace("\x08", "\\010")
    .replace("\x7f", "\\177")
    .replace("\x9b", "\\302\\233")
    + "\\n'"
)
SHELL = Call("shell", json.dumps({"command": ["sh", "-c", PRINTF]}), "c1")
ATTACKS = ("\x1b]", "\x1b[2J", "\x07", "\x9b", "\x08", "\x7f")


def assert_clean(text: str, where: str) -> None:
    for attack in ATTACKS:
        assert attack not in text, f"{where}: {attack!r} reached the terminal"
    assert "safe start" in text and "end" in text, f"{where}: the readable text is kept"


def test_the_sanitiser_keeps_text_newlines_and_tabs() -> None:
    assert strip_controls("plain text, ünïcode ✓") == "plain text, ünïcode ✓"
    assert strip_controls("a\tb\nc\r\nd") == "a\tb\nc\nd"
    cleaned = strip_controls(HOSTILE)
    assert_clean(cleaned, "strip_controls")
    assert "\x1b" not in cleaned and "pwned" not in cleaned, "whole sequences go, not just the ESC"
    assert strip_controls("\x1b[1;31mred\x1b[0m \x1b7\x1b8ok") == "red ok"
    assert strip_controls("cut \x1b") == "cut " and strip_controls("\x1b]52;c;unterminated") == ""


def test_exec_human_output_strips_escapes_on_stdout_and_stderr(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    workdir = exec_workdir(fake_provider, isolated_home, tmp_path)
    fake_provider.script(
        Reply(reasoning=HOSTILE, text=HOSTILE, tool_calls=[SHELL]),
        Reply(text=HOSTILE),
    )
    out = run_exec(*QUIET, "go", cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert_clean(out.stdout, "exec stdout")
    assert_clean(out.stderr, "exec stderr")
    assert out.stdout.count("safe start") == 2 and out.stderr.count("safe start") >= 2, out.stderr


def test_exec_json_output_carries_escapes_only_escaped(
    fake_provider: FakeProvider, isolated_home: Path, tmp_path: Path
) -> None:
    workdir = exec_workdir(fake_provider, isolated_home, tmp_path)
    fake_provider.script(
        Reply(text=HOSTILE, tool_calls=[SHELL]),
        Reply(text="done"),
    )
    out = run_exec("--json", *QUIET, "go", cwd=workdir)
    assert out.returncode == 0, out.stderr
    for control in ("\x1b", "\x07", "\x08"):  # JSON escapes every C0 control (C1 and DEL are legal raw in JSON)
        assert control not in out.stdout, f"raw {control!r} on --json stdout"
    texts = [json.dumps(json.loads(line)) for line in out.stdout.splitlines()]
    assert any("\\u001b]52;c;" in t for t in texts), "the model's text is kept, escaped"


def screen_bytes(app: object) -> str:
    """What the terminal would receive for a full repaint of the current screen."""
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=100, height=40)
    console.print(app.screen._compositor.render_update(full=True))  # type: ignore[attr-defined]
    return console.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("wire", ["responses", "messages"])
async def test_tui_renders_model_text_and_command_output_without_escapes(
    fake_provider: FakeProvider, tmp_path: Path, wire: str
) -> None:
    fake_provider.script(
        Reply(reasoning=HOSTILE, text=HOSTILE, tool_calls=[SHELL]),
        Reply(text=f"# {HOSTILE}\n\n- {HOSTILE}\n\n`{HOSTILE}`\n\n```\n{HOSTILE}\n```\n"),
    )
    app = make_app(fake_provider, tmp_path, approval="never", wire=wire)
    async with app.run_test(size=(100, 60)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "go")
        await wait_for(pilot, lambda: len(answers(app)) == 2 and idle(app)(), "two answers, turn ended")
        await pilot.pause()
        for answer in answers(app):
            assert_clean("\n".join(answer.render_line(y).text for y in range(answer.line_count)), "answer lines")
        cell = app.chat.transcript.query_one(CommandCell)
        assert "safe start" in cell.output
        thinking = app.chat.transcript.query_one(ThinkingBlock)
        thinking.collapsed = False
        await pilot.pause()
        assert_clean(thinking.body.text, "reasoning")
        for widget in (cell, thinking, *answers(app)):
            widget.scroll_visible(animate=False, immediate=True)
            await pilot.pause()
            screen = screen_bytes(app)
            for attack in ATTACKS:
                assert attack not in screen, f"screen with {type(widget).__name__}: {attack!r} reached the terminal"
            assert "safe start" in screen


def answers(app: CodexApp) -> list[AssistantMessage]:
    return [a for a in app.chat.transcript.query(AssistantMessage) if not a.has_class("-dim")]
