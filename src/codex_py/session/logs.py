"""The log file: rotated, in the home's log dir, at ``config.log_level``, and never holding a secret.

Every record passes :class:`RedactingFilter` on its way to the file: API keys (``sk-...``), bearer
tokens, ``x-api-key`` values, JWTs and ``*_token``/``api_key``/``password`` fields are replaced by
``[REDACTED]``, in the message, its arguments and any traceback.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

from codex_py.config import Config, Paths

LOG_FILE = "codex-py.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 3
REDACTED = "[REDACTED]"

_PATTERNS = (
    # Authorization: Bearer <token> (also "Basic")
    re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}"),
    # header or field names followed by their value
    re.compile(
        r"(?i)(x-api-key|api[_-]?key|authorization|access[_-]?token|refresh[_-]?token|id[_-]?token|"
        r"client[_-]?secret|password|secret)(\"?'?\s*[:=]\s*\"?'?)(?!\[REDACTED\])[^\s\"',;}]+"
    ),
    # provider key shapes: sk-..., sk-proj-..., sk-ant-...
    re.compile(r"()()\bsk-[A-Za-z0-9_-]{8,}"),
    # JSON Web Tokens
    re.compile(r"()()\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
)


def redact(text: str) -> str:
    """``text`` with anything that looks like a credential replaced by ``[REDACTED]``."""
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record so no credential reaches a handler's output."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg} {record.args}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class _CodexPyFileHandler(logging.handlers.RotatingFileHandler):
    """Marks the handler this module installed (so setup is idempotent)."""


def setup_logging(config: Config, paths: Paths) -> Path | None:
    """Send log records (ours and the libraries') to ``<log_dir>/codex-py.log``, rotated.

    Returns the log file, or None when the folder cannot be written (logging is then off)."""
    root = logging.getLogger()
    level = getattr(logging, config.log_level.upper(), logging.INFO)
    path = paths.log_dir / LOG_FILE
    for handler in root.handlers:
        if isinstance(handler, _CodexPyFileHandler):
            root.removeHandler(handler)
            handler.close()
    try:
        paths.log_dir.mkdir(parents=True, exist_ok=True)
        handler = _CodexPyFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)
    except OSError:
        return None
    handler.setLevel(level)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    # Very chatty libraries stay at warning unless we debug.
    if level > logging.DEBUG:
        for name in ("httpcore", "hpack", "asyncio", "markdown_it"):
            logging.getLogger(name).setLevel(logging.WARNING)
    return path
