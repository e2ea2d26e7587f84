"""The one error type of config loading."""

from __future__ import annotations


class ConfigError(Exception):
    """Bad config input: ``str(err)`` is the one-line cause, ``hint`` the next step."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint
