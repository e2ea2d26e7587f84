"""Secrets never leave codex-py in what it writes: one redactor for errors, logs, rollouts and output.

Two layers:

* **Exact values.** Every credential codex-py resolves in this process (API keys from the environment or
  the store, ``ANTHROPIC_AUTH_TOKEN``, OAuth access / refresh / id tokens, secret provider headers) is
  registered with :func:`register_secret` where it is resolved. Whatever its shape (``gsk_live_…``, a
  gateway's opaque token), that exact string is masked wherever codex-py produces output.
* **High-confidence shapes** (:data:`SHAPES`): OpenAI/Anthropic keys ``sk-…``, ``Bearer`` tokens, PEM
  private-key blocks, AWS access key ids (``AKIA…``/``ASIA…``, and a secret access key when it is labelled),
  GitHub tokens (``ghp_``/``gho_``/``ghu_``/``ghs_``/``ghr_``/``github_pat_``), Slack ``xox…`` tokens,
  Google ``AIza…`` keys and JSON Web Tokens. Used for stored copies (rollouts, logs) and error messages,
  never for what the model is sent.

Cheap by design: the shapes are one compiled alternation run once over the text being written (an
item, a log record, an error), never per streamed delta; the exact values are plain substring checks.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"
MIN_SECRET_LEN = 8
"""Shorter values are not registered: masking every ``test`` or ``x`` would garble output, and no real
credential is that short."""
_PARTIAL_MIN_LEN = 24
_PARTIAL_KEEP = 9
"""An error message keeps the first 9 characters of a long credential (``sk-proj-A***``), as the
providers' own messages do, so the user can tell which key was refused."""

_lock = threading.Lock()
_known: tuple[str, ...] = ()
"""Registered values, longest first (a value containing another is masked whole)."""


def _w(literal: str, rest: str) -> str:
    """``literal`` + ``rest`` with no word character before ``literal``. The check sits after the literal so
    the pattern starts with it: the regex engine then skips ahead by substring search (hundreds of MB/s)
    instead of trying every position."""
    return f"{literal}(?<![A-Za-z0-9_]{literal}){rest}"


_AWS_SECRET_TAIL = (
    r"_?(?:[Aa]ccess_?|ACCESS_?)?(?:[Kk]ey|KEY)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"
)
"""An AWS secret access key (40 base64 characters, no marker of its own) after a ``secret_access_key``-like
label; the label names the secret, so a 40-character value after it is masked."""
SHAPES: tuple[tuple[str, str, int], ...] = (
    # (kind, pattern, characters an error message keeps); each pattern starts with a literal
    (
        "private_key",
        r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
        r"(?:.*?-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|(?:[A-Za-z0-9+/=\s:,.-]|\\n)*)",
        0,
    ),
    ("bearer", _w("Bearer", r"\s+[A-Za-z0-9._~+/-]{16,}=*"), 0),
    ("openai_anthropic", _w("sk-", r"[A-Za-z0-9_-]{20,}"), 9),
    ("aws_key_id", _w("AKIA", r"[0-9A-Z]{16}(?![A-Za-z0-9_])"), 4),
    ("aws_key_id", _w("ASIA", r"[0-9A-Z]{16}(?![A-Za-z0-9_])"), 4),
    ("aws_secret", "secret" + _AWS_SECRET_TAIL, 0),
    ("aws_secret", "Secret" + _AWS_SECRET_TAIL, 0),
    ("aws_secret", "SECRET" + _AWS_SECRET_TAIL, 0),
    ("github", _w("gh", r"[pousr]_[A-Za-z0-9]{36,}(?![A-Za-z0-9_])"), 4),
    ("github", _w("github_pat_", r"[A-Za-z0-9_]{22,}"), 11),
    ("slack", _w("xox", r"[abposr]-[A-Za-z0-9-]{10,}"), 5),
    ("google", _w("AIza", r"[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"), 4),
    ("jwt", _w("eyJ", r"[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), 0),
)
_COMPILED = tuple((kind, re.compile(pattern, re.DOTALL), keep) for kind, pattern, keep in SHAPES)
_LABEL_END = re.compile(r"^(?:Bearer\s+|.*?[:=]\s*[\"']?)", re.DOTALL)
"""The part of a ``bearer`` / ``aws_secret`` match that is a label, not the secret (kept)."""

# Logs also mask values by the name of their field or header: a log line is diagnostic text, where
# ``password=…`` is always a secret (in a rollout it may be code the model wrote).
_LABELLED = re.compile(
    r"(?i)(\b(?:bearer|basic)\s+|(?:x-api-key|api[_-]?key|authorization|access[_-]?token|refresh[_-]?token|"
    r"id[_-]?token|client[_-]?secret|password|secret)[\"']?\s*[:=]\s*[\"']?)(?!\[REDACTED\])[^\s\"',;}]{3,}"
)


def register_secret(*values: str | None) -> None:
    """Remember credential values in use by this process; from now on they are masked in every output."""
    global _known
    fresh = {v.strip() for v in values if v and len(v.strip()) >= MIN_SECRET_LEN} - set(_known)
    if not fresh:
        return
    with _lock:
        _known = tuple(sorted(set(_known) | fresh, key=len, reverse=True))


def register_secrets(values: Iterable[str | None]) -> None:
    register_secret(*values)


def known_secrets() -> tuple[str, ...]:
    """The registered values (for tests and diagnostics; never print them)."""
    return _known


def forget_secrets() -> None:
    """Drop every registered value (tests; a process that switches accounts keeps them, harmlessly)."""
    global _known
    with _lock:
        _known = ()


def _mask(value: str, partial: bool, keep: int = _PARTIAL_KEEP) -> str:
    if partial:
        return (value[:keep] if keep and len(value) >= _PARTIAL_MIN_LEN else "") + "***"
    return REDACTED


def redact_known(text: str, *, partial: bool = False) -> str:
    """``text`` with every registered credential value masked (the cheap check for streamed output)."""
    for value in _known:
        if value in text:
            text = text.replace(value, _mask(value, partial))
    return text


def _shape(kind: str, keep: int, partial: bool, match: re.Match[str]) -> str:
    found = match.group()
    if kind in ("bearer", "aws_secret"):
        label = _LABEL_END.match(found)
        return (label.group() if label else "") + ("***" if partial else REDACTED)
    if kind == "private_key":
        if "-----END" in found:
            return f"-----BEGIN PRIVATE KEY----- {REDACTED} -----END PRIVATE KEY-----"
        return f"-----BEGIN PRIVATE KEY----- {REDACTED}" + found[len(found.rstrip()) :]  # cut off: keep the line end
    return _mask(found, partial, keep)


def redact(text: str, *, partial: bool = False) -> str:
    """``text`` without registered credentials and without high-confidence secret shapes.

    ``partial`` (error messages) keeps a short, non-secret prefix: ``sk-proj-A***``, ``Bearer ***``."""
    if not text:
        return text
    text = redact_known(text, partial=partial)
    for kind, pattern, keep in _COMPILED:
        text = pattern.sub(functools.partial(_shape, kind, keep, partial), text)
    return text


def redact_for_log(text: str) -> str:
    """:func:`redact` plus values named by their field or header (``password=…``, ``x-api-key: …``)."""
    return _LABELLED.sub(lambda m: m.group(1) + REDACTED, redact(text))


def redact_json(value: Any) -> Any:
    """A copy of a JSON-ready value with every string redacted (the stored copy of an item or event).

    ``data:`` URLs (images) and reasoning payloads (encrypted reasoning, thinking signatures) are kept as
    they are: they are opaque, a change would break a resume, and a credential cannot hide in them."""
    if isinstance(value, str):
        return value if value.startswith("data:") else redact(value)
    if isinstance(value, dict):
        if value.get("type") == "reasoning":
            return _redact_reasoning(value)
        return {k: redact_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    return value


def _redact_reasoning(item: dict[str, Any]) -> dict[str, Any]:
    out = dict(item)
    text = item.get("text")
    if isinstance(text, str):
        out["text"] = redact(text)
        payload = item.get("payload")
        if out["text"] != text and isinstance(payload, dict) and "signature" in payload:
            # Anthropic's signature covers the original thinking: without it the stored block is not
            # replayed on resume (like a cut-off one) instead of being refused by the API
            out["payload"] = {k: v for k, v in payload.items() if k != "signature"}
    return out
