"""ChatGPT token refresh through the real httpx.Auth flow: before expiry, once on 401, across processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from codex_py.config import Config, load_config
from codex_py.errors import NoCredentialsError
from codex_py.login.chatgpt import ChatGPTTokens, RefreshError, revoke
from codex_py.login.resolve import ProviderAuth, resolve_provider_auth
from codex_py.login.store import open_store
from tests.conftest import REPO_ROOT
from tests.support.fake_oauth import FakeOAuth


@pytest.fixture
def fake(isolated_home: Path) -> Iterator[FakeOAuth]:
    with FakeOAuth() as server:
        (isolated_home / "config.toml").write_text(server.config_toml())
        yield server


@pytest.fixture
def config(fake: FakeOAuth) -> Config:
    return load_config()


def store_tokens(config: Config, fake: FakeOAuth, *, ttl: float) -> ChatGPTTokens:
    tokens = ChatGPTTokens.from_response(fake.issue_chatgpt(ttl=ttl))
    open_store(config).put("chatgpt", tokens.to_record())
    return tokens


async def post_backend(config: Config) -> httpx.Response:
    pa = resolve_provider_auth(config, config.model_providers["openai"], session_id="s")
    async with httpx.AsyncClient(auth=pa.auth, headers=pa.headers) as client:
        return await client.post(f"{pa.base_url}/responses", json={})


def stored(config: Config) -> ChatGPTTokens:
    record = open_store(config).get("chatgpt")
    assert record is not None
    tokens = ChatGPTTokens.from_record(record)
    assert tokens is not None
    return tokens


async def test_expired_token_is_refreshed_before_the_request(config: Config, fake: FakeOAuth) -> None:
    old = store_tokens(config, fake, ttl=-30)
    response = await post_backend(config)
    assert response.status_code == 200
    assert fake.refreshes == 1
    new = stored(config)
    assert new.refresh_token != old.refresh_token and new.expires_at is not None and new.expires_at > time.time()
    sent = fake.headers_for("/backend-api/codex/responses")
    assert [h["authorization"] for h in sent] == [f"Bearer {new.access_token}"]  # the stale token never went out
    refresh = next(r for r in fake.requests if r.path == "/oauth/token")
    assert refresh.headers["content-type"] == "application/json"


async def test_a_401_refreshes_once_and_retries_once(config: Config, fake: FakeOAuth) -> None:
    store_tokens(config, fake, ttl=3600)
    fake.invalidate_access_tokens()  # the server no longer accepts the (unexpired) access token
    response = await post_backend(config)
    assert response.status_code == 200
    assert fake.refreshes == 1
    assert len(fake.headers_for("/backend-api/codex/responses")) == 2


async def test_a_second_401_is_returned_not_looped(config: Config, fake: FakeOAuth) -> None:
    store_tokens(config, fake, ttl=3600)
    fake.reject_backend = True
    response = await post_backend(config)
    assert response.status_code == 401
    assert fake.refreshes == 1 and len(fake.headers_for("/backend-api/codex/responses")) == 2


async def test_old_login_without_expiry_refreshes_after_8_days(config: Config, fake: FakeOAuth) -> None:
    tokens = store_tokens(config, fake, ttl=3600)
    tokens.expires_at, tokens.last_refresh = None, time.time() - 9 * 86400
    open_store(config).put("chatgpt", tokens.to_record())
    fake.token_endpoint_down = True
    assert (await post_backend(config)).status_code == 200  # a failed age-based refresh keeps the working token
    fake.token_endpoint_down = False
    assert (await post_backend(config)).status_code == 200
    assert fake.refreshes == 1 and stored(config).last_refresh > time.time() - 60


async def test_revoked_refresh_token_says_which_login_to_run(config: Config, fake: FakeOAuth) -> None:
    tokens = store_tokens(config, fake, ttl=-30)
    assert revoke(config, tokens)
    with pytest.raises(RefreshError) as info:
        await post_backend(config)
    assert info.value.permanent
    assert str(info.value) == "ChatGPT sign-in cannot be renewed: the sign-in was revoked"
    assert info.value.hint == "run `codex-py login --provider chatgpt` to sign in again"
    assert tokens.refresh_token not in str(info.value) + info.value.hint


async def test_expired_token_and_dead_token_endpoint(config: Config, fake: FakeOAuth) -> None:
    store_tokens(config, fake, ttl=-30)
    fake.token_endpoint_down = True
    with pytest.raises(RefreshError, match=r"could not renew the ChatGPT sign-in: .*HTTP 503") as info:
        await post_backend(config)
    assert not info.value.permanent


WORKER = """
import asyncio, pathlib, sys, httpx
from codex_py.config import load_config
from codex_py.login.resolve import ProviderAuth, resolve_provider_auth

async def main() -> None:
    config = load_config()
    pa = resolve_provider_auth(config, config.model_providers["openai"])  # reads the expired tokens now
    ready, go = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    ready.touch()
    while not go.exists():
        await asyncio.sleep(0.01)
    async with httpx.AsyncClient(auth=pa.auth, headers=pa.headers, timeout=60) as client:
        response = await client.post(pa.base_url + "/responses", json={})
    print(response.status_code)

asyncio.run(main())
"""


def test_eight_processes_with_an_expired_token_refresh_exactly_once(
    config: Config, fake: FakeOAuth, tmp_path: Path
) -> None:
    store_tokens(config, fake, ttl=-30)
    fake.refresh_delay = 0.3  # a slow token endpoint: the others arrive while the first refreshes
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(tmp_path / f"ready{i}"), str(go)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready{i}").exists() for i in range(8)):
        assert time.monotonic() < deadline, "workers did not start"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs if p.poll() is not None]
        time.sleep(0.02)
    go.touch()  # every worker holds the same expired token in memory
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [out.strip() for out, _ in outputs] == ["200"] * 8, [err for _, err in outputs]
    assert fake.refreshes == 1
    assert not [e for e in fake.errors if e.startswith("refresh_token")]
    tokens = {h["authorization"] for h in fake.headers_for("/backend-api/codex/responses")}
    assert tokens == {f"Bearer {stored(config).access_token}"}


async def test_a_running_session_picks_up_a_new_login(config: Config, fake: FakeOAuth) -> None:
    tokens = store_tokens(config, fake, ttl=-30)
    revoke(config, tokens)
    pa = resolve_provider_auth(config, config.model_providers["openai"])
    async with httpx.AsyncClient(auth=pa.auth, headers=pa.headers) as client:
        with pytest.raises(RefreshError):
            await client.post(f"{pa.base_url}/responses", json={})
        fresh = store_tokens(config, fake, ttl=3600)  # the user ran the login again (e.g. /login in the TUI)
        response = await client.post(f"{pa.base_url}/responses", json={})
    assert response.status_code == 200 and fake.refreshes == 0
    assert fake.headers_for("/responses")[-1]["authorization"] == f"Bearer {fresh.access_token}"


async def test_logout_while_a_session_runs_is_a_missing_login(config: Config, fake: FakeOAuth) -> None:
    store_tokens(config, fake, ttl=3600)
    pa = resolve_provider_auth(config, config.model_providers["openai"])
    open_store(config).delete("chatgpt")  # `codex-py logout` in another terminal
    fake.invalidate_access_tokens()
    async with httpx.AsyncClient(auth=pa.auth, headers=pa.headers) as client:
        with pytest.raises(NoCredentialsError) as info:
            await client.post(f"{pa.base_url}/responses", json={})
    assert info.value.exit_code == 3 and info.value.hint == "run `codex-py login --provider chatgpt`"
    assert fake.refreshes == 0


async def test_two_sessions_in_one_process_refresh_once(config: Config, fake: FakeOAuth) -> None:
    """The file lock is reentrant within a process, so it alone cannot keep two sessions of one process
    (two ChatGPTAuth instances) from spending the same rotating refresh token."""
    import asyncio

    store_tokens(config, fake, ttl=-30)
    fake.refresh_delay = 0.3
    first = resolve_provider_auth(config, config.model_providers["openai"])
    second = resolve_provider_auth(config, config.model_providers["openai"])

    async def post(pa: ProviderAuth) -> int:
        async with httpx.AsyncClient(auth=pa.auth, headers=pa.headers, timeout=30) as client:
            return (await client.post(f"{pa.base_url}/responses", json={})).status_code

    assert await asyncio.gather(post(first), post(second)) == [200, 200]
    assert fake.refreshes == 1 and not fake.errors
