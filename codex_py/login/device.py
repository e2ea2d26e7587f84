"""ChatGPT device-code login (``codex-py login --provider chatgpt --device-auth``), as Codex does it.

For machines with no browser and no way to paste a redirect URL back:
1. ``POST {issuer}/api/accounts/deviceauth/usercode`` ``{"client_id"}`` -> ``{"device_auth_id", "user_code"
   (or "usercode"), "interval": "5"}`` (the interval comes as a string); 404: not enabled on this server.
2. The user opens ``{issuer}/codex/device`` on any device and enters the one-time code (15 minutes).
3. ``POST {issuer}/api/accounts/deviceauth/token`` ``{"device_auth_id", "user_code"}`` every interval:
   403/404 mean "not yet"; 200 gives ``{"authorization_code", "code_challenge", "code_verifier"}`` (PKCE
   made by the server).
4. That code is exchanged at ``{issuer}/oauth/token`` like the browser login's, with
   ``redirect_uri = {issuer}/deviceauth/callback``; the tokens are stored the same way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from codex_py.login import oauth
from codex_py.login.callback import LoginError

if TYPE_CHECKING:
    from codex_py.config import Config
    from codex_py.login.flow import LoginResult
    from codex_py.login.store import CredentialStore

LOGIN_COMMAND = "codex-py login --provider chatgpt --device-auth"
DEVICE_TIMEOUT_S = 15 * 60
NOT_ENABLED = "device code login is not enabled for this Codex server. Use the browser login or verify the server URL."


def _issuer(config: Config) -> str:
    return config.oauth.chatgpt.issuer.rstrip("/")


async def login_chatgpt_device(
    config: Config,
    *,
    on_code: Callable[[str, str], None],
    timeout: float = DEVICE_TIMEOUT_S,
    min_interval: float = 0.0,
    store: CredentialStore | None = None,
) -> LoginResult:
    """Run the device-code flow; ``on_code(verification_url, user_code)`` shows the code (always called).
    Raises :class:`LoginError` with a next step. ``min_interval`` floors the server's poll interval
    (tests pass 0 with a server that says ``"0"``)."""
    import httpx

    from codex_py.login.chatgpt import ChatGPTTokens, token_url
    from codex_py.login.flow import LoginResult
    from codex_py.login.store import open_store

    issuer = _issuer(config)
    client_id = config.oauth.chatgpt.client_id
    hint = f"check your connection and run `{LOGIN_COMMAND}` again"
    async with httpx.AsyncClient(timeout=oauth.TIMEOUT, follow_redirects=False) as client:
        try:
            answer = await oauth.post(
                f"{issuer}/api/accounts/deviceauth/usercode",
                what="the ChatGPT device code endpoint",
                hint=hint,
                json_body={"client_id": client_id},
                client=client,
            )
        except oauth.OAuthEndpointError as exc:
            if exc.status == 404:
                raise LoginError(NOT_ENABLED, "run `codex-py login --provider chatgpt` (browser login)") from None
            raise
        device_id = str(answer.get("device_auth_id") or "")
        user_code = str(answer.get("user_code") or answer.get("usercode") or "")
        if not device_id or not user_code:
            raise LoginError("the ChatGPT device code endpoint answered without a code", hint)
        interval = max(_seconds(answer.get("interval"), 5.0), min_interval)
        on_code(f"{issuer}/codex/device", user_code)
        grant = await _poll(client, issuer, device_id, user_code, interval, timeout, hint)
        data = await oauth.post(
            token_url(config),
            what="the ChatGPT token endpoint",
            hint=hint,
            form={
                "grant_type": "authorization_code",
                "code": str(grant.get("authorization_code") or ""),
                "redirect_uri": f"{issuer}/deviceauth/callback",
                "client_id": client_id,
                "code_verifier": str(grant.get("code_verifier") or ""),
            },
            client=client,
        )
    tokens = ChatGPTTokens.from_response(data)
    (store or open_store(config)).put("chatgpt", tokens.to_record())
    return LoginResult("chatgpt", tokens.label, tokens.email or None, f"account {tokens.account_id}")


def _seconds(value: Any, default: float) -> float:
    try:
        return max(float(str(value).strip()), 0.0)
    except ValueError:
        return default


async def _poll(
    client: Any, issuer: str, device_id: str, user_code: str, interval: float, timeout: float, hint: str
) -> dict[str, Any]:
    import httpx

    url = f"{issuer}/api/accounts/deviceauth/token"
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = await client.post(
                url, json={"device_auth_id": device_id, "user_code": user_code}, headers={"accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise LoginError(f"cannot reach the ChatGPT device token endpoint: {type(exc).__name__}", hint) from None
        if response.status_code == 200:
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict) or not body.get("authorization_code"):
                raise LoginError("the ChatGPT device token endpoint answered without an authorization code", hint)
            return body
        if response.status_code not in (403, 404):
            raise LoginError(f"device auth failed with status {response.status_code}", hint)
        if time.monotonic() + interval > deadline:
            minutes = round(timeout / 60)
            raise LoginError(
                f"device auth timed out after {minutes} minutes", f"run `{LOGIN_COMMAND}` again and enter the code"
            )
        await asyncio.sleep(interval)
