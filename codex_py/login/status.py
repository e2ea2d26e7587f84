"""``login status`` and ``logout``: what is configured per provider, and removing it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from codex_py.config import Config
from codex_py.errors import UsageError
from codex_py.login.apikey import mask_key
from codex_py.login.chatgpt import ChatGPTTokens, revoke
from codex_py.login.resolve import env_value
from codex_py.login.store import CredentialStore, RecordKey, open_store

LoginProvider = Literal["chatgpt", "claude", "openai", "anthropic"]
LOGIN_PROVIDERS: tuple[str, ...] = ("chatgpt", "claude", "openai", "anthropic")


@dataclass(slots=True)
class LoginStatus:
    """One provider's credential in effect (never holds a secret; keys are masked)."""

    provider: str
    """Model provider id: "openai", "anthropic", or another configured provider with an env key."""
    mode: str
    """e.g. "ChatGPT (plus)", "API key (OPENAI_API_KEY)"."""
    source: Literal["env", "store"]
    account: str | None = None
    masked_key: str | None = None
    expires_at: float | None = None
    """When the access token expires (ChatGPT; it renews automatically)."""
    shadowed: list[str] = field(default_factory=list)
    """Other credentials for this provider that are present but not used (env wins)."""

    def describe(self, now: float | None = None) -> str:
        """One line for ``login status``: provider, mode, account, expiry, shadowed credentials."""
        parts = [self.mode]
        if self.masked_key:
            parts.append(self.masked_key)
        if self.account:
            parts.append(self.account)
        if self.expires_at is not None:
            parts.append(_expiry(self.expires_at, time.time() if now is None else now))
        line = f"{self.provider}: " + " · ".join(parts)
        if self.shadowed:
            line += f" (in effect; also present: {', '.join(self.shadowed)})"
        return line


def _expiry(at: float, now: float) -> str:
    left = at - now
    if left <= 0:
        return "access token expired (renews on next use)"
    if left < 3600:
        return f"access token expires in {max(int(left // 60), 1)} min (renews automatically)"
    if left < 2 * 86400:
        return f"access token expires in {int(left // 3600)} h (renews automatically)"
    return f"access token expires in {int(left // 86400)} days (renews automatically)"


def login_statuses(config: Config, *, store: CredentialStore | None = None) -> list[LoginStatus]:
    """One entry per provider that has a credential, the one in effect first (env > stored)."""
    store = store or open_store(config)
    found: list[LoginStatus] = []
    openai = config.model_providers.get("openai")
    found += _first(_openai_candidates(store, (openai.env_key if openai else "") or "OPENAI_API_KEY"))
    anthropic = config.model_providers.get("anthropic")
    found += _first(_anthropic_candidates(store, (anthropic.env_key if anthropic else "") or "ANTHROPIC_API_KEY"))
    for pid, info in config.model_providers.items():
        if not info.auth and info.env_key and (key := env_value(info.env_key)):
            found.append(LoginStatus(pid, f"API key ({info.env_key})", "env", masked_key=mask_key(key)))
    return found


def _first(candidates: list[LoginStatus]) -> list[LoginStatus]:
    if not candidates:
        return []
    head = candidates[0]
    head.shadowed = [c.mode for c in candidates[1:]]
    return [head]


def _openai_candidates(store: CredentialStore, var: str) -> list[LoginStatus]:
    out: list[LoginStatus] = []
    if key := env_value(var):
        out.append(LoginStatus("openai", f"API key ({var})", "env", masked_key=mask_key(key)))
    record = store.get("openai_api_key")
    if record and record.get("key"):
        out.append(LoginStatus("openai", "API key (stored)", "store", masked_key=mask_key(str(record["key"]))))
    record = store.get("chatgpt")
    tokens = ChatGPTTokens.from_record(record) if record else None
    if tokens is not None:
        out.append(LoginStatus("openai", tokens.label, "store", tokens.email or None, expires_at=tokens.expires_at))
    return out


def _anthropic_candidates(store: CredentialStore, var: str) -> list[LoginStatus]:
    out: list[LoginStatus] = []
    if key := env_value(var):
        out.append(LoginStatus("anthropic", f"API key ({var})", "env", masked_key=mask_key(key)))
    if token := env_value("ANTHROPIC_AUTH_TOKEN"):
        out.append(LoginStatus("anthropic", "auth token (ANTHROPIC_AUTH_TOKEN)", "env", masked_key=mask_key(token)))
    record = store.get("anthropic_api_key")
    if record and record.get("key"):
        by_login = record.get("source") == "claude-login"
        mode = "API key (created by Claude login)" if by_login else "API key (stored)"
        account = " / ".join(str(x) for x in (record.get("email"), record.get("organization")) if x) or None
        out.append(LoginStatus("anthropic", mode, "store", account, masked_key=mask_key(str(record["key"]))))
    return out


def logout(
    config: Config, provider: str | None, all: bool = False, *, store: CredentialStore | None = None
) -> list[str]:
    """Revoke (where the provider offers it) and delete stored credentials.

    ``provider`` is a login provider (chatgpt | claude | openai | anthropic); None or ``all`` removes
    everything. Returns one message per removed credential (empty: nothing was stored).
    """
    if provider is not None and provider not in LOGIN_PROVIDERS and not all:
        raise UsageError(f"unknown provider {provider!r}", "use one of: " + ", ".join(LOGIN_PROVIDERS))
    store = store or open_store(config)
    targets: list[RecordKey]
    if all or provider is None:
        targets = ["chatgpt", "openai_api_key", "anthropic_api_key"]
    else:
        targets = {"chatgpt": ["chatgpt"], "openai": ["openai_api_key"]}.get(provider, ["anthropic_api_key"])  # type: ignore[assignment]
    messages: list[str] = []
    for key in targets:
        record = store.get(key)
        if record is None:
            continue
        if provider == "claude" and not all and record.get("source") != "claude-login":
            continue  # `logout --provider claude` leaves a key the user stored by hand
        messages.append(_remove(config, store, key, record))
    return messages


def _remove(config: Config, store: CredentialStore, key: RecordKey, record: dict[str, object]) -> str:
    if key == "chatgpt":
        tokens = ChatGPTTokens.from_record(record)
        revoked = tokens is not None and revoke(config, tokens)
        store.delete(key)
        return "Signed out of ChatGPT" + (" (refresh token revoked)" if revoked else " (could not revoke the token)")
    store.delete(key)
    if key == "openai_api_key":
        return "Removed the stored OpenAI API key"
    if record.get("source") == "claude-login":
        return (
            "Removed the Anthropic API key created by the Claude login "
            "(it stays active in the Anthropic Console; delete it there if you no longer need it)"
        )
    return "Removed the stored Anthropic API key"
