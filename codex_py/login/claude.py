"""Claude sign-in: the Anthropic account (Console) OAuth flow that creates an API key.

The user signs in to their Anthropic organization with PKCE (Console scopes only), the code is
exchanged as JSON at ``token_url`` (``state`` included), and ``api_key_url`` creates an API key billed
to that organization. Only the key is stored (as the Anthropic key, marked as created by this login);
the short-lived Console tokens are dropped. Claude Free/Pro/Max subscription credentials are never
requested or used, and codex-py does not present itself as another client.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from codex_py.config import Config
from codex_py.config.redaction import register_secret
from codex_py.login import oauth
from codex_py.login.callback import Callback, CallbackListener, LoginError
from codex_py.login.flow import DEFAULT_TIMEOUT_S, LoginResult, Paste, authorize
from codex_py.login.pkce import new_pkce, new_state
from codex_py.login.store import CredentialStore, open_store

LOGIN_COMMAND = "codex-py login --provider claude"
SCOPES = "org:create_api_key user:profile"
CALLBACK_PATH = "/callback"
MANUAL_CALLBACK_PATH = "/oauth/code/callback"
NO_KEY_HINT = (
    "ask an admin of your Anthropic organization for API-key access, or create a key in the Console "
    "and run `codex-py login --provider anthropic`"
)


def manual_redirect_uri(config: Config) -> str:
    """The hosted page that shows ``CODE#STATE`` for pasting (same origin as the authorize URL)."""
    parts = urlsplit(config.oauth.claude.authorize_url)
    return f"{parts.scheme}://{parts.netloc}{MANUAL_CALLBACK_PATH}"


def authorize_url(config: Config, redirect_uri: str, challenge: str, state: str) -> str:
    """The Console authorization URL (``code=true`` makes the hosted page display the code)."""
    params = {
        "code": "true",
        "client_id": config.oauth.claude.client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": SCOPES,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": state,
    }
    return f"{config.oauth.claude.authorize_url}?{urlencode(params)}"


async def login_claude(
    config: Config,
    *,
    open_browser: bool,
    on_url: Callable[[str], None],
    paste: Paste | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    store: CredentialStore | None = None,
) -> LoginResult:
    """Sign in to an Anthropic account, create an API key for codex-py and store it.

    With ``open_browser`` a listener on a free loopback port receives the redirect (a pasted redirect
    URL works too). Without it the hosted page shows ``CODE#STATE`` and ``paste()`` must supply it.
    """
    pkce, state = new_pkce(32), new_state()
    listener: CallbackListener | None = None
    try:
        if open_browser:
            listener = CallbackListener(CALLBACK_PATH)
            await listener.bind((0,))
            redirect_uri = listener.redirect_uri
        elif paste is None:
            raise LoginError(
                "signing in without a browser needs a way to paste the code", "run the login in a terminal"
            )
        else:
            redirect_uri = manual_redirect_uri(config)
        url = authorize_url(config, redirect_uri, pkce.challenge, state)
        code, callback = await authorize(
            listener,
            url,
            expected_state=state,
            provider_label="Anthropic",
            login_command=LOGIN_COMMAND,
            open_browser=open_browser,
            on_url=on_url,
            paste=paste,
            timeout=timeout,
        )
        return await _finish(config, store, callback, code, state, redirect_uri, pkce.verifier)
    finally:
        if listener is not None:
            await listener.close()


async def _finish(
    config: Config,
    store: CredentialStore | None,
    callback: Callback,
    code: str,
    state: str,
    redirect_uri: str,
    verifier: str,
) -> LoginResult:
    retry = f"check your connection and run `{LOGIN_COMMAND}` again"
    try:
        tokens = await oauth.post(
            config.oauth.claude.token_url,
            what="the Anthropic token endpoint",
            hint=retry,
            json_body={
                "grant_type": "authorization_code",
                "code": code,
                "state": state,
                "client_id": config.oauth.claude.client_id,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
        )
        access = tokens.get("access_token")
        if not isinstance(access, str) or not access:
            raise LoginError("the Anthropic token endpoint answered without an access token", retry)
        register_secret(access, tokens.get("refresh_token"))  # never shown, even if an endpoint echoes it
        try:
            created = await oauth.post(
                config.oauth.claude.api_key_url, what="Anthropic", hint=NO_KEY_HINT, bearer=access
            )
        except oauth.OAuthEndpointError as exc:
            if exc.status in (401, 403):
                raise LoginError(
                    f"this Anthropic account cannot create API keys (HTTP {exc.status})", NO_KEY_HINT
                ) from None
            raise
        key = created.get("raw_key")
        if not isinstance(key, str) or not key.strip():
            raise LoginError("Anthropic did not return an API key", NO_KEY_HINT)
        email, org = _account(tokens)
        (store or open_store(config)).put(
            "anthropic_api_key",
            {
                "key": key.strip(),
                "source": "claude-login",
                "email": email,
                "organization": org,
                "created_at": time.time(),
            },
        )
    except LoginError as exc:
        await callback.respond(False, str(exc))
        raise
    await callback.respond(True, "codex-py created an API key for your Anthropic organization.")
    detail = f"API key created in {org}" if org else "API key created"
    return LoginResult("claude", "Anthropic account (API key created by login)", email or None, detail)


def _account(tokens: dict[str, object]) -> tuple[str, str]:
    account, organization = tokens.get("account"), tokens.get("organization")
    email = account.get("email_address", "") if isinstance(account, dict) else ""
    org = organization.get("name", "") if isinstance(organization, dict) else ""
    return str(email or ""), str(org or "")
