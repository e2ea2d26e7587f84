"""The log file: rotated, in the home's log dir, at ``config.log_level``, and never holding a secret.

Every record passes :class:`RedactingFilter` on its way to the file: the credentials this process uses
(whatever their shape), secret shapes (``sk-...``, bearer tokens, private keys, AWS/GitHub/Slack/Google
keys, JWTs) and ``x-api-key``/``*_token``/``api_key``/``password`` values are replaced by ``[REDACTED]``,
in the message, its arguments and any traceback (``config.redaction``).
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from codex_py.config import Config, Paths
from codex_py.config.redaction import redact_for_log

LOG_FILE = "codex-py.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 3

redact = redact_for_log
"""``text`` with anything that looks like a credential replaced by ``[REDACTED]`` (see ``config.redaction``)."""


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

    def handleError(self, record: logging.LogRecord) -> None:
        """A log that cannot be written (a full disk) is dropped quietly: never a traceback on the terminal."""


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
