"""PKCE (RFC 7636, S256) and OAuth ``state`` values, plus reading JWT claims without verification."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class Pkce:
    """A code verifier and its S256 challenge."""

    verifier: str
    challenge: str
    method: str = "S256"


def challenge_for(verifier: str) -> str:
    """``base64url(sha256(verifier))`` without padding."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def new_pkce(nbytes: int = 64) -> Pkce:
    """A fresh random verifier (``nbytes`` random bytes, base64url) and its challenge."""
    verifier = _b64url(secrets.token_bytes(nbytes))
    return Pkce(verifier, challenge_for(verifier))


def new_state(nbytes: int = 32) -> str:
    """A random ``state``, independent of the verifier (some servers reject state == verifier)."""
    return _b64url(secrets.token_bytes(nbytes))


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, decoded without checking the signature (as Codex does for its own tokens).

    Returns ``{}`` for anything that is not a readable JWT; the caller treats missing claims as unknown.
    """
    parts = token.split(".")
    if len(parts) != 3 or not parts[1]:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}
