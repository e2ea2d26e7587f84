"""Both OAuth sign-ins end to end against a real local authorization server; the test plays the browser."""

from __future__ import annotations

import asyncio
import re
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from codex_py.config import Config, load_config, resolve_paths
from codex_py.login.callback import CallbackListener, LoginError
from codex_py.login.chatgpt import login_chatgpt
from codex_py.login.claude import login_claude
from codex_py.login.resolve import resolve_provider_auth
from codex_py.login.store import open_store
from tests.support.fake_oauth import ACCOUNT_ID, EMAIL, ORG, FakeOAuth


@pytest.fixture
def fake(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOAuth]:
    monkeypatch.delenv("DISPLAY", raising=False)  # never start a real browser
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with FakeOAuth() as server:
        (isolated_home / "config.toml").write_text(server.config_toml())
        yield server


@pytest.fixture
def config(fake: FakeOAuth) -> Config:
    return load_config()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """Follows the printed URL like a browser after the user clicked "Allow"."""

    def __init__(self, follow: bool = True) -> None:
        self.follow = follow
        self.pages: list[httpx.Response] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.urls: list[str] = []

    def on_url(self, url: str) -> None:
        self.urls.append(url)
        self.tasks.append(asyncio.get_running_loop().create_task(self._visit(url)))

    async def _visit(self, url: str) -> None:
        async with httpx.AsyncClient(follow_redirects=self.follow, timeout=10) as client:
            self.pages.append(await client.get(url))

    async def done(self) -> httpx.Response:
        await asyncio.gather(*self.tasks)
        return self.pages[-1]


def assert_private(path: Path) -> None:
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


async def test_chatgpt_login_end_to_end_and_request_headers(config: Config, fake: FakeOAuth) -> None:
    browser = Browser()
    result = await login_chatgpt(config, open_browser=False, on_url=browser.on_url, ports=(free_port(),))
    page = await browser.done()
    assert page.status_code == 200 and "Signed in to codex-py" in page.text
    assert (result.mode, result.account) == ("ChatGPT (plus)", EMAIL)
    assert fake.exchanges == 1 and not fake.errors
    assert "originator=codex_py" in browser.urls[0] and "code_challenge_method=S256" in browser.urls[0]
    assert_private(resolve_paths().credentials_file)
    record = open_store(config).get("chatgpt")
    assert record is not None and record["account_id"] == ACCOUNT_ID and record["plan"] == "plus"

    pa = resolve_provider_auth(config, config.model_providers["openai"], session_id="sess-1")
    assert (pa.backend, pa.base_url, pa.mode) == ("chatgpt", f"{fake.url}/backend-api/codex", "ChatGPT (plus)")
    async with httpx.AsyncClient(auth=pa.auth, headers=pa.headers) as client:
        response = await client.post(f"{pa.base_url}/responses", json={"store": False})
    assert response.status_code == 200
    sent = fake.headers_for("/backend-api/codex/responses")[-1]
    assert sent["authorization"] == f"Bearer {record['access_token']}"
    assert sent["chatgpt-account-id"] == ACCOUNT_ID
    assert sent["originator"] == "codex_py" and sent["session_id"] == "sess-1"
    assert "x-api-key" not in sent


async def test_chatgpt_accepts_a_pasted_redirect_url(config: Config, fake: FakeOAuth) -> None:
    browser = Browser(follow=False)  # the browser cannot reach the listener (SSH): the user copies the address

    async def paste() -> str:
        page = await browser.done()
        assert page.status_code == 302
        return str(page.headers["location"])

    result = await login_chatgpt(config, open_browser=False, on_url=browser.on_url, paste=paste, ports=(free_port(),))
    assert result.mode == "ChatGPT (plus)" and fake.exchanges == 1


async def test_claude_login_with_pasted_code_state(config: Config, fake: FakeOAuth) -> None:
    browser = Browser()

    async def paste() -> str:
        page = await browser.done()  # the hosted page shows CODE#STATE
        match = re.search(r"<code>([^<]+)</code>", page.text)
        assert match is not None
        return f"  {match.group(1)}  \n"

    result = await login_claude(config, open_browser=False, on_url=browser.on_url, paste=paste)
    assert "redirect_uri=" + quote(f"{fake.url}/oauth/code/callback", safe="") in browser.urls[0]
    assert "scope=org%3Acreate_api_key+user%3Aprofile" in browser.urls[0] and "code=true" in browser.urls[0]
    assert (result.account, result.detail) == (EMAIL, f"API key created in {ORG}")
    record = open_store(config).get("anthropic_api_key")
    assert record is not None and record["source"] == "claude-login" and record["key"] in fake.api_keys
    assert_private(resolve_paths().credentials_file)

    pa = resolve_provider_auth(config, config.model_providers["anthropic"])
    assert pa.mode == "API key (created by Claude login)" and pa.backend == "api"
    async with httpx.AsyncClient(auth=pa.auth, headers=pa.headers) as client:
        response = await client.post(f"{fake.url}/v1/messages", json={})
    assert response.status_code == 200
    sent = fake.headers_for("/v1/messages")[-1]
    assert sent["x-api-key"] == record["key"] and "authorization" not in sent


async def test_claude_login_through_the_loopback_listener(config: Config, fake: FakeOAuth) -> None:
    browser = Browser()
    result = await login_claude(config, open_browser=True, on_url=browser.on_url)
    page = await browser.done()
    assert "created an API key" in page.text
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A" in browser.urls[0] and "%2Fcallback" in browser.urls[0]
    assert result.provider == "claude" and fake.exchanges == 1 and not fake.errors


async def test_state_mismatch_is_refused(config: Config, fake: FakeOAuth) -> None:
    fake.tamper_state = True
    browser = Browser()
    # the foreign reply is refused and the login keeps waiting for its own (issue 11 item 20)
    with pytest.raises(LoginError, match="no reply from the browser within 1 s") as info:
        await login_chatgpt(config, open_browser=False, on_url=browser.on_url, ports=(free_port(),), timeout=1)
    page = await browser.done()
    assert page.status_code == 400 and "State mismatch" in page.text
    assert "codex-py login" in info.value.hint
    assert fake.exchanges == 0 and open_store(config).get("chatgpt") is None


async def test_denied_consent(config: Config, fake: FakeOAuth) -> None:
    fake.deny = True
    browser = Browser()
    with pytest.raises(LoginError, match="not completed: The user denied access") as info:
        await login_claude(config, open_browser=True, on_url=browser.on_url)
    assert (await browser.done()).status_code == 400
    assert "approve access" in info.value.hint


async def test_both_ports_taken(config: Config) -> None:
    with socket.socket() as a, socket.socket() as b:
        for s in (a, b):
            s.bind(("127.0.0.1", 0))
            s.listen()
        ports = (a.getsockname()[1], b.getsockname()[1])
        with pytest.raises(LoginError) as info:
            await login_chatgpt(config, open_browser=False, on_url=lambda u: None, ports=ports)
    message = str(info.value)
    assert f"127.0.0.1:{ports[0]} and 127.0.0.1:{ports[1]} are already in use" in message
    assert "\n" not in message and info.value.hint


async def test_a_newer_login_cancels_a_stale_listener(config: Config) -> None:
    port = free_port()
    stale = asyncio.ensure_future(login_chatgpt(config, open_browser=False, on_url=lambda u: None, ports=(port,)))
    await asyncio.sleep(0.2)
    async with CallbackListener("/auth/callback") as newer:
        assert await newer.bind((port,), cancel_stale=True) == port
        with pytest.raises(LoginError, match="cancelled by a newer"):
            await stale


async def test_dead_token_endpoint(config: Config, fake: FakeOAuth) -> None:
    fake.token_endpoint_down = True
    browser = Browser()
    with pytest.raises(LoginError, match=r"token endpoint refused the request \(HTTP 503") as info:
        await login_chatgpt(config, open_browser=False, on_url=browser.on_url, ports=(free_port(),))
    assert "Sign-in failed" in (await browser.done()).text
    assert "login --provider chatgpt" in info.value.hint


async def test_unreachable_token_endpoint(config: Config, fake: FakeOAuth) -> None:
    config.oauth.claude.token_url = f"http://127.0.0.1:{free_port()}/v1/oauth/token"  # nothing listens there
    browser = Browser()
    with pytest.raises(
        LoginError, match=r"cannot reach the Anthropic token endpoint \(127.0.0.1\): connection refused"
    ):
        await login_claude(config, open_browser=True, on_url=browser.on_url)
    await browser.done()


async def test_account_that_cannot_create_keys(config: Config, fake: FakeOAuth) -> None:
    fake.cannot_create_keys = True
    browser = Browser()
    with pytest.raises(LoginError, match=r"cannot create API keys \(HTTP 403\)") as info:
        await login_claude(config, open_browser=True, on_url=browser.on_url)
    await browser.done()
    assert "codex-py login --provider anthropic" in info.value.hint
    assert open_store(config).get("anthropic_api_key") is None


async def test_timeout_and_garbage_paste(config: Config) -> None:
    with pytest.raises(LoginError, match=r"no reply from the browser within 0\.3 s"):
        await login_chatgpt(config, open_browser=False, on_url=lambda u: None, ports=(free_port(),), timeout=0.3)

    async def garbage() -> str:
        return "hello"

    with pytest.raises(LoginError, match="neither the redirect URL nor a CODE#STATE"):
        await login_claude(config, open_browser=False, on_url=lambda u: None, paste=garbage)


async def test_listener_answers_other_paths_with_404_and_binds_loopback_only() -> None:
    async with CallbackListener("/callback") as listener:
        port = await listener.bind()
        assert listener._server is not None
        assert {s.getsockname()[0] for s in listener._server.sockets} == {"127.0.0.1"}
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{port}/favicon.ico")).status_code == 404
            assert (await client.post(f"http://127.0.0.1:{port}/callback")).status_code == 405
