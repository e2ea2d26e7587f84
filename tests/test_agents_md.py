"""AGENTS.md discovery (global, then repository root down to cwd), the size cap, and log redaction."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from codex_py.config import Config, resolve_paths
from codex_py.session.agents_md import load_project_docs, project_doc_paths
from codex_py.session.logs import LOG_FILE, redact, setup_logging


def test_global_then_root_down_to_cwd(tmp_path: Path, isolated_home: Path) -> None:
    repo = tmp_path / "repo"
    cwd = repo / "pkg" / "sub"
    cwd.mkdir(parents=True)
    (repo / ".git").mkdir()
    (tmp_path / "AGENTS.md").write_text("above the repo: ignored")
    (isolated_home / "AGENTS.md").write_text("global rules\n")
    (repo / "AGENTS.md").write_text("root rules")
    (repo / "pkg" / "AGENTS.md").write_text("   \n")  # blank: skipped
    (cwd / "AGENTS.md").write_text("sub rules")
    (cwd / "AGENTS.override.md").write_text("sub override wins")

    docs = load_project_docs(Config(cwd=cwd), resolve_paths())
    assert docs is not None
    assert "ignored" not in docs and "sub rules" not in docs
    order = [docs.index(s) for s in ("global rules", "root rules", "sub override wins")]
    assert order == sorted(order)
    assert f"## {isolated_home / 'AGENTS.md'}\n\nglobal rules" in docs
    assert f"## {repo / 'AGENTS.md'}\n\nroot rules" in docs
    assert f"## {cwd / 'AGENTS.override.md'}\n\nsub override wins" in docs


def test_global_override_wins_in_the_home(tmp_path: Path, isolated_home: Path) -> None:
    (isolated_home / "AGENTS.md").write_text("global rules")
    (isolated_home / "AGENTS.override.md").write_text("global override")
    docs = load_project_docs(Config(cwd=tmp_path), resolve_paths())
    assert docs == f"## {isolated_home / 'AGENTS.override.md'}\n\nglobal override"


def test_outside_a_repository_only_cwd_counts(tmp_path: Path) -> None:
    cwd = tmp_path / "a" / "b"
    cwd.mkdir(parents=True)
    (tmp_path / "a" / "AGENTS.md").write_text("parent")
    (cwd / "AGENTS.md").write_text("here")
    assert project_doc_paths(cwd) == [cwd / "AGENTS.md"]
    docs = load_project_docs(Config(cwd=cwd), resolve_paths())
    assert docs == f"## {cwd / 'AGENTS.md'}\n\nhere"


def test_nothing_found_is_none(tmp_path: Path) -> None:
    assert load_project_docs(Config(cwd=tmp_path), resolve_paths()) is None


def test_cap_cuts_with_a_note_and_zero_disables(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "AGENTS.md").write_text("é" * 5000)
    docs = load_project_docs(Config(cwd=tmp_path, project_doc_max_bytes=1001), resolve_paths())
    assert docs is not None
    body, note = docs.rsplit("\n\n", 1)
    assert len(body.encode()) <= 1001
    assert body.endswith("é"), "cut on a character boundary"
    assert note.startswith("[AGENTS.md instructions cut: 1001 of ") and "project_doc_max_bytes" in note
    assert load_project_docs(Config(cwd=tmp_path, project_doc_max_bytes=0), resolve_paths()) is None


@pytest.mark.parametrize(
    "secret",
    [
        "sk-proj-AbCdEfGhIjKlMnOpQrStUv0123456789",
        "sk-ant-api03-abcdefghijklmnop_qrstuv",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl",
    ],
)
def test_redact_removes_key_shapes(secret: str) -> None:
    text = redact(f"request failed with {secret} in it")
    assert secret not in text and "[REDACTED]" in text and text.startswith("request failed with ")


def test_redact_headers_and_fields() -> None:
    text = redact(
        'Authorization: Bearer abcdefghijklmnop x-api-key: myplainkey123 {"refresh_token": "rt-secret-value"} '
        "api_key=k123456789 password: hunter22"
    )
    for secret in ("abcdefghijklmnop", "myplainkey123", "rt-secret-value", "k123456789", "hunter22"):
        assert secret not in text
    assert redact("nothing to see: 42 tokens used") == "nothing to see: 42 tokens used"


def test_log_file_never_holds_a_secret(tmp_path: Path) -> None:
    paths = resolve_paths()
    path = setup_logging(Config(log_level="debug"), paths)
    assert path == paths.log_dir / LOG_FILE
    logger = logging.getLogger("codex_py.test")
    key = "sk-test-0123456789abcdefghij"
    logger.debug("sending with key %s", key)
    try:
        raise RuntimeError(f"Bearer {key}")
    except RuntimeError:
        logger.exception("failed")
    setup_logging(Config(log_level="warning"), paths)  # idempotent: replaces its own handler
    logger.info("info dropped at warning level")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert "sending with key [REDACTED]" in text
    assert "RuntimeError" in text and "Traceback" in text
    assert key not in text
    assert "info dropped" not in text
    root = logging.getLogger()
    assert sum(type(h).__name__ == "_CodexPyFileHandler" for h in root.handlers) == 1
    for handler in list(root.handlers):
        if type(handler).__name__ == "_CodexPyFileHandler":
            root.removeHandler(handler)
            handler.close()
