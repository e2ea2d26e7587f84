"""Notifications: Codex's ``notify`` program and the TUI's desktop notification (OSC 9 or BEL).

``notify = ["prog", "arg"…]``: after each completed turn ``prog`` runs with one more argument, Codex's JSON
payload (kebab-case keys, type ``agent-turn-complete``); its stdin, stdout and stderr are closed, it is not
waited for and its failure is only logged. It runs as the user's own program (like Codex), not in the sandbox.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

OSC9_TERMINALS = ("ghostty", "iterm", "kitty", "warp", "wezterm")


def turn_complete_payload(
    *,
    thread_id: str,
    turn_id: str,
    cwd: Path,
    client: str,
    input_messages: Sequence[str],
    last_message: str | None,
) -> dict[str, object]:
    """Codex's ``agent-turn-complete`` payload."""
    return {
        "type": "agent-turn-complete",
        "thread-id": thread_id,
        "turn-id": turn_id,
        "cwd": str(cwd),
        "client": client,
        "input-messages": list(input_messages),
        "last-assistant-message": last_message,
    }


def run_notify(argv: Sequence[str], payload: Mapping[str, object]) -> None:
    """Start the notify program with ``payload`` as its last argument; never raises, never waits."""
    if not argv:
        return
    try:
        subprocess.Popen(
            [*argv, json.dumps(payload, ensure_ascii=False)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except (OSError, ValueError) as exc:
        log.warning("notify program %s could not start: %s", argv[0], exc)


def _clean(text: str, limit: int) -> str:
    """One line without control characters, at most ``limit`` characters."""
    kept: list[str] = []
    for c in " ".join(text.split()):  # only as far as the limit: a long answer must not stall the app
        if unicodedata.category(c)[0] != "C":
            kept.append(c)
            if len(kept) > limit:
                break
    flat = "".join(kept)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def turn_text(last_message: str | None) -> str:
    return _clean(last_message or "", 200) or "Agent turn complete"


def approval_text(command: str) -> str:
    return f"Approval requested: {_clean(command, 30)}"


def pick_method(method: str, env: Mapping[str, str] | None = None) -> str:
    """``osc9`` or ``bel`` for the configured ``method`` (``auto``: OSC 9 where the terminal shows it)."""
    if method in ("osc9", "bel"):
        return method
    env = os.environ if env is None else env
    program = (env.get("TERM_PROGRAM", "") + " " + env.get("TERM", "")).lower()
    if env.get("KITTY_WINDOW_ID") or env.get("WEZTERM_EXECUTABLE") or any(t in program for t in OSC9_TERMINALS):
        return "osc9"
    return "bel"


def desktop_sequence(text: str, method: str, env: Mapping[str, str] | None = None) -> str:
    """The bytes to write to the terminal: OSC 9 (wrapped for tmux) or a lone BEL."""
    env = os.environ if env is None else env
    if pick_method(method, env) == "bel":
        return "\a"
    body = _clean(text, 200).replace("\x1b", "")
    if env.get("TMUX"):
        return f"\x1bPtmux;\x1b\x1b]9;{body}\a\x1b\\"
    return f"\x1b]9;{body}\a"
