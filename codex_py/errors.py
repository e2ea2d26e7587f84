"""Errors the CLI turns into exit codes."""

from __future__ import annotations


class CodexPyError(Exception):
    """A failure with a one-line cause and a next step; the CLI prints both."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class UsageError(CodexPyError):
    exit_code = 2


class NotBuiltError(UsageError):
    """A contract command that this version does not implement yet."""

    def __init__(self, command: str) -> None:
        super().__init__(f"`codex-py {command}` is not built yet in this version", "see the README's status")


class NoCredentialsError(CodexPyError):
    """No credentials for the chosen provider; the message names the login command."""

    exit_code = 3
