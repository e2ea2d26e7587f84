"""Which credential a provider uses right now, as an ``httpx.Auth`` plus headers and a human label.

Order: environment variables win over stored logins. ``openai``: ``OPENAI_API_KEY`` (or the
provider's ``env_key``) > stored OpenAI key > stored ChatGPT login (ChatGPT backend). ``anthropic``:
``ANTHROPIC_API_KEY`` > ``ANTHROPIC_AUTH_TOKEN`` (Bearer) > stored Anthropic key (including the one
created by the Claude login). Other providers: ``env_key`` if set, else no auth (local servers).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

import httpx

from codex_py.config import Config, ProviderInfo
from codex_py.errors import NoCredentialsError
from codex_py.login.store import CredentialStore, open_store

OPENAI_LOGINS = "`codex-py login --provider openai` (API key) or `codex-py login --provider chatgpt`"
ANTHROPIC_LOGINS = "`codex-py login --provider anthropic` (API key) or `codex-py login --provider claude`"


@dataclass(slots=True)
class ProviderAuth:
    """How to authenticate requests to one provider."""

    auth: httpx.Auth | None
    """Sets the credential header on each request (None: no credential, e.g. a local server)."""
    base_url: str | None = None
    """Overrides the provider's base URL (the ChatGPT backend); None keeps it."""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra, non-secret headers (ChatGPT: ChatGPT-Account-ID, originator, session_id)."""
    backend: Literal["api", "chatgpt"] = "api"
    mode: str = ""
    """Human label: "API key (OPENAI_API_KEY)", "ChatGPT (plus)", ..."""
    account: str | None = None
    """Email or organization, when known."""


def env_value(name: str) -> str:
    """The stripped value of environment variable ``name`` ("" when unset or blank)."""
    return os.environ.get(name, "").strip() if name else ""


def resolve_provider_auth(
    config: Config, provider: ProviderInfo, *, session_id: str = "", store: CredentialStore | None = None
) -> ProviderAuth:
    """The credential in effect for ``provider``; raises :class:`NoCredentialsError` (exit 3) naming
    the login command(s) when the provider needs one and none is available."""
    from codex_py.login.auth import HeaderAuth

    if provider.auth == "openai":
        var = provider.env_key or "OPENAI_API_KEY"
        if key := env_value(var):
            return ProviderAuth(HeaderAuth.bearer(key), mode=f"API key ({var})")
        store = store or open_store(config)
        if (record := store.get("openai_api_key")) and record.get("key"):
            return ProviderAuth(HeaderAuth.bearer(str(record["key"])), mode="API key (stored)")
        chatgpt = _chatgpt_auth(config, store, session_id)
        if chatgpt is not None:
            return chatgpt
        raise NoCredentialsError(
            f"no OpenAI credentials: {var} is not set and nothing is stored", f"run {OPENAI_LOGINS}"
        )
    if provider.auth == "anthropic":
        var = provider.env_key or "ANTHROPIC_API_KEY"
        if key := env_value(var):
            return ProviderAuth(HeaderAuth.api_key(key), mode=f"API key ({var})")
        if token := env_value("ANTHROPIC_AUTH_TOKEN"):
            return ProviderAuth(HeaderAuth.bearer(token), mode="auth token (ANTHROPIC_AUTH_TOKEN)")
        store = store or open_store(config)
        if (record := store.get("anthropic_api_key")) and record.get("key"):
            by_login = record.get("source") == "claude-login"
            account = record.get("email") or record.get("organization") or None
            mode = "API key (created by Claude login)" if by_login else "API key (stored)"
            return ProviderAuth(HeaderAuth.api_key(str(record["key"])), mode=mode, account=account)
        raise NoCredentialsError(
            f"no Anthropic credentials: {var} is not set and nothing is stored", f"run {ANTHROPIC_LOGINS}"
        )
    if provider.env_key:
        if key := env_value(provider.env_key):
            if provider.wire_api == "messages":
                return ProviderAuth(HeaderAuth.api_key(key), mode=f"API key ({provider.env_key})")
            return ProviderAuth(HeaderAuth.bearer(key), mode=f"API key ({provider.env_key})")
        name = provider.name or provider.id or "this provider"
        raise NoCredentialsError(
            f"{name} needs an API key in {provider.env_key}, which is not set",
            provider.env_key_instructions or f"export {provider.env_key}=... and run again",
        )
    return ProviderAuth(None, mode="no auth")


def _chatgpt_auth(config: Config, store: CredentialStore, session_id: str) -> ProviderAuth | None:
    from codex_py.login.auth import ChatGPTAuth
    from codex_py.login.chatgpt import ORIGINATOR, ChatGPTTokens

    record = store.get("chatgpt")
    tokens = ChatGPTTokens.from_record(record) if record else None
    if tokens is None:
        return None
    headers = {"originator": ORIGINATOR}
    if tokens.account_id:
        headers["ChatGPT-Account-ID"] = tokens.account_id
    if session_id:
        headers["session_id"] = session_id
    return ProviderAuth(
        ChatGPTAuth(config, store, tokens),
        base_url=config.chatgpt_base_url,
        headers=headers,
        backend="chatgpt",
        mode=tokens.label,
        account=tokens.email or None,
    )


def has_credentials(config: Config, provider: ProviderInfo) -> bool:
    """True when requests to ``provider`` can be authenticated now (the TUI's onboarding check)."""
    try:
        resolve_provider_auth(config, provider)
    except NoCredentialsError:
        return False
    return True
