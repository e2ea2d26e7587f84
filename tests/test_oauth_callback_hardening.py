"""No local process or web page can end a pending browser sign-in (issue 11 item 20).

The real ChatGPT login runs against the real loopback authorization server (``FakeOAuth``) and the
real callback listener; the test sends what an attacker could send to ``localhost:PORT`` (a forged
callback, a DNS-rebinding ``Host``, a bare ``/cancel``), checks each is refused while the login keeps
waiting, then plays the browser and checks the login still succeeds.
"""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Awaitable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from codex_py.config import Config, resolve_paths
from codex_py.login.callback import CallbackListener
from codex_py.login.chatgpt import login_chatgpt
from codex_py.login.flow import LoginResult
from codex_py.login.store import open_store
from tests.support.fake_oauth import FakeOAuth
from tests.test_login_flows import Browser, config, fake, free_port  # noqa: F401  (fixtures: cfg, oauth)


@pytest.fixture
def oauth(fake: FakeOAuth) -> FakeOAuth:  # noqa: F811
    return fake


@pytest.fixture
def cfg(config: Config) -> Config:  # noqa: F811
    return config


class PendingLogin:
    """A ChatGPT login waiting on a fixed loopback port; the browser visit happens only on ``finish``."""

    def __init__(self, cfg: Config) -> None:
        self.port = free_port()
        self.urls: list[str] = []
        self.task: asyncio.Task[LoginResult] = asyncio.ensure_future(
            login_chatgpt(cfg, open_browser=False, on_url=self.urls.append, ports=(self.port,), timeout=30)
        )

    async def started(self) -> None:
        async with asyncio.timeout(10):
            while not self.urls:
                await asyncio.sleep(0.01)

    @property
    def state(self) -> str:
        return parse_qs(urlsplit(self.urls[0]).query)["state"][0]

    async def get(self, target: str, host: str | None = None) -> httpx.Response:
        headers = {} if host is None else {"host": host}
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.get(f"http://127.0.0.1:{self.port}{target}", headers=headers)

    async def still_waiting(self) -> None:
        await asyncio.sleep(0.2)
        assert not self.task.done(), self.task.result() if not self.task.exception() else self.task.exception()

    async def finish(self) -> LoginResult:
        browser = Browser()
        browser.on_url(self.urls[0])
        async with asyncio.timeout(20):
            result = await self.task
            page = await _first(browser)
        assert page.status_code == 200 and "signed in" in page.text
        return result


async def _first(browser: Browser) -> httpx.Response:
    await asyncio.gather(*browser.tasks)
    return browser.pages[0]


async def _succeeds(login: PendingLogin, oauth: FakeOAuth, cfg: Config) -> None:
    result = await login.finish()
    assert result.provider == "chatgpt" and oauth.exchanges == 1
    assert open_store(cfg).get("chatgpt") is not None


async def test_a_wrong_state_reply_then_the_right_one_signs_in(cfg: Config, oauth: FakeOAuth) -> None:
    login = PendingLogin(cfg)
    await login.started()
    for query in ("code=attacker-code&state=guess", "error=access_denied&state=guess", "code=x", "state=%C3%A9"):
        page = await login.get(f"/auth/callback?{query}")
        assert page.status_code == 400 and "State mismatch" in page.text, query
        await login.still_waiting()
    assert oauth.exchanges == 0, "a forged code is never exchanged"
    await _succeeds(login, oauth, cfg)


@pytest.mark.parametrize(
    "host",
    ["evil.example:{port}", "localhost.evil.example:{port}", "127.0.0.1:1", "localhost", "[::1]:{port}", ""],
)
async def test_a_foreign_host_is_refused_and_the_login_keeps_waiting(cfg: Config, oauth: FakeOAuth, host: str) -> None:
    login = PendingLogin(cfg)
    await login.started()
    # a rebinding page would not know the state; the right one is sent so only the Host check can refuse it
    page = await login.get(f"/auth/callback?code=attacker-code&state={login.state}", host=host.format(port=login.port))
    assert page.status_code == 421
    await login.still_waiting()
    assert (await login.get("/cancel", host=f"rebound.example:{login.port}")).status_code == 421
    await login.still_waiting()
    await _succeeds(login, oauth, cfg)


async def test_cancel_without_the_token_does_not_abort(cfg: Config, oauth: FakeOAuth) -> None:
    login = PendingLogin(cfg)
    await login.started()
    for target in ("/cancel", f"/cancel?state={login.state}", "/cancel?token=guess", "/cancel?token=%C3%A9"):
        for host in (f"localhost:{login.port}", f"127.0.0.1:{login.port}"):
            assert (await login.get(target, host=host)).status_code == 403, target
            await login.still_waiting()
    token_file = resolve_paths().state_dir / f"login-{login.port}.cancel"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    await _succeeds(login, oauth, cfg)
    assert not token_file.exists(), "the token goes away with the listener"


async def test_the_token_left_for_a_newer_login_stops_the_stale_one(cfg: Config) -> None:
    """What /cancel is for: a newer codex-py login takes over the port of one left waiting."""
    login = PendingLogin(cfg)
    await login.started()
    async with CallbackListener("/auth/callback") as newer:
        assert await newer.bind((login.port,), cancel_stale=True) == login.port
        with pytest.raises(Exception, match="cancelled by a newer"):
            await _bounded(login.task)
        token_file = resolve_paths().state_dir / f"login-{login.port}.cancel"
        assert token_file.read_text() != "" and Path(token_file).stat().st_mode & 0o077 == 0


async def _bounded(task: Awaitable[LoginResult]) -> LoginResult:
    async with asyncio.timeout(20):
        return await task
