"""``codex-py sessions fork`` and ``/fork``: a new session holding a copy of another's history.

The copy is a new rollout whose ``session_meta`` has a new id and ``forked_from_id``, followed by the
original's records up to the chosen turn, copied line by line (so compactions, rewinds, how each command
ended and the turns' checkpoints come along). The original file is only read: never locked, never written,
so a session that is running can be forked (what it has written so far is copied; a torn last line is
left out).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from codex_py.errors import UsageError
from codex_py.session.rollout import (
    SessionMeta,
    _now,
    is_prompt,
    load_rollout,
    new_rollout_path,
    read_header,
)

if TYPE_CHECKING:
    from codex_py.config import CliOverrides, Paths


def fork_rollout(paths: Paths, source: Path, *, at_turn: int | None = None) -> tuple[str, Path]:
    """Copy the session in ``source`` up to its ``at_turn``-th prompt and what followed it (default: all of it)
    into a new rollout; returns the new session id and file."""
    from codex_py import __version__

    meta = read_header(source)
    if meta is None:
        raise UsageError(f"{source} is not a codex-py session (no session_meta header)", "run `codex-py sessions`")
    stop: int | None = None
    if at_turn is not None:
        if at_turn < 1:
            raise UsageError(f"--at-turn must be 1 or more (got {at_turn})", "turns are counted from 1")
        turns = sum(1 for item in load_rollout(source).transcript if is_prompt(item))
        if at_turn > turns:
            raise UsageError(
                f"session {meta.id} has {turns} turn{'s' if turns != 1 else ''}, not {at_turn}",
                f"use --at-turn 1 to {turns}, or leave it out to copy every turn",
            )
        stop = load_rollout(source, stop_before_prompt=at_turn).stopped_at
    try:
        lines = source.read_bytes().decode("utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read session file {source}: {exc.strerror}", "check its permissions") from None
    new_id = str(uuid.uuid4())  # like agent.session.new_session_id (a layer above)
    header = SessionMeta(
        id=new_id,
        timestamp=_now(),
        cwd=meta.cwd,
        provider=meta.provider,
        model=meta.model,
        git_branch=meta.git_branch,
        git_commit=meta.git_commit,
        cli_version=__version__,
        forked_from_id=meta.id,
    )
    out = [json.dumps({"timestamp": header.timestamp, "type": "session_meta", "payload": header.to_json()})]
    for line in lines[1:stop]:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a torn line (the session is running, or crashed mid-write)
        if isinstance(record, dict) and record.get("type") not in (None, "session_meta"):
            out.append(line)
    target = new_rollout_path(paths, new_id)
    data = ("\n".join(out) + "\n").encode("utf-8", "backslashreplace")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise UsageError(
            f"could not write the forked session {target}: {exc.strerror or exc}",
            f"free space on the disk holding {paths.sessions_dir}, or set CODEX_PY_HOME to another folder",
        ) from None
    return new_id, target


def fork_command(cli: CliOverrides | None, session_id: str, *, at_turn: int | None) -> int:
    """``codex-py sessions fork SESSION_ID [--at-turn N]``: print the new session's id."""
    from codex_py.config import resolve_paths
    from codex_py.session.rollout import find_rollout

    paths = resolve_paths()
    source = find_rollout(paths, session_id)
    new_id, _ = fork_rollout(paths, source, at_turn=at_turn)
    sys.stdout.write(new_id + "\n")
    return 0
