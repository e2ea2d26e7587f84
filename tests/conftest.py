"""Shared fixtures. Every test gets its own CODEX_PY_HOME and no real credentials."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.plugin import fake_provider  # noqa: F401  (fixture: the loopback fake model server)

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = Path(os.environ.get("CODEX_PY_CONFORMANCE", REPO_ROOT.parent / "shared" / "conformance"))

_SCRUB = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_AUTH_TOKEN",
    "OPENROUTER_API_KEY",
    "OPENAI_ORGANIZATION",
    "OPENAI_PROJECT",
    "CODEX_API_KEY",
    "NO_COLOR",
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh, empty codex-py home; provider keys removed from the environment; file credential store.

    The home lives in /var/tmp when it can, like a real home outside the sandbox's writable roots: a home
    under /tmp makes every session leave /tmp out of the writable roots and say so at start-up.
    """
    var_tmp = Path("/var/tmp")
    outside = var_tmp.is_dir() and os.access(var_tmp, os.W_OK | os.X_OK)
    home = Path(tempfile.mkdtemp(prefix="codex-py-test-home-", dir=var_tmp)) if outside else None
    home = home or tmp_path_factory.mktemp("codex-home")
    monkeypatch.setenv("CODEX_PY_HOME", str(home))
    monkeypatch.setenv("CODEX_PY_CREDENTIALS_STORE", "file")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for name in _SCRUB:
        monkeypatch.delenv(name, raising=False)
    yield home
    if outside:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def conformance_dir() -> Path:
    if not CONFORMANCE.is_dir():
        pytest.skip(f"conformance data not found at {CONFORMANCE}")
    return CONFORMANCE
