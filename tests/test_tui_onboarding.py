"""The sign-in screen end to end: a key typed masked, and the ChatGPT sign-in against a real local OAuth server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from textual.widgets import Input

from codex_py.config import load_config
from codex_py.login.apikey import RECORDS
from codex_py.login.store import open_store
from codex_py.tui.app import CodexApp
from codex_py.tui.screens.onboarding import OnboardingScreen
from codex_py.tui.widgets.assistant_message import AssistantMessage
from tests.support.fake_oauth import EMAIL, FakeOAuth
from tests.support.fake_provider import FakeProvider, Reply
from tests.test_tui_conversation import send, wait_for

KEY = "sk-proj-onboarding-test-0123456789"


@pytest.fixture
def no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)  # never start a real browser
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)


@pytest.fixture
def oauth(isolated_home: Path, no_display: None) -> Iterator[FakeOAuth]:
    with FakeOAuth() as server:
        (isolated_home / "config.toml").write_text(server.config_toml())
        yield server


async def test_an_api_key_typed_masked_is_stored_and_the_session_connects(
    isolated_home: Path, fake_provider: FakeProvider, no_display: None
) -> None:
    """No credentials: the sign-in screen opens; the OpenAI key is typed into a password field, stored by
    the login package (never shown), and the first message goes out with it."""
    (isolated_home / "config.toml").write_text(
        f'model = "gpt-fake"\n[model_providers.openai]\nbase_url = "{fake_provider.base_url}"\n'
    )
    fake_provider.script(Reply(text="Signed in and answering."))
    app = CodexApp(load_config())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardingScreen), "sign-in screen")
        await wait_for(pilot, lambda: app._early_input is None, "keys typed during start-up replayed")
        await pilot.press("down", "down", "enter")  # "Paste an OpenAI API key"
        secret = app.screen.query_one("#secret", Input)
        assert secret.password and secret.has_focus
        await pilot.press(*KEY)
        assert KEY not in app.export_screenshot() and KEY[:8] not in app.export_screenshot()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session is not None, "session connected")
        assert app.session is not None and "API key" in app.session.auth_mode
        stored = open_store(app.config).get(RECORDS["openai"])
        assert stored is not None and stored["key"] == KEY
        await send(pilot, app, "hello")
        await wait_for(
            pilot,
            lambda: [a.text for a in app.chat.transcript.query(AssistantMessage)] == ["Signed in and answering."],
            "answer",
        )
        assert fake_provider.last_request.headers["authorization"] == f"Bearer {KEY}"


async def test_a_bad_key_keeps_the_screen_with_a_next_step(isolated_home: Path, no_display: None) -> None:
    app = CodexApp(load_config())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardingScreen), "sign-in screen")
        await wait_for(pilot, lambda: app._early_input is None, "keys typed during start-up replayed")
        await pilot.press("down", "down", "down", "enter", *"sk-ant two words", "enter")
        status = app.screen.query_one("#status")
        await wait_for(pilot, lambda: status.has_class("-error"), "error shown")
        text = str(status.render())
        assert "spaces" in text and "paste only the key" in text and "two words" not in text
        assert isinstance(app.screen, OnboardingScreen) and app.session is None


async def test_chatgpt_sign_in_through_the_local_oauth_server(oauth: FakeOAuth) -> None:
    """ChatGPT: the URL is shown (no display, so no browser); the test plays the browser; the tokens are
    stored and the session connects with the ChatGPT auth mode."""
    app = CodexApp(load_config())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardingScreen), "sign-in screen")
        await wait_for(pilot, lambda: app._early_input is None, "keys typed during start-up replayed")
        screen = app.screen
        assert isinstance(screen, OnboardingScreen)
        await pilot.press("enter")  # "Sign in with ChatGPT"
        await wait_for(pilot, lambda: bool(screen.url), "authorization URL shown")
        assert screen.url.startswith(f"{oauth.url}/oauth/authorize?")
        await pilot.press("ctrl+y")
        assert app.clipboard == screen.url
        async with httpx.AsyncClient(follow_redirects=True, timeout=10) as browser:
            page = await browser.get(screen.url)
        assert page.status_code == 200
        await wait_for(pilot, lambda: app.session is not None, "session connected")
        assert app.session is not None and app.session.auth_mode.startswith("ChatGPT")
        assert oauth.exchanges == 1 and not oauth.errors
        record = open_store(app.config).get("chatgpt")
        assert record is not None and EMAIL in str(record)
        assert "ChatGPT" in app.chat.status_bar.info.render_line()
