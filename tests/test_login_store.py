"""Credential store, API keys, which credential is in effect, status lines and logout."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import ClassVar

import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from codex_py.config import Config, ProviderInfo, load_config, resolve_paths
from codex_py.errors import NoCredentialsError, UsageError
from codex_py.login.apikey import mask_key, read_key_from_stdin, save_api_key
from codex_py.login.chatgpt import ChatGPTTokens
from codex_py.login.resolve import has_credentials, resolve_provider_auth
from codex_py.login.status import login_statuses, logout
from codex_py.login.store import CredentialStore, StoreError, open_store
from tests.support.fake_oauth import EMAIL, FakeOAuth

OPENAI_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyzABCDE"


@pytest.fixture
def config() -> Config:
    return load_config()


def test_mask_key() -> None:
    assert mask_key(OPENAI_KEY) == "sk-proj-***ABCDE"
    assert mask_key("sk-1234567890") == "***"  # 13 characters
    assert mask_key("sk-12345678901") == "sk-12345***78901"


def test_file_store_is_private_atomic_and_keeps_other_records(config: Config) -> None:
    store = open_store(config)
    assert store.kind == "file"  # the tests' null keyring: auto falls back to the file
    save_api_key(config, "openai", f"  {OPENAI_KEY}\n")
    save_api_key(config, "anthropic", "sk-ant-api03-zzzzzzzzzzzzzzzz")
    path = resolve_paths().credentials_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store.get("openai_api_key")["key"] == OPENAI_KEY  # type: ignore[index]
    assert store.delete("openai_api_key") and not store.delete("openai_api_key")
    assert store.get("anthropic_api_key") is not None
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".credentials.")] == []  # no temp files left


def test_store_modes(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEX_PY_CREDENTIALS_STORE", "keyring")
    with pytest.raises(StoreError, match="no usable OS keyring") as info:
        open_store(config).get("chatgpt")
    assert 'credentials_store = "file"' in info.value.hint
    monkeypatch.setenv("CODEX_PY_CREDENTIALS_STORE", "auto")
    assert open_store(config).kind == "file"
    with pytest.raises(StoreError, match="expected auto, keyring or file"):
        CredentialStore(resolve_paths(), "vault")


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring backend; ``broken`` makes every call fail like a locked or absent D-Bus keyring."""

    priority = 1  # type: ignore[assignment]
    values: ClassVar[dict[tuple[str, str], str]] = {}
    broken: ClassVar[bool] = False

    def _check(self) -> None:
        if self.broken:
            raise KeyringError("the keyring is locked")

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._check()
        if self.values.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


def test_keyring_backend_round_trip(config: Config, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A real keyring backend (an in-memory one installed through keyring.set_keyring): nothing on disk."""
    import keyring

    MemoryKeyring.values.clear()
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        monkeypatch.setenv("CODEX_PY_CREDENTIALS_STORE", "auto")
        store = open_store(config)
        assert store.kind == "keyring"
        save_api_key(config, "openai", OPENAI_KEY, store=store)
        assert store.get("openai_api_key")["key"] == OPENAI_KEY  # type: ignore[index]
        assert not resolve_paths().credentials_file.exists()  # nothing on disk
        assert [k[0] for k in MemoryKeyring.values] == ["codex-py"]
        assert store.delete("openai_api_key") and store.get("openai_api_key") is None
    finally:
        keyring.set_keyring(previous)


def test_keyring_that_fails_then_recovers_keeps_the_login(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """auto: a failing keyring sends the login to the 0600 file; once the keyring works again the login
    is still found, and the next write moves it into the keyring and off the disk."""
    import keyring

    MemoryKeyring.values.clear()
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    monkeypatch.setenv("CODEX_PY_CREDENTIALS_STORE", "auto")
    monkeypatch.setattr(MemoryKeyring, "broken", True)
    try:
        save_api_key(config, "anthropic", "sk-ant-api03-saved-over-ssh-1")
        path = resolve_paths().credentials_file
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and MemoryKeyring.values == {}

        monkeypatch.setattr(MemoryKeyring, "broken", False)  # back at the desktop: the keyring works
        store = open_store(config)
        assert store.kind == "keyring"
        assert store.get("anthropic_api_key")["key"] == "sk-ant-api03-saved-over-ssh-1"  # type: ignore[index]
        assert resolve_provider_auth(config, config.model_providers["anthropic"]).mode == "API key (stored)"

        save_api_key(config, "anthropic", "sk-ant-api03-replaced-key-22", store=store)
        assert store.get("anthropic_api_key")["key"] == "sk-ant-api03-replaced-key-22"  # type: ignore[index]
        assert "sk-ant-api03" not in path.read_text()  # the old copy left the disk
        assert store.delete("anthropic_api_key") and store.get("anthropic_api_key") is None
    finally:
        keyring.set_keyring(previous)


def test_corrupt_credentials_file_is_a_clear_error(config: Config) -> None:
    path = resolve_paths().credentials_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    with pytest.raises(StoreError, match="is not valid JSON") as info:
        open_store(config).get("openai_api_key")
    assert "log in again" in info.value.hint
    assert path.read_text() == "{not json"  # nothing lost


def test_with_api_key_refuses_a_terminal_and_empty_input(tmp_path: Path) -> None:
    master, slave = os.openpty()
    try:
        with open(slave, closefd=False) as tty, pytest.raises(UsageError, match="expects the API key on stdin") as info:
            read_key_from_stdin("openai", tty)
        assert "printenv OPENAI_API_KEY | codex-py login --provider openai --with-api-key" in info.value.hint
    finally:
        os.close(master)
        os.close(slave)
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with open(empty) as fh, pytest.raises(UsageError, match="no API key provided"):
        read_key_from_stdin("anthropic", fh)
    bad = tmp_path / "bad"
    bad.write_text("sk-one sk-two")
    with open(bad) as fh, pytest.raises(UsageError, match="spaces or control characters") as err:
        read_key_from_stdin("anthropic", fh)
    assert "sk-one" not in str(err.value) + err.value.hint


def test_env_keys_win_over_stored_ones(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    save_api_key(config, "openai", OPENAI_KEY)
    openai = config.model_providers["openai"]
    assert resolve_provider_auth(config, openai).mode == "API key (stored)"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-0000000000000000")
    assert resolve_provider_auth(config, openai).mode == "API key (OPENAI_API_KEY)"
    [line] = [s.describe() for s in login_statuses(config)]
    assert line == "openai: API key (OPENAI_API_KEY) · sk-env-0***00000 (in effect; also present: API key (stored))"


def test_anthropic_order_and_headers(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    anthropic = config.model_providers["anthropic"]
    with pytest.raises(NoCredentialsError) as info:
        resolve_provider_auth(config, anthropic)
    assert info.value.exit_code == 3 and "codex-py login --provider claude" in info.value.hint
    assert not has_credentials(config, anthropic)

    def sent(pa_auth: httpx.Auth | None) -> httpx.Headers:
        request = httpx.Request("POST", "http://127.0.0.1/v1/messages")
        assert pa_auth is not None
        return next(pa_auth.sync_auth_flow(request)).headers

    save_api_key(config, "anthropic", "sk-ant-api03-stored-key-123")
    assert sent(resolve_provider_auth(config, anthropic).auth)["x-api-key"] == "sk-ant-api03-stored-key-123"
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "gateway-token-abc")
    headers = sent(resolve_provider_auth(config, anthropic).auth)
    assert headers["authorization"] == "Bearer gateway-token-abc" and "x-api-key" not in headers
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env-key-xyz")
    assert sent(resolve_provider_auth(config, anthropic).auth)["x-api-key"] == "sk-ant-env-key-xyz"
    assert has_credentials(config, anthropic)


def test_providers_without_login(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    local = ProviderInfo(name="Local", base_url="http://127.0.0.1:1/v1", id="local")
    assert resolve_provider_auth(config, local).auth is None
    router = config.model_providers["openrouter"]
    with pytest.raises(NoCredentialsError, match="needs an API key in OPENROUTER_API_KEY"):
        resolve_provider_auth(config, router)
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-0123456789abcdef")
    assert resolve_provider_auth(config, router).mode == "API key (OPENROUTER_API_KEY)"
    assert [s.describe() for s in login_statuses(config)] == [
        "openrouter: API key (OPENROUTER_API_KEY) · sk-or-v1***bcdef"
    ]


def test_status_and_logout(isolated_home: Path) -> None:
    with FakeOAuth() as fake:
        (isolated_home / "config.toml").write_text(fake.config_toml())
        config = load_config()
        assert login_statuses(config) == []
        tokens = ChatGPTTokens.from_response(fake.issue_chatgpt(ttl=7200))
        store = open_store(config)
        store.put("chatgpt", tokens.to_record())
        store.put("anthropic_api_key", {"key": "sk-ant-api03-by-login-XYZ12", "source": "claude-login", "email": EMAIL})
        lines = [s.describe(now=time.time()) for s in login_statuses(config)]
        assert lines == [
            f"openai: ChatGPT (plus) · {EMAIL} · access token expires in 1 h (renews automatically)",
            f"anthropic: API key (created by Claude login) · sk-ant-a***XYZ12 · {EMAIL}",
        ]
        with pytest.raises(UsageError, match="unknown provider 'gemini'"):
            logout(config, "gemini")
        assert logout(config, "openai") == []
        assert logout(config, "chatgpt") == ["Signed out of ChatGPT (refresh token revoked)"]
        assert tokens.refresh_token in fake.revoked and store.get("chatgpt") is None
        save_api_key(config, "openai", OPENAI_KEY)
        messages = logout(config, None, all=True)
        assert messages[0] == "Removed the stored OpenAI API key"
        assert messages[1].startswith("Removed the Anthropic API key created by the Claude login")
        assert login_statuses(config) == []
