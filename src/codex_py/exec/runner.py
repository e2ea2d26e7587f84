"""``codex-py exec``."""

from __future__ import annotations

from typing import Any

from codex_py.errors import NotBuiltError


def run_exec(cli: Any, prompt: str | None, **kwargs: Any) -> int:
    raise NotBuiltError("exec")
