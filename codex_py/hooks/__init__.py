"""Lifecycle hooks: user commands run at SessionStart, UserPromptSubmit, PreToolUse, PermissionRequest,
PostToolUse, PreCompact, PostCompact, Stop, StopFailure, Interrupt and SessionEnd, configured as Codex (and
Claude Code) do.

``loader`` reads the definitions (``[hooks]`` in config.toml and ``hooks.json`` beside it, in the home and
in the project's ``.codex/`` folders), ``trust`` records which project hooks the user accepted, ``runner``
runs them (in the workspace, under the session's sandbox policy) and reads their answers.
"""

from __future__ import annotations

EVENTS = (
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "PreCompact",
    "PostCompact",
    "Stop",
    "StopFailure",
    "Interrupt",
    "SessionEnd",
)
