"""Subscription usage windows from rate-limit headers (``RateLimits.limits``, lower-case names).

- ChatGPT backend (Codex's names): ``x-codex-{primary,secondary}-used-percent`` (0-100),
  ``-window-minutes``, ``-reset-at`` (Unix seconds; older servers: ``-reset-after-seconds``).
- Anthropic subscription-style traffic (e.g. through a gateway): ``anthropic-ratelimit-unified-5h-*``
  and ``-7d-*`` with ``utilization`` (a 0-1 fraction) and ``reset`` (Unix seconds).

Plain API per-minute limits (``x-ratelimit-*``, ``anthropic-ratelimit-requests-*``) are not usage
windows: /status lists them as they are.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

WARN_AT = (75.0, 90.0)
"""Used-percent thresholds that produce a warning (once each per window and session)."""


@dataclass(frozen=True, slots=True)
class UsageWindow:
    used_percent: float
    window_minutes: int | None
    resets_at: int | None
    """Unix seconds."""

    @property
    def label(self) -> str:
        """``5h``, ``weekly``, ``monthly``, ``annual`` (from the window length, as Codex labels it)."""
        minutes = self.window_minutes
        if not minutes:
            return "limit"
        if minutes <= 24 * 60 + 3:
            return f"{max(1, round(minutes / 60))}h"
        if minutes <= 7 * 24 * 60 + 3:
            return "weekly"
        if minutes <= 30 * 24 * 60 + 3:
            return "monthly"
        return "annual"

    def to_json(self) -> dict[str, Any]:
        return {"used_percent": self.used_percent, "window_minutes": self.window_minutes, "resets_at": self.resets_at}


@dataclass(frozen=True, slots=True)
class UsageLimits:
    primary: UsageWindow | None
    secondary: UsageWindow | None

    def windows(self) -> list[UsageWindow]:
        return [w for w in (self.primary, self.secondary) if w is not None]

    def to_json(self) -> dict[str, Any]:
        """Codex's snapshot shape: ``{"primary": {...} | null, "secondary": {...} | null}``."""
        return {
            "primary": self.primary.to_json() if self.primary else None,
            "secondary": self.secondary.to_json() if self.secondary else None,
        }

    def describe(self, now: float | None = None) -> str:
        """``5h 42% · weekly 10% · resets 18:05``: the reset time of the fullest window."""
        windows = self.windows()
        parts = [f"{w.label} {w.used_percent:.0f}%" for w in windows]
        fullest = max(windows, key=lambda w: w.used_percent)
        if fullest.resets_at:
            parts.append(f"resets {_clock(fullest.resets_at, now)}")
        return " · ".join(parts)


def _clock(at: int, now: float | None) -> str:
    now = time.time() if now is None else now
    local = time.localtime(at)
    if at - now < 24 * 3600:
        return time.strftime("%H:%M", local)
    return time.strftime("%b %d %H:%M", local).replace(" 0", " ")


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _codex_window(limits: Mapping[str, str], which: str) -> UsageWindow | None:
    prefix = f"x-codex-{which}-"
    used = _float(limits.get(prefix + "used-percent"))
    minutes = _float(limits.get(prefix + "window-minutes"))
    reset = _float(limits.get(prefix + "reset-at"))
    if reset is None and (after := _float(limits.get(prefix + "reset-after-seconds"))) is not None:
        reset = time.time() + after
    if not used and not minutes and reset is None:
        return None  # Codex: a window counts only when one of its values is there
    return UsageWindow(used or 0.0, int(minutes) if minutes else None, int(reset) if reset else None)


def _unified_window(limits: Mapping[str, str], name: str, minutes: int) -> UsageWindow | None:
    prefix = f"anthropic-ratelimit-unified-{name}-"
    utilization = _float(limits.get(prefix + "utilization"))
    if utilization is None:
        return None
    reset = _float(limits.get(prefix + "reset"))
    return UsageWindow(round(utilization * 100, 1), minutes, int(reset) if reset else None)


def usage_limits(limits: Mapping[str, str]) -> UsageLimits | None:
    """The subscription usage windows in ``limits``; None when there are none (API-key traffic)."""
    primary = _codex_window(limits, "primary")
    secondary = _codex_window(limits, "secondary")
    if primary is None and secondary is None:
        primary = _unified_window(limits, "5h", 300)
        secondary = _unified_window(limits, "7d", 7 * 24 * 60)
    if primary is None and secondary is None:
        return None
    return UsageLimits(primary, secondary)


def crossed(limits: UsageLimits, warned: dict[str, float]) -> list[str]:
    """Warnings for thresholds (``WARN_AT``) a window reached since the last call; ``warned`` remembers
    the highest threshold already reported per window label."""
    notes: list[str] = []
    for window in limits.windows():
        reached = [t for t in WARN_AT if window.used_percent >= t]
        if not reached or warned.get(window.label, 0.0) >= reached[-1]:
            continue
        warned[window.label] = reached[-1]
        left = 100 - reached[-1]
        notes.append(
            f"Heads up, you have less than {left:.0f}% of your {window.label} limit left "
            f"({window.used_percent:.0f}% used). Run /status for a breakdown."
        )
    return notes
