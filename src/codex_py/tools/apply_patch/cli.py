"""``codex-py apply-patch``."""

from __future__ import annotations

from codex_py.errors import NotBuiltError


def run(patch: str | None) -> int:
    raise NotBuiltError("apply-patch")
