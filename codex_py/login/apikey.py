"""API-key logins: read a key from stdin or a hidden prompt, store it, mask it for display."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Literal, TextIO

from codex_py.config import Config
from codex_py.errors import UsageError
from codex_py.login.store import CredentialStore, RecordKey, StoreError, open_store

KeyProvider = Literal["openai", "anthropic"]
ENV_VARS: dict[KeyProvider, str] = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
RECORDS: dict[KeyProvider, RecordKey] = {"openai": "openai_api_key", "anthropic": "anthropic_api_key"}


def mask_key(key: str) -> str:
    """``sk-proj-***ABCDE``: the first 8 and last 5 characters; keys of 13 characters or fewer -> ``***``."""
    return "***" if len(key) <= 13 else f"{key[:8]}***{key[-5:]}"


def clean_key(raw: str, provider: KeyProvider) -> str:
    """Trim ``raw``; refuse an empty key or one with spaces or control characters inside."""
    key = raw.strip()
    if not key:
        raise UsageError("no API key provided", f"pipe it in, e.g. printenv {ENV_VARS[provider]} | codex-py login ...")
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        raise UsageError(
            "the API key contains spaces or control characters", "paste only the key itself (one line, no quotes)"
        )
    return key


def read_key_from_stdin(provider: KeyProvider, stdin: TextIO | None = None) -> str:
    """``--with-api-key``: the whole of stdin, trimmed. A terminal on stdin is refused with a hint."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        var = ENV_VARS[provider]
        raise UsageError(
            "--with-api-key expects the API key on stdin",
            f"pipe it, e.g. printenv {var} | codex-py login --provider {provider} --with-api-key",
        )
    return clean_key(stdin.read(), provider)


def prompt_for_key(provider: KeyProvider) -> str:
    """Ask for the key with hidden input (nothing is echoed)."""
    import getpass

    name = "OpenAI" if provider == "openai" else "Anthropic"
    try:
        raw = getpass.getpass(f"{name} API key (input hidden): ")
    except EOFError:
        raw = ""
    return clean_key(raw, provider)


def save_api_key(config: Config, provider: KeyProvider, key: str, *, store: CredentialStore | None = None) -> None:
    """Store ``key`` as the ``provider`` API key (replacing any stored one)."""
    key = clean_key(key, provider)
    store = store or open_store(config)
    try:
        store.put(RECORDS[provider], {"key": key, "source": "user", "created_at": time.time()})
    except OSError as exc:  # a full disk, a read-only or foreign-owned home: one line, the old file intact
        raise store_write_error(exc, store.file) from None


def store_write_error(exc: OSError, file: Path) -> StoreError:
    """A credential that could not be written, as one line with a next step (the file is replaced atomically,
    so whatever was stored before is still there)."""
    import errno

    where = file.parent
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = f"free space on the disk holding {where} and log in again (the stored credentials are unchanged)"
    else:
        hint = (
            f"make {where} writable by you (or set CODEX_PY_HOME to a folder that is) and log in again; "
            "the stored credentials are unchanged"
        )
    return StoreError(f"could not save the credentials in {file}: {exc.strerror or exc}", hint)
