"""MCP resources, prompts and elicitation in the TUI (Pilot, real session, loopback model, server-everything from npm):
``@everything:`` completes the server's resources and attaches the chosen one, ``/mcp__everything__…`` prompts are in
the slash popup and expanded into the turn, and an elicitation is a form whose answer reaches the server."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Static

from codex_py.tui.screens.elicitation import ElicitationScreen
from tests.support.fake_provider import Call, FakeProvider, Reply
from tests.test_mcp import everything, time_server  # noqa: F401  (fixtures)
from tests.test_tui_conversation import answers, idle, make_app, send, wait_for
from tests.test_tui_mcp import ready, write_servers


def sent(fake: FakeProvider, index: int) -> str:
    return json.dumps(fake.requests[index].json.get("input") or fake.requests[index].json.get("messages"))


async def test_at_mention_completes_resources_and_prompts_are_slash_commands(
    fake_provider: FakeProvider,
    tmp_path: Path,
    isolated_home: Path,
    time_server: str,  # noqa: F811
    everything: Path,  # noqa: F811
) -> None:
    write_servers(isolated_home, time_server, everything)
    fake_provider.script(Reply(text="Attached."), Reply(text="Prompted."))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, app, "MCP 2/2 ready")
        composer = app.chat.composer
        composer.focus()
        for ch in "read @everything:architecture":
            await pilot.press("space" if ch == " " else ch)
        await wait_for(pilot, lambda: app.chat.popup.kind == "@", "resource completion")
        choice = app.chat.popup.selected()
        assert choice is not None and choice.insert.startswith("@everything:demo://resource/static/document/")
        await pilot.press("tab")
        text = composer.text
        assert text.startswith("read @everything:demo://resource/static/document/"), text
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Attached." in answers(app) and idle(app)(), "first turn", rounds=1500)
        assert '<mcp_resource server=\\"everything\\"' in sent(fake_provider, 0)

        composer.load_text("")
        for ch in "/mcp__every":
            await pilot.press(ch)
        await wait_for(pilot, lambda: app.chat.popup.kind == "/", "prompt completion")
        names = [c.insert for c in app.chat.popup.candidates]
        assert "/mcp__everything__simple-prompt" in names and "/mcp__everything__args-prompt" in names
        await send(pilot, app, "/mcp__everything__args-prompt city=Paris")
        await wait_for(pilot, lambda: "Prompted." in answers(app) and idle(app)(), "prompt turn", rounds=1500)
        assert "Paris" in sent(fake_provider, 1) and "/mcp__everything__args-prompt" not in sent(fake_provider, 1)


async def test_an_elicitation_is_a_form_and_its_answer_reaches_the_server(
    fake_provider: FakeProvider,
    tmp_path: Path,
    isolated_home: Path,
    time_server: str,  # noqa: F811
    everything: Path,  # noqa: F811
) -> None:
    write_servers(isolated_home, time_server, everything)
    fake_provider.script(
        Reply(tool_calls=[Call("mcp__everything__trigger_elicitation_request", "{}", call_id="e1")]),
        Reply(text="Thanks."),
    )
    app = make_app(fake_provider, tmp_path, approval="never")
    async with app.run_test(size=(140, 50)) as pilot:
        await ready(pilot, app, "MCP 2/2 ready")
        await send(pilot, app, "ask me")
        await wait_for(pilot, lambda: isinstance(app.screen, ElicitationScreen), "the form", rounds=1500)
        form = app.screen
        assert isinstance(form, ElicitationScreen) and form.server == "everything"
        form.accept()  # the required name is empty: refused, the form stays
        await pilot.pause(0.1)
        assert isinstance(app.screen, ElicitationScreen)
        assert str(form.query_one("#error", Static).render()) == "String is required"
        first = form.query_one("#field-0")
        first.focus()
        for ch in "Ada":
            await pilot.press(ch)
        form.accept()
        await wait_for(pilot, lambda: "Thanks." in answers(app) and idle(app)(), "the turn", rounds=1500)
        result = sent(fake_provider, 1)
        assert "accept" in result and "Ada" in result
