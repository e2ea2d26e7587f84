"""Slash commands that change the session: /provider, /login, /logout, /resume, /init, /compact (real Session,
loopback fake provider, real files)."""

from __future__ import annotations

import json
from pathlib import Path

from textual.pilot import Pilot

from codex_py.config import CliOverrides, load_config
from codex_py.login.apikey import RECORDS, save_api_key
from codex_py.login.store import open_store
from codex_py.tui.app import CodexApp
from codex_py.tui.commands import INIT_PROMPT
from codex_py.tui.screens.onboarding import OnboardingScreen
from codex_py.tui.screens.picker import PickerScreen
from codex_py.tui.widgets.notice import Notice
from codex_py.tui.widgets.user_message import UserMessage
from tests.support.fake_provider import FakeProvider, HttpError, Reply
from tests.test_tui_conversation import answers, idle, make_app, send, wait_for


def last_notice(app: CodexApp) -> Notice:
    found = list(app.chat.transcript.query(Notice))
    return found[-1] if found else Notice("")


def two_provider_app(fake: FakeProvider, workspace: Path) -> CodexApp:
    """The app on provider ``fake`` (Responses); ``chatty`` (Chat Completions) is the same server."""
    config = load_config(
        CliOverrides(
            provider="fake",
            model="gpt-fake",
            cd=workspace,
            config=[
                f'model_providers.fake.base_url="{fake.base_url}"',
                'model_providers.fake.wire_api="responses"',
                f'model_providers.chatty.base_url="{fake.base_url}"',
                'model_providers.chatty.wire_api="chat"',
                'model_providers.chatty.name="Chatty"',
            ],
        )
    )
    return CodexApp(config)


async def pick_provider(pilot: Pilot[int], app: CodexApp, provider: str) -> None:
    """/provider, then ``provider`` in its picker (moving down from the current one)."""
    current = app.config.model_provider
    await send(pilot, app, "/provider")
    await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "provider picker")
    picker = app.screen
    assert isinstance(picker, PickerScreen)
    values = [value for value, _, _ in picker.choices]
    await pilot.press(*["down"] * (values.index(provider) - values.index(current)), "enter")


async def test_provider_switch_carries_the_conversation_to_another_wire(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    """/provider opens a picker; the chosen provider (Chat Completions here) gets the earlier turns."""
    fake_provider.script(Reply(text="First, over Responses."), Reply(text="Second, over Chat."))
    app = two_provider_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        first = app.session.session_id if app.session else ""
        await send(pilot, app, "one")
        await wait_for(pilot, idle(app), "first turn")
        await pick_provider(pilot, app, "chatty")
        await wait_for(
            pilot, lambda: app.session is not None and app.session.config.model_provider == "chatty", "switch"
        )
        assert app.session is not None and app.session.session_id == first and app.config.model == "gpt-fake"
        assert "Chatty" in last_notice(app).message and "chatty" in app.chat.status_bar.info.render_line()
        await send(pilot, app, "two")
        await wait_for(pilot, lambda: answers(app)[-1:] == ["Second, over Chat."], "answer over Chat")
        request = fake_provider.last_request
        assert request.dialect == "chat" and "First, over Responses." in json.dumps(request.json)


async def test_a_provider_switch_before_the_first_message_starts_a_fresh_session(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    """Nothing said yet means no session file to resume: the switch starts a fresh session (it used to fail with
    "no recorded session matches")."""
    fake_provider.script(Reply(text="Over Chat."))
    app = two_provider_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await pick_provider(pilot, app, "chatty")
        await wait_for(
            pilot, lambda: app.session is not None and app.session.config.model_provider == "chatty", "switch"
        )
        assert not any("no recorded session" in n.message for n in app.chat.transcript.query(Notice))
        await send(pilot, app, "hi")
        await wait_for(pilot, lambda: answers(app)[-1:] == ["Over Chat."], "answer over Chat")


async def test_login_opens_the_sign_in_screen_and_esc_returns(fake_provider: FakeProvider, tmp_path: Path) -> None:
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        session = app.session
        await send(pilot, app, "/login")
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardingScreen), "sign-in screen")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.chat and app.session is session


async def test_logout_removes_the_chosen_credential(fake_provider: FakeProvider, tmp_path: Path) -> None:
    app = make_app(fake_provider, tmp_path)
    save_api_key(app.config, "anthropic", "sk-ant-logout-test")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "/logout")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "logout picker")
        await pilot.press("down", "down", "down", "enter")  # chatgpt, claude, openai, anthropic
        await wait_for(pilot, lambda: app.screen is app.chat and "nthropic" in last_notice(app).message, "logged out")
    assert open_store(app.config).get(RECORDS["anthropic"]) is None
    assert "sk-ant-logout-test" not in last_notice(app).message


async def test_resume_picker_reopens_an_earlier_session(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(Reply(text="Remember the number 7."), Reply(text="It was 7."))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        first = app.session.session_id if app.session else ""
        await send(pilot, app, "pick a number")
        await wait_for(pilot, idle(app), "first turn")
        await send(pilot, app, "/new")
        await wait_for(pilot, lambda: app.session is not None and app.session.session_id != first, "new session")
        await send(pilot, app, "/resume")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "session picker")
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        assert [label for value, label, _ in picker.choices if value == first] == ["pick a number"]
        await pilot.press(*["down"] * [value for value, _, _ in picker.choices].index(first), "enter")
        await wait_for(pilot, lambda: app.session is not None and app.session.session_id == first, "resumed")
        await wait_for(pilot, lambda: answers(app) == ["Remember the number 7."], "earlier turn redrawn")
        assert [u.text for u in app.chat.transcript.query(UserMessage)] == ["pick a number"]
        await send(pilot, app, "which number?")
        await wait_for(pilot, lambda: answers(app)[-1] == "It was 7.", "answer in the resumed session")
        assert "Remember the number 7." in json.dumps(fake_provider.last_request.json)


async def test_init_asks_the_model_for_agents_md_once(fake_provider: FakeProvider, tmp_path: Path) -> None:
    fake_provider.script(Reply(text="Here is a guide."))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "/init")
        await wait_for(pilot, lambda: idle(app)() and bool(answers(app)), "init turn")
        assert INIT_PROMPT in json.dumps(fake_provider.last_request.json)
        (tmp_path / "AGENTS.md").write_text("# Guide\n")
        count = len(fake_provider.requests)
        await send(pilot, app, "/init")
        await pilot.pause()
        assert "already exists" in last_notice(app).message and len(fake_provider.requests) == count


async def test_compact_summarizes_and_a_failure_names_the_next_step(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    fake_provider.script(
        Reply(text="A long answer " * 50),
        Reply(text="Summary: the user asked for a long answer."),
        HttpError(500, message="compaction backend down", should_retry=False),
    )
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "/compact")
        await pilot.pause()
        assert last_notice(app).message == "Nothing to compact yet." and not fake_provider.requests
        await send(pilot, app, "talk a lot")
        await wait_for(pilot, idle(app), "turn")
        await send(pilot, app, "/compact")
        await wait_for(pilot, lambda: "compacted" in last_notice(app).message, "compacted notice")
        await wait_for(pilot, lambda: not app.chat.busy, "compaction ended")
        assert app.session is not None and "Summary: the user asked" in json.dumps(
            [str(i) for i in app.session.history]
        )
        await send(pilot, app, "/compact")
        await wait_for(pilot, lambda: last_notice(app).kind == "error", "compaction error")
        notice = last_notice(app)
        assert notice.message.startswith("/compact failed:") and notice.hint and "internal error" not in notice.message


async def test_new_and_resume_start_the_token_count_afresh(fake_provider: FakeProvider, tmp_path: Path) -> None:
    from tests.support import Usage

    fake_provider.script(Reply(text="Counted.", usage=Usage(input_tokens=12_000, output_tokens=345)))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        first = app.session.session_id if app.session else ""
        await send(pilot, app, "count")
        await wait_for(pilot, idle(app), "turn")
        assert app.chat.status_bar.info.tokens == 12_345
        await send(pilot, app, "/new")
        await wait_for(pilot, lambda: app.session is not None and app.session.session_id != first, "new session")
        assert app.chat.status_bar.info.tokens == 0
        assert "12k tokens" not in app.chat.status_bar.info.render_line()


async def test_model_picker_lists_what_a_custom_server_serves(fake_provider: FakeProvider, tmp_path: Path) -> None:
    """A custom provider's /model lists the server's models (GET /models), not the built-in catalog."""
    fake_provider.models = ["qwen3-coder:30b", "llama3.3:70b"]
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        await send(pilot, app, "/model")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "model picker")
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        values = [value for value, _, _ in picker.choices]
        assert values == ["gpt-fake", "llama3.3:70b", "qwen3-coder:30b"]  # the current model first
        assert not any(v.startswith(("gpt-5", "claude")) for v in values)
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: app.config.model == "qwen3-coder:30b", "model chosen")
        assert fake_provider.requests[-1].path.endswith("/models")


async def test_model_picker_says_why_a_server_list_failed(fake_provider: FakeProvider, tmp_path: Path) -> None:
    from dataclasses import replace

    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        providers = dict(app.config.model_providers)
        providers["fake"] = replace(providers["fake"], base_url="http://127.0.0.1:9/v1")  # nothing listens
        app.apply_config(replace(app.config, model_providers=providers))
        await send(pilot, app, "/model")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "model picker")
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        assert [value for value, _, _ in picker.choices] == ["gpt-fake"]
        assert "could not list the models" in last_notice(app).message
        assert "/model NAME" in last_notice(app).hint


async def test_status_and_help_columns_line_up_and_resume_shows_ages(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    import re

    from codex_py.tui.commands import age

    fake_provider.script(Reply(text="Noted."))
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        for command, first, other in (("/status", "Model:", "Provider:"), ("/help", "/model", "/status")):
            await send(pilot, app, command)
            await pilot.pause()
            notice = last_notice(app)
            lines = [notice.render_line(y).text for y in range(notice.size.height)]
            start = next(line for line in lines if first in line)
            later = next(line for line in lines if other in line)
            assert start.index(first) == later.index(other), lines
            cols = {m.end() for line in lines if (m := re.match(r"(?:• |  )/[a-z]+ +", line))}
            assert command != "/help" or len(cols) == 1, lines

        first = app.session.session_id if app.session else ""
        await send(pilot, app, "remember this")
        await wait_for(pilot, idle(app), "turn")
        await send(pilot, app, "/new")
        await wait_for(pilot, lambda: app.session is not None and app.session.session_id != first, "new session")
        await send(pilot, app, "/resume")
        await wait_for(pilot, lambda: isinstance(app.screen, PickerScreen), "session picker")
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        description = next(d for value, _, d in picker.choices if value == first)
        assert description.startswith("just now · gpt-fake · ")
    ages = [age(s) for s in (5, 61, 7200, 3 * 86400, 30 * 86400)]
    assert ages == ["just now", "1m ago", "2h ago", "3d ago", "4w ago"]


async def test_shell_mode_is_visibly_marked(fake_provider: FakeProvider, tmp_path: Path) -> None:
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        composer = app.chat.composer
        await pilot.press("!", "l", "s")
        await pilot.pause()
        assert composer.has_class("-shell") and "shell command" in str(composer.border_title)
        await pilot.press("home", "delete")
        await pilot.pause()
        assert not composer.has_class("-shell") and not composer.border_title


async def test_exit_prints_token_usage_and_how_to_resume(fake_provider: FakeProvider, tmp_path: Path) -> None:
    from codex_py.tui.launch import exit_summary
    from tests.support import Usage

    fake_provider.script(
        Reply(text="One.", usage=Usage(input_tokens=12_000, output_tokens=345, cached_tokens=8_000)),
        Reply(text="Two.", usage=Usage(input_tokens=13_000, output_tokens=55, reasoning_tokens=20)),
    )
    app = make_app(fake_provider, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.session is not None, "session started")
        assert app.session is not None
        assert exit_summary(app.session).splitlines()[0].startswith("Session ")  # nothing used yet: no usage line
        for text in ("one", "two"):
            await send(pilot, app, text)
            await wait_for(pilot, idle(app), "turn")
        sid = app.session.session_id
        assert exit_summary(app.session).splitlines() == [
            "Token usage: total=25,400 input=17,000 (+ 8,000 cached) output=400 (reasoning 20)",
            f"Session {sid}",
            f"To continue it: codex-py resume {sid}",
        ]
