"""Composer behaviour: history, newlines, @ file completion, paste, Ctrl+C; transcript pruning; lazy imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from textual import events

from codex_py.config import CliOverrides, load_config
from codex_py.tui.app import CodexApp
from codex_py.tui.files import fuzzy_match, list_files
from codex_py.tui.history import HistoryCursor, append_history, load_history
from codex_py.tui.widgets.notice import Notice


def make_app(cwd: Path) -> tuple[CodexApp, list[str]]:
    app = CodexApp(load_config(CliOverrides(cd=cwd, model="gpt-test")), connect=False)
    sent: list[str] = []
    app.chat.send = sent.append  # type: ignore[method-assign,assignment]
    return app, sent


async def test_enter_sends_and_ctrl_j_adds_a_newline(tmp_path: Path) -> None:
    app, sent = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press(*"one", "ctrl+j", *"two", "enter")
        assert sent == ["one\ntwo"]
        assert app.chat.composer.text == ""


async def test_history_is_recalled_and_persisted(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press(*"first", "enter", *"second", "enter")
        await pilot.press("up")
        assert app.chat.composer.text == "second"
        await pilot.press("up")
        assert app.chat.composer.text == "first"
        await pilot.press("down", "down")
        assert app.chat.composer.text == ""
    assert load_history(app.paths.history_file)[-2:] == ["first", "second"]
    assert app.paths.history_file.stat().st_mode & 0o077 == 0


def test_history_cursor_keeps_the_draft() -> None:
    cursor = HistoryCursor(["a", "b"])
    assert cursor.previous("draft") == "b"
    assert cursor.previous("b") == "a"
    assert cursor.previous("a") is None
    assert cursor.next() == "b"
    assert cursor.next() == "draft"
    assert not cursor.browsing


def test_history_file_skips_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    append_history(path, "ok", "s1")
    with path.open("a") as fh:
        fh.write("not json\n")
    append_history(path, "two\nlines", "s1")
    assert load_history(path) == ["ok", "two\nlines"]


def test_files_respect_gitignore_and_fuzzy_ranking(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("build/\n*.log\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main_window.py").write_text("")
    (tmp_path / "src" / "mailbox.py").write_text("")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "main.py").write_text("")
    (tmp_path / "debug.log").write_text("")
    files = list_files(tmp_path)
    assert "src/main_window.py" in files and "build/main.py" not in files and "debug.log" not in files
    assert fuzzy_match("mainwin", files)[0] == "src/main_window.py"
    assert fuzzy_match("mbox", files)[0] == "src/mailbox.py"
    assert fuzzy_match("zzz", files) == []


async def test_at_completion_inserts_the_path(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("")
    (tmp_path / "other.txt").write_text("")
    app, _ = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press(*"look at @not")
        for _ in range(100):
            if app.chat.popup.is_open:
                break
            await pilot.pause(0.02)
        assert app.chat.popup.candidates[0].label == "notes.md"
        await pilot.press("tab")
        assert app.chat.composer.text == "look at @notes.md "


async def test_large_paste_is_kept_intact(tmp_path: Path) -> None:
    app, sent = make_app(tmp_path)
    big = "\n".join(f"line {i}: " + "x" * 80 for i in range(2000))
    async with app.run_test() as pilot:
        app.post_message(events.Paste(big))  # as the terminal driver delivers a bracketed paste
        await pilot.pause()
        assert sent == []
        await pilot.press("enter")
        assert sent == [big]


async def test_ctrl_c_clears_then_quits_on_second_press(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press(*"draft")
        await pilot.press("ctrl+c")
        assert app.chat.composer.text == "" and app.is_running
        await pilot.press("ctrl+c")
        assert app.is_running
        assert str(app.chat.status_bar.render()) == "ctrl+c again to quit"  # a hint in the status line, no toast
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_value == 0


async def test_ctrl_d_deletes_in_text_and_quits_on_an_empty_composer(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.press(*"ab", "left", "ctrl+d")
        assert app.chat.composer.text == "a" and app.is_running
        await pilot.press("backspace", "ctrl+d")
        await pilot.pause()
    assert app.return_value == 0


async def test_the_chat_screen_styles_are_loaded(tmp_path: Path) -> None:
    """Textual skips the default screen's CSS_PATH; the app loads chat.tcss itself."""
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        composer = app.chat.composer
        assert composer.region.x == 1 and composer.region.width == 78  # `margin: 0 1` from chat.tcss
        assert app.chat.status_bar.region.bottom == 24


async def test_old_blocks_are_pruned_past_the_line_budget(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test() as pilot:
        transcript = app.chat.transcript
        transcript.line_budget = 30
        for i in range(40):
            transcript.add(Notice(f"block {i}"))
        await pilot.pause()
        removed = await transcript.prune()
        await pilot.pause()
        assert removed > 0 and transcript.pruned == removed
        assert transcript.total_lines() <= 30
        assert transcript.cells()[-1].plain_text() == "block 39"  # type: ignore[attr-defined]
        assert "earlier blocks hidden" in transcript.children[0].plain_text()  # type: ignore[attr-defined]


def test_textual_stays_out_of_cli_and_exec_imports() -> None:
    code = (
        "import sys, codex_py.cli, codex_py.exec.runner, codex_py.agent.session, codex_py.tui.launch;"
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
