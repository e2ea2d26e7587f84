"""Reading the conversation: scrolling from the composer, the new-output hint, focus never trapped."""

from __future__ import annotations

from pathlib import Path

from textual import events

from codex_py.tui.widgets.assistant_message import AssistantMessage
from codex_py.tui.widgets.command_cell import CommandCell
from tests.support.fake_provider import FakeProvider, Reply
from tests.test_tui_conversation import idle, make_app, send, wait_for

LONG = "\n\n".join(f"Paragraph {i}: " + "words " * 30 for i in range(80))


async def test_keys_and_wheel_scroll_the_transcript_from_the_composer(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    fake_provider.script(Reply(text=LONG), Reply(text=LONG + "\n\nThe second answer.", delay=0.002))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = app.chat
        transcript = chat.transcript
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "a long answer please")
        await wait_for(pilot, idle(app), "first turn")
        await pilot.pause()
        assert transcript.max_scroll_y > 20 and transcript.scroll_y == transcript.max_scroll_y
        assert app.focused is chat.composer

        await pilot.press("pageup")
        await pilot.pause()
        after_page = transcript.scroll_y
        assert after_page < transcript.max_scroll_y - 10
        await pilot.press("shift+up")
        await pilot.pause()
        assert transcript.scroll_y == after_page - 1
        await pilot.press("pagedown")
        await pilot.pause()
        assert transcript.scroll_y == after_page - 1 + (after_page and transcript.scrollable_content_region.height)
        await pilot.press("shift+pagedown")
        await pilot.pause()
        assert transcript.scroll_y == transcript.max_scroll_y

        # home/end move the transcript only while the composer is empty
        await pilot.press("home")
        await pilot.pause()
        assert transcript.scroll_y == 0
        await pilot.press("end")
        await pilot.pause()
        assert transcript.scroll_y == transcript.max_scroll_y
        chat.composer.load_text("draft")
        await pilot.press("home")
        await pilot.pause()
        assert transcript.scroll_y == transcript.max_scroll_y and chat.composer.cursor_location == (0, 0)
        chat.composer.load_text("")

        # the mouse wheel scrolls
        before = transcript.scroll_y
        for _ in range(3):
            transcript.post_message(
                events.MouseScrollUp(transcript, 5, 5, 0, 0, 0, False, False, False, screen_x=5, screen_y=5)
            )
        await pilot.pause()
        assert transcript.scroll_y < before

        # reading further up while the next answer streams: the view stays and a hint says there is more
        await send(pilot, app, "again")
        await wait_for(pilot, lambda: len(transcript.query(AssistantMessage)) == 2, "second answer streaming")
        await pilot.press("home")
        await wait_for(pilot, lambda: chat.below_hint.active, "new-output hint")
        assert transcript.scroll_y == 0
        assert transcript.scroll_y < transcript.max_scroll_y
        await wait_for(pilot, idle(app), "second turn")
        await pilot.press("end")
        await pilot.pause()
        assert transcript.scroll_y == transcript.max_scroll_y and not chat.below_hint.active
        assert [a.text for a in transcript.query(AssistantMessage)][-1].endswith("The second answer.")


async def test_typing_on_a_focused_cell_goes_to_the_composer_and_esc_returns(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    import json

    from tests.support import Call

    fake_provider.script(
        Reply(tool_calls=[Call("shell", json.dumps({"command": ["echo", "hi"]}), "c1")]),
        Reply(text="Ran it."),
    )
    app = make_app(fake_provider, tmp_path, approval="never")
    async with app.run_test(size=(100, 30)) as pilot:
        chat = app.chat
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "run echo")
        await wait_for(pilot, idle(app), "turn")
        cell = chat.transcript.query_one(CommandCell)
        await pilot.press("shift+tab")
        await pilot.pause()
        if app.focused is not cell:
            cell.focus()
            await pilot.pause()
        assert app.focused is cell
        await pilot.press("h", "i")
        await pilot.pause()
        assert app.focused is chat.composer and chat.composer.text == "hi"

        cell.focus()
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is chat.composer and chat.composer.text == "hi"


async def test_ctrl_t_opens_the_whole_conversation_with_search(fake_provider: FakeProvider, tmp_path: Path) -> None:
    from codex_py.tui.screens.pager import PagerScreen

    fake_provider.script(
        Reply(reasoning="think about needles", text="First answer about a needle."),
        Reply(text=LONG + "\n\nAnother needle at the end."),
    )
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "one")
        await wait_for(pilot, idle(app), "first turn")
        await send(pilot, app, "two")
        await wait_for(pilot, idle(app), "second turn")
        await pilot.press("ctrl+t")
        await pilot.pause()
        pager = app.screen
        assert isinstance(pager, PagerScreen)
        for expected in ("› one", "First answer about a needle.", "think about needles", "Another needle at the end."):
            assert expected in pager.text, expected
        await pilot.press("slash", *"NEEDLE", "enter")
        await pilot.pause()
        first = pager.view.selected_text
        assert first.lower() == "needle" and "match 1 of 3" in str(pager.status.render())
        await pilot.press("n")
        await pilot.press("n")
        await pilot.pause()
        assert "match 3 of 3" in str(pager.status.render())
        row = pager.view.selection.start[0]
        assert "Another needle" in pager.view.document.get_line(row)
        assert pager.view.scroll_offset.y > 0  # scrolled to the match near the end
        await pilot.press("N")
        await pilot.pause()
        assert "match 2 of 3" in str(pager.status.render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.chat and app.focused is app.chat.composer
