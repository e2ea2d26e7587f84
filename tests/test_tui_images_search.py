"""Images and web search in the TUI, under Pilot through a real session and the loopback model: a pasted image path
becomes a chip (removable with Backspace) and goes out with the next message; ``-i`` images go with the first
prompt; Ctrl+V without a clipboard tool says so; a provider-side search shows as a cell with its query and URLs,
and the cited sources under the answer."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from PIL import Image
from textual import events

from codex_py.providers.images import load_image
from codex_py.tui.app import CodexApp
from codex_py.tui.widgets.notice import Notice
from codex_py.tui.widgets.web_search_cell import WebSearchCell
from tests.support.fake_provider import FakeProvider
from tests.support.replies import Reply, Search
from tests.test_tui_conversation import answers, idle, make_app, send, wait_for


def png(path: Path, color: str = "red") -> bytes:
    Image.new("RGB", (32, 24), color).save(path, "PNG")
    return path.read_bytes()


def sent_images(fake: FakeProvider, index: int) -> list[bytes]:
    body = fake.requests[index].json
    urls = [
        p["image_url"]
        for m in body["input"]
        if m.get("type") == "message"
        for p in m["content"]
        if p["type"] == "input_image"
    ]
    return [base64.b64decode(u.partition(",")[2]) for u in urls]


async def test_a_pasted_image_path_becomes_a_chip_and_goes_with_the_next_message(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    red = png(tmp_path / "red.png")
    png(tmp_path / "blue.png", "blue")
    fake_provider.script(Reply(text="a red square"))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        app.chat.composer.post_message(events.Paste(str(tmp_path / "blue.png")))
        await wait_for(pilot, lambda: len(app.chat.attachments) == 1, "blue attached")
        assert app.chat.composer.text == ""  # the path attached the image; it was not typed in
        await pilot.press("backspace")  # empty composer: removes the chip
        await wait_for(pilot, lambda: not app.chat.attachments, "chip removed")
        assert not app.chat.attachment_bar.has_class("-shown")
        app.chat.composer.post_message(events.Paste(f"'{tmp_path / 'red.png'}'"))
        await wait_for(pilot, lambda: len(app.chat.attachments) == 1, "red attached")
        assert "[Image #1] red.png" in str(app.chat.attachment_bar.render())
        await send(pilot, app, "what colour?")
        await wait_for(pilot, lambda: answers(app) == ["a red square"] and idle(app)(), "answer")
    assert sent_images(fake_provider, 0) == [red]
    assert not app.chat.attachments


async def test_dash_i_images_go_with_the_first_prompt(fake_provider: FakeProvider, tmp_path: Path) -> None:
    green = png(tmp_path / "g.png", "green")
    fake_provider.script(Reply(text="green"), Reply(text="no image now"))
    app = make_app(fake_provider, tmp_path)
    app.prompt = "describe it"
    app.chat.attachments.append(load_image("g.png", tmp_path))  # what launch does with -i g.png
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: answers(app) == ["green"] and idle(app)(), "first answer")
        await send(pilot, app, "and now?")
        await wait_for(pilot, lambda: len(answers(app)) == 2 and idle(app)(), "second answer")
    assert sent_images(fake_provider, 0) == [green]
    assert "describe it" in str(fake_provider.requests[0].json["input"])
    assert len(sent_images(fake_provider, 1)) == 1  # the first message's image, in history; nothing new


async def test_ctrl_v_without_a_clipboard_tool_says_so(
    fake_provider: FakeProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await pilot.press("ctrl+v")
        await wait_for(pilot, lambda: bool(list(app.chat.transcript.query(Notice))), "notice")
        text = " ".join(n.plain_text() for n in app.chat.transcript.query(Notice))
    assert "no clipboard image tool found (wl-paste, xclip or pngpaste)" in text
    assert not app.chat.attachments


@pytest.mark.parametrize("wire", ["responses", "messages"])
async def test_a_search_shows_as_a_cell_with_its_query_and_urls(
    wire: str, fake_provider: FakeProvider, tmp_path: Path
) -> None:
    results = (("https://example.org/a", "Page A"), ("https://example.com/b", "Page B"))
    fake_provider.script(Reply(searches=[Search("codex-py release", results)], text="It shipped."))
    app: CodexApp = make_app(fake_provider, tmp_path, wire=wire)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "did it ship?")
        await wait_for(pilot, lambda: answers(app) == ["It shipped."] and idle(app)(), "answer")
        cells = [c.plain_text() for c in app.chat.transcript.query(WebSearchCell)]
    assert cells[0].splitlines() == ["Searched codex-py release", "  https://example.org/a", "  https://example.com/b"]
    assert cells[1].splitlines() == ["Sources", "  Page A <https://example.org/a>"]
