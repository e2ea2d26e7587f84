"""``httpx.Auth`` flows: static API keys / bearer tokens, and the refreshing ChatGPT login.

:class:`ChatGPTAuth` refreshes before the access token expires and once after a 401, under the
store's cross-process file lock, re-reading the store after taking it: when another process already
refreshed, its tokens are used and the (rotated) refresh token is never spent twice.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING

import httpx

from codex_py.config import Config
from codex_py.errors import NoCredentialsError
from codex_py.login.store import CredentialStore

if TYPE_CHECKING:  # the ChatGPT login (OAuth, its callback server) loads only for a ChatGPT login: exec start-up
    from codex_py.login.chatgpt import ChatGPTTokens

_REFRESH_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _refresh_gate(store: CredentialStore) -> asyncio.Lock:
    """One lock per credentials folder (and event loop) for every ChatGPTAuth of this process: the
    file lock is reentrant within a process, so it only keeps other processes out."""
    gates = _REFRESH_GATES.setdefault(asyncio.get_running_loop(), {})
    return gates.setdefault(str(store.paths.data_dir), asyncio.Lock())


class HeaderAuth(httpx.Auth):
    """Send one credential header: ``x-api-key: KEY`` or ``Authorization: Bearer TOKEN``."""

    def __init__(self, header: str, value: str) -> None:
        from codex_py.config.redaction import register_secret

        self._header = header
        self._value = value
        register_secret(value.removeprefix("Bearer "))  # masked from now on in every output of this process

    @classmethod
    def bearer(cls, token: str) -> HeaderAuth:
        return cls("Authorization", f"Bearer {token}")

    @classmethod
    def api_key(cls, key: str) -> HeaderAuth:
        return cls("x-api-key", key)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self._header] = self._value
        yield request

    def __repr__(self) -> str:  # never show the secret
        return f"HeaderAuth({self._header!r}, '***')"


class ChatGPTAuth(httpx.Auth):
    """``Authorization: Bearer <access>`` + ``ChatGPT-Account-ID`` with race-free refresh (async only)."""

    def __init__(self, config: Config, store: CredentialStore, tokens: ChatGPTTokens | None = None) -> None:
        self.config = config
        self.store = store
        self._tokens = tokens
        self.refreshes = 0
        """How many refreshes this instance performed itself (not counting ones adopted from the store)."""

    def __repr__(self) -> str:
        return "ChatGPTAuth(***)"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("ChatGPTAuth works with httpx.AsyncClient only")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        tokens = await self.current_tokens()
        self._apply(request, tokens)
        response = yield request
        if response.status_code == 401:
            tokens = await self._refresh(tokens, proactive=False)
            self._apply(request, tokens)
            yield request

    async def current_tokens(self) -> ChatGPTTokens:
        """The tokens to send now, refreshed first when they have expired."""
        tokens = self._tokens or self._load()
        if tokens.needs_refresh():
            tokens = await self._refresh(tokens, proactive=True)
        return tokens

    @staticmethod
    def _apply(request: httpx.Request, tokens: ChatGPTTokens) -> None:
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        if tokens.account_id:
            request.headers["ChatGPT-Account-ID"] = tokens.account_id

    def _load(self) -> ChatGPTTokens:
        from codex_py.login.chatgpt import LOGIN_COMMAND, ChatGPTTokens

        record = self.store.get("chatgpt")
        tokens = ChatGPTTokens.from_record(record) if record else None
        if tokens is None:  # logged out while this session ran
            raise NoCredentialsError("you are no longer signed in with ChatGPT", f"run `{LOGIN_COMMAND}`")
        self._tokens = tokens
        return tokens

    async def _refresh(self, stale: ChatGPTTokens, *, proactive: bool) -> ChatGPTTokens:
        from codex_py.login.chatgpt import RefreshError, refresh_tokens

        async with _refresh_gate(self.store):
            mine = self._tokens
            if mine is not None and mine.access_token != stale.access_token and not mine.needs_refresh():
                return mine  # another request of this session refreshed while we waited
            async with self.store.locked():
                fresh = self._load()
                if fresh.access_token != stale.access_token and not fresh.needs_refresh():
                    return fresh  # another session or process refreshed: use its tokens
                try:
                    new = await refresh_tokens(self.config, fresh)
                except RefreshError as exc:
                    expired = fresh.expires_at is not None and fresh.needs_refresh()
                    if proactive and not exc.permanent and not expired:
                        return fresh  # only the 8-day rule asked; the token still works
                    raise
                self.store.put("chatgpt", new.to_record())
                self.refreshes += 1
                self._tokens = new
                return new
