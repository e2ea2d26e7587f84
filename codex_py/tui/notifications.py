"""Desktop notifications from the TUI: OSC 9 (or BEL) when a turn ends or an approval waits while the
terminal is not focused (``[tui] notifications``, ``notification_method``, ``notification_condition``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from textual.app import App

    from codex_py.config import Config

Kind = Literal["agent-turn-complete", "approval-requested"]


def wanted(config: Config, kind: Kind, focused: bool) -> bool:
    """Whether ``kind`` should notify now."""
    setting = config.tui.notifications
    enabled = kind in setting if isinstance(setting, list) else bool(setting)
    return enabled and (config.tui.notification_condition == "always" or not focused)


def desktop_notify(app: App[object], config: Config, kind: Kind, text: str) -> bool:
    """Write the notification to the terminal when wanted; True when written. Every sequence written is kept
    in ``app.desktop_notifications`` (the last 20) so it can be checked."""
    if not wanted(config, kind, bool(app.app_focus)):
        return False
    from codex_py.extensions.notify import desktop_sequence

    sequence = desktop_sequence(text, config.tui.notification_method)
    sent: list[str] = getattr(app, "desktop_notifications", [])
    sent.append(sequence)
    del sent[:-20]
    app.desktop_notifications = sent  # type: ignore[attr-defined]
    driver = app._driver
    if driver is not None:
        try:
            driver.write(sequence)
            driver.flush()
        except OSError:
            return False
    return True
