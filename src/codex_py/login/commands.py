"""``codex-py login`` / ``login status`` / ``logout``."""

from __future__ import annotations

from typing import Any

from codex_py.errors import NotBuiltError


def login(cli: Any, provider: str, **kwargs: Any) -> int:
    raise NotBuiltError("login")


def login_status(cli: Any) -> int:
    raise NotBuiltError("login status")


def logout(cli: Any, provider: str | None, **kwargs: Any) -> int:
    raise NotBuiltError("logout")
