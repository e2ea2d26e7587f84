"""ChatGPT sign-in (OAuth PKCE against ``config.oauth.chatgpt.issuer``), token refresh and revoke.

Wire facts (codex-cli.md §8): the listener is ``http://localhost:1455/auth/callback`` (fallback 1457);
the code exchange is form-encoded at ``{issuer}/oauth/token``; refresh is JSON at the same URL; the
id_token's claims (read without verification) give the account id, plan and email.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from codex_py.config import Config
from codex_py.login import oauth
from codex_py.login.callback import CallbackListener, LoginError
from codex_py.login.flow import DEFAULT_TIMEOUT_S, LoginResult, Paste, authorize
from codex_py.login.pkce import jwt_claims, new_pkce, new_state
from codex_py.login.store import CredentialStore, open_store

LOGIN_COMMAND = "codex-py login --provider chatgpt"
CALLBACK_PATH = "/auth/callback"
DEFAULT_PORTS = (1455, 1457)
SCOPES = "openid profile email offline_access api.connectors.read api.connectors.invoke"
ORIGINATOR = "codex_py"
REFRESH_AFTER_S = 8 * 24 * 3600
EXPIRY_SKEW_S = 60.0
PERMANENT_REFRESH_CODES = {
    "refresh_token_expired": "the sign-in has expired",
    "refresh_token_reused": "the refresh token was already used (signed in elsewhere?)",
    "refresh_token_invalidated": "the sign-in was revoked",
    "invalid_grant": "the sign-in is no longer valid",
}
_AUTH_CLAIM = "https://api.openai.com/auth"


class RefreshError(LoginError):
    """A refresh that failed; ``permanent`` means only a new login helps (exit 3, like a missing login)."""

    def __init__(self, message: str, hint: str, *, permanent: bool) -> None:
        super().__init__(message, hint)
        self.permanent = permanent
        if permanent:
            self.exit_code = 3


@dataclass(slots=True)
class ChatGPTTokens:
    """The stored ChatGPT login."""

    id_token: str
    access_token: str
    refresh_token: str
    account_id: str = ""
    plan: str = ""
    email: str = ""
    expires_at: float | None = None
    """The access token's ``exp`` (epoch seconds), when it has one."""
    last_refresh: float = 0.0

    @classmethod
    def from_response(cls, data: dict[str, Any], previous: ChatGPTTokens | None = None) -> ChatGPTTokens:
        """Tokens from a token-endpoint answer; fields it leaves out keep their previous values."""
        id_token = str(data.get("id_token") or (previous.id_token if previous else ""))
        access = str(data.get("access_token") or (previous.access_token if previous else ""))
        refresh = str(data.get("refresh_token") or (previous.refresh_token if previous else ""))
        if not access or not refresh:
            raise LoginError(
                "the ChatGPT token endpoint answered without an access or refresh token", f"run `{LOGIN_COMMAND}`"
            )
        claims = jwt_claims(id_token)
        raw_auth = claims.get(_AUTH_CLAIM)
        auth: dict[str, Any] = raw_auth if isinstance(raw_auth, dict) else {}
        access_claims = jwt_claims(access)
        profile = claims.get("https://api.openai.com/profile")
        email = claims.get("email") or (profile.get("email") if isinstance(profile, dict) else None)
        exp = access_claims.get("exp")
        tokens = cls(
            id_token=id_token,
            access_token=access,
            refresh_token=refresh,
            account_id=str(auth.get("chatgpt_account_id") or (previous.account_id if previous else "")),
            plan=str(auth.get("chatgpt_plan_type") or (previous.plan if previous else "")),
            email=str(email or (previous.email if previous else "")),
            expires_at=float(exp) if isinstance(exp, int | float) else None,
            last_refresh=time.time(),
        )
        return tokens

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ChatGPTTokens | None:
        """Parse a store record; None when it is unusable."""
        try:
            tokens = cls(**{k: record[k] for k in cls.__dataclass_fields__ if k in record})
        except TypeError:
            return None
        return tokens if tokens.access_token and tokens.refresh_token else None

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    def needs_refresh(self, now: float | None = None) -> bool:
        """The access token has expired (or is about to), or the last refresh is over 8 days old."""
        now = time.time() if now is None else now
        if self.expires_at is not None:
            return self.expires_at - EXPIRY_SKEW_S <= now
        return now - self.last_refresh >= REFRESH_AFTER_S

    @property
    def label(self) -> str:
        return f"ChatGPT ({self.plan})" if self.plan else "ChatGPT"


def authorize_url(config: Config, redirect_uri: str, challenge: str, state: str) -> str:
    """``{issuer}/oauth/authorize?...`` with Codex's parameters, identifying codex-py as the originator."""
    params = {
        "response_type": "code",
        "client_id": config.oauth.chatgpt.client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPES,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "id_token_add_organizations": "true",
        "codex_cli_simplified_flow": "true",
        "state": state,
        "originator": ORIGINATOR,
    }
    return f"{config.oauth.chatgpt.issuer.rstrip('/')}/oauth/authorize?{urlencode(params)}"


def token_url(config: Config) -> str:
    return f"{config.oauth.chatgpt.issuer.rstrip('/')}/oauth/token"


async def login_chatgpt(
    config: Config,
    *,
    open_browser: bool,
    on_url: Callable[[str], None],
    paste: Paste | None = None,
    ports: tuple[int, ...] = DEFAULT_PORTS,
    timeout: float = DEFAULT_TIMEOUT_S,
    store: CredentialStore | None = None,
) -> LoginResult:
    """Sign in with ChatGPT and store the tokens.

    ``on_url(url)`` is called with the authorization URL (always: print it); ``paste()`` may return a
    pasted redirect URL (``""`` at end of input). Raises :class:`LoginError` with a next step.
    """
    pkce, state = new_pkce(), new_state()
    async with CallbackListener(CALLBACK_PATH) as listener:
        await listener.bind(ports, cancel_stale=True)
        url = authorize_url(config, listener.redirect_uri, pkce.challenge, state)
        code, callback = await authorize(
            listener,
            url,
            expected_state=state,
            provider_label="ChatGPT",
            login_command=LOGIN_COMMAND,
            open_browser=open_browser,
            on_url=on_url,
            paste=paste,
            timeout=timeout,
        )
        try:
            data = await oauth.post(
                token_url(config),
                what="the ChatGPT token endpoint",
                hint=f"check your connection and run `{LOGIN_COMMAND}` again",
                form={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": listener.redirect_uri,
                    "client_id": config.oauth.chatgpt.client_id,
                    "code_verifier": pkce.verifier,
                },
            )
            tokens = ChatGPTTokens.from_response(data)
            (store or open_store(config)).put("chatgpt", tokens.to_record())
        except LoginError as exc:
            await callback.respond(False, str(exc))
            raise
        await callback.respond(True, "You are signed in with ChatGPT.")
    return LoginResult("chatgpt", tokens.label, tokens.email or None, f"account {tokens.account_id}")


async def refresh_tokens(config: Config, tokens: ChatGPTTokens) -> ChatGPTTokens:
    """Spend the refresh token once; raises :class:`RefreshError` (``permanent`` for refresh_token_*)."""
    try:
        data = await oauth.post(
            token_url(config),
            what="the ChatGPT token endpoint",
            hint="check your connection and try again",
            json_body={
                "client_id": config.oauth.chatgpt.client_id,
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token,
            },
        )
    except oauth.OAuthEndpointError as exc:
        cause = PERMANENT_REFRESH_CODES.get(exc.code)
        if cause is not None or exc.status == 401:
            raise RefreshError(
                f"ChatGPT sign-in cannot be renewed: {cause or 'the refresh token was rejected'}",
                f"run `{LOGIN_COMMAND}` to sign in again",
                permanent=True,
            ) from None
        raise RefreshError(f"could not renew the ChatGPT sign-in: {exc}", exc.hint, permanent=False) from None
    return ChatGPTTokens.from_response(data, previous=tokens)


def revoke(config: Config, tokens: ChatGPTTokens) -> bool:
    """Best-effort revoke of the refresh token at ``{issuer}/oauth/revoke`` (10 s); True when accepted."""
    import httpx

    try:
        response = httpx.post(
            f"{config.oauth.chatgpt.issuer.rstrip('/')}/oauth/revoke",
            json={
                "token": tokens.refresh_token,
                "token_type_hint": "refresh_token",
                "client_id": config.oauth.chatgpt.client_id,
            },
            timeout=10.0,
        )
    except httpx.HTTPError:
        return False
    return response.is_success
