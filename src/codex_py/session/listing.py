"""``codex-py sessions``."""

from __future__ import annotations

from typing import Any

from codex_py.errors import NotBuiltError


def print_sessions(cli: Any) -> int:
    raise NotBuiltError("sessions")
