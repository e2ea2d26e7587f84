"""Which recorded session to reopen (``resume ID``, ``--last``): a plain value, cheap to import."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ResumeTarget:
    """Which recorded session to reopen: an id (prefix) or the newest one."""

    session_id: str | None = None
    last: bool = False
