"""``codex-py sessions``: recorded sessions, newest first, one line each.

Fast for hundreds of sessions: only the header and the first user message of each rollout are read.
"""

from __future__ import annotations

import datetime as _dt
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codex_py.session.rollout import flock_holders, list_rollouts, lock_holder, read_header, session_id_of

if TYPE_CHECKING:
    from codex_py.config import CliOverrides, Paths

FIRST_PROMPT_SCAN_BYTES = 256 * 1024
"""Stop looking for the first user message after this much of a file."""


@dataclass(frozen=True, slots=True)
class SessionSummary:
    id: str
    updated: float
    """Modification time of the rollout (last activity), seconds since the epoch."""
    cwd: str
    provider: str
    model: str
    first_prompt: str
    path: Path
    running: int | None = None
    """The pid of the codex-py process running the session now (it holds the rollout's lock), else None."""


def first_user_prompt(path: Path) -> str:
    """The text of the first user message recorded in ``path`` ("" if none)."""
    read = 0
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                read += len(line)
                if read > FIRST_PROMPT_SCAN_BYTES:
                    break
                if '"response_item"' not in line or '"user"' not in line:
                    continue
                try:
                    payload = json.loads(line).get("payload", {})
                except ValueError:
                    continue
                if isinstance(payload, dict) and payload.get("type") == "user":
                    parts = payload.get("content") or []
                    return "".join(p.get("text", "") for p in parts if isinstance(p, dict) and p.get("type") == "text")
    except OSError:
        pass
    return ""


def list_sessions(paths: Paths) -> list[SessionSummary]:
    """Every readable recorded session, most recently updated first."""
    out: list[SessionSummary] = []
    holders = flock_holders()  # read once: which sessions a live process runs (a resume of them is refused)
    for mtime, path in list_rollouts(paths):
        meta = read_header(path)
        if meta is None:
            continue
        out.append(
            SessionSummary(
                meta.id or session_id_of(path),
                mtime,
                meta.cwd,
                meta.provider,
                meta.model,
                first_user_prompt(path),
                path,
                lock_holder(path, holders) if holders else None,
            )
        )
    return out


def _short_home(path: str) -> str:
    home = str(Path.home())
    if path == home or path.startswith(home + "/"):
        return "~" + path[len(home) :]
    return path


def format_session(summary: SessionSummary, width: int) -> str:
    """One line: id, date, ``(running)`` if a process runs it now, cwd, provider/model, first prompt, cut to
    ``width`` columns."""
    when = _dt.datetime.fromtimestamp(summary.updated).strftime("%Y-%m-%d %H:%M")
    if summary.running is not None:
        when += "  (running)"
    prompt = " ".join(summary.first_prompt.split()) or "(no prompt)"
    line = f"{summary.id}  {when}  {_short_home(summary.cwd)}  {summary.provider}/{summary.model}  {prompt}"
    if width > 1 and len(line) > width:
        line = line[: width - 1] + "…"
    return line


def print_sessions(cli: CliOverrides) -> int:
    """Print recorded sessions newest first; returns the exit code."""
    from codex_py.config import resolve_paths

    paths = resolve_paths()
    sessions = list_sessions(paths)
    if not sessions:
        sys.stderr.write(f"No recorded sessions yet (they are kept in {paths.sessions_dir}).\n")
        return 0
    width = shutil.get_terminal_size((0, 0)).columns  # COLUMNS, else the terminal; 0 (no cut) for a pipe
    sys.stdout.write("".join(format_session(s, width) + "\n" for s in sessions))
    return 0
