"""Streaming Markdown: block splitting, lines identical to a whole-document render, one widget per answer."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from rich.console import Console
from rich.markdown import Markdown

from codex_py.config import CliOverrides, load_config
from codex_py.tui.app import CodexApp
from codex_py.tui.widgets.assistant_message import AssistantMessage
from codex_py.tui.widgets.markdown_blocks import BlockSplitter

DOC = (
    "# Title\n\nA paragraph with `code` and **bold**,\nwrapped over two lines.\n\n"
    "- one\n- two\n\n  still two\n\n"
    "```python\ndef f():\n\n    return 1\n```\n\n"
    "---\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted\nlazy line\n\n3. three\n4. four\n\nThe end."
)


def feed_randomly(text: str, seed: int) -> BlockSplitter:
    rng = random.Random(seed)
    splitter = BlockSplitter()
    i = 0
    while i < len(text):
        step = rng.randint(1, 12)
        splitter.feed(text[i : i + step])
        i += step
    return splitter


def test_blocks_do_not_depend_on_how_the_text_arrives() -> None:
    whole = BlockSplitter()
    whole.feed(DOC)
    kinds = [b.kind for b in whole.blocks] + [whole.tail_kind]
    assert kinds == [
        "heading_open",
        "paragraph_open",
        "bullet_list_open",
        "fence",
        "hr",
        "table_open",
        "blockquote_open",
        "ordered_list_open",
        "paragraph_open",
    ]
    assert "".join(b.source for b in whole.blocks) + whole.tail == DOC
    for seed in range(20):
        streamed = feed_randomly(DOC, seed)
        assert streamed.blocks == whole.blocks and streamed.tail == whole.tail


def test_a_blank_line_inside_a_fence_does_not_end_it() -> None:
    splitter = BlockSplitter()
    splitter.feed("```\nx = 1\n\n")
    assert splitter.blocks == []
    splitter.feed("y = 2\n```\n\nafter")
    assert [b.kind for b in splitter.blocks] == ["fence"] and splitter.tail == "after"


def make_app(tmp_path: Path) -> CodexApp:
    return CodexApp(load_config(CliOverrides(cd=tmp_path, model="gpt-test")), connect=False)


def widget_lines(answer: AssistantMessage) -> list[str]:
    return [answer.render_line(y).text.rstrip() for y in range(answer.line_count)]


async def test_streamed_answer_renders_like_the_whole_document(tmp_path: Path) -> None:
    """Frozen blocks and the live tail look exactly like Rich's render of the whole text, at every
    step of the stream; and the answer stays a single widget however long it gets."""
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 100)) as pilot:
        streamed = AssistantMessage()
        await app.chat.transcript.mount(streamed)
        await pilot.pause()
        width = streamed.content_region.width
        console = Console(width=width, color_system=None, force_terminal=False)

        def reference(text: str) -> list[str]:
            with console.capture() as capture:
                console.print(Markdown(text))
            return [line.rstrip() for line in capture.get().rstrip("\n").split("\n")]

        rng = random.Random(7)
        i = 0
        while i < len(DOC):
            step = rng.randint(1, 40)
            await streamed.write(DOC[i : i + step])
            i += step
            assert widget_lines(streamed) == reference(streamed.text), streamed.text
        await streamed.finish(DOC)
        assert widget_lines(streamed) == reference(DOC)
        streamed_segments = [streamed.render_line(y)._segments for y in range(streamed.line_count)]
        whole = AssistantMessage(DOC)
        await app.chat.transcript.mount(whole, before=streamed)
        await streamed.remove()
        await pilot.pause()
        assert whole.content_region.width == width
        assert [whole.render_line(y)._segments for y in range(whole.line_count)] == streamed_segments
        streamed = whole

        long_text = "\n\n".join(f"Paragraph {i} " + "word " * 40 for i in range(300))
        await streamed.finish(long_text)
        await pilot.pause()
        assert not streamed.children
        assert streamed.outer_size.height == streamed.line_count > 600


async def test_a_narrower_screen_measures_the_answer_again(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        answer = AssistantMessage("word " * 200)
        await app.chat.transcript.mount(answer)
        await pilot.pause()
        wide = answer.line_count
        await pilot.resize_terminal(50, 30)
        await pilot.pause()
        await pilot.pause()
        assert answer.line_count > wide
        assert all(len(line) <= answer.content_region.width for line in widget_lines(answer))
        assert " ".join(" ".join(widget_lines(answer)).split()) == ("word " * 200).strip()


HTML_ANSWER = (
    "Return `Vec<String>` or Vec<String>, never Option<T>.\n\n"
    '<div align="center">\n<b>centered</b>\n</div>\n\n'
    "Press <kbd>Ctrl</kbd>+<kbd>C</kbd>. See [the docs](https://example.com/guide)."
)


async def test_html_and_angle_brackets_show_literally_while_streaming(tmp_path: Path) -> None:
    """What the model wrote stays on screen: Rich alone drops inline and block HTML."""
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        answer = AssistantMessage()
        await app.chat.transcript.mount(answer)
        for i in range(0, len(HTML_ANSWER), 7):
            await answer.write(HTML_ANSWER[i : i + 7])
        await answer.finish(HTML_ANSWER)
        await pilot.pause()
        shown = "\n".join(widget_lines(answer))
        assert "Vec<String> or Vec<String>, never Option<T>." in shown
        assert '<div align="center">\n<b>centered</b>\n</div>' in shown
        assert "Press <kbd>Ctrl</kbd>+<kbd>C</kbd>." in shown


async def test_link_targets_are_written_out_unless_the_terminal_renders_osc8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codex_py.tui.widgets import markdown_blocks

    monkeypatch.setattr(markdown_blocks, "_hyperlinks", None)
    monkeypatch.setenv("TERM", "xterm-256color")
    for name in ("TERM_PROGRAM", "WT_SESSION", "VTE_VERSION", "KITTY_WINDOW_ID", "CODEX_PY_HYPERLINKS"):
        monkeypatch.delenv(name, raising=False)
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        answer = AssistantMessage("See [the docs](https://example.com/guide).")
        await app.chat.transcript.mount(answer)
        await pilot.pause()
        assert widget_lines(answer) == ["See the docs (https://example.com/guide)."]
    plain = {"TERM": "xterm-256color"}
    assert not markdown_blocks.terminal_shows_hyperlinks(plain)
    assert markdown_blocks.terminal_shows_hyperlinks({"TERM_PROGRAM": "WezTerm"})
    assert markdown_blocks.terminal_shows_hyperlinks({"VTE_VERSION": "7200"})
    assert not markdown_blocks.terminal_shows_hyperlinks({"TERM_PROGRAM": "iTerm.app", "TMUX": "/tmp/x"})
    assert markdown_blocks.terminal_shows_hyperlinks({"CODEX_PY_HYPERLINKS": "1", "TMUX": "/tmp/x"})


def test_a_hyperlink_capable_terminal_keeps_the_link_clickable() -> None:
    from rich.console import Console

    from codex_py.tui.widgets import markdown_blocks

    saved = markdown_blocks._hyperlinks
    markdown_blocks._hyperlinks = True
    try:
        console = Console(width=60, force_terminal=True, color_system="truecolor")
        with console.capture() as capture:
            console.print(markdown_blocks.answer_markdown("See [the docs](https://example.com/guide)."))
        out = capture.get()
    finally:
        markdown_blocks._hyperlinks = saved
    assert "\x1b]8;" in out and "https://example.com/guide" in out
    assert "(https://example.com/guide)" not in out
