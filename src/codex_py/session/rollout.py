"""Rollouts: each session recorded as JSON Lines, item by item, so it can be resumed.

Path: ``<sessions_dir>/YYYY/MM/DD/rollout-YYYY-MM-DDThh-mm-ss-<id>.jsonl`` (local time). Every line is
``{"timestamp": RFC 3339, "type": kind, "payload": {...}}``. The first is ``session_meta``; then
``response_item`` lines (one protocol item each, see ``serialize.py``) and events such as
``compacted`` (whose ``replacement_history`` replaces everything before it) or ``turn_aborted``.
Lines are flushed one by one (no fsync): a crash loses at most the item in flight. Secrets are not stored:
the credentials in use and high-confidence secret shapes are redacted on the way to the file
(``config.redaction``); a resumed session sees ``[REDACTED]`` where they were.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from codex_py.errors import UsageError
from codex_py.protocol.items import Item, ToolCall, ToolResult
from codex_py.session.serialize import ItemDecodeError, item_from_json, item_to_json, to_jsonable

if TYPE_CHECKING:
    from codex_py.config import Config, Paths

log = logging.getLogger(__name__)

_PREFIX = "rollout-"
_STAMP_LEN = len("2025-01-31T23-59-59")
ABORTED_ON_RESUME = "aborted: the session ended before this call finished"


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class SessionMeta:
    """The header of a rollout."""

    id: str
    timestamp: str = ""
    cwd: str = ""
    provider: str = ""
    model: str = ""
    git_branch: str | None = None
    git_commit: str | None = None
    cli_version: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "timestamp": self.timestamp,
            "cwd": self.cwd,
            "originator": "codex-py",
            "cli_version": self.cli_version,
            "model_provider": self.provider,
            "model": self.model,
            "git": {"branch": self.git_branch, "commit": self.git_commit},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionMeta:
        git = data.get("git") if isinstance(data.get("git"), dict) else {}
        assert isinstance(git, dict)
        return cls(
            id=str(data.get("id", "")),
            timestamp=str(data.get("timestamp", "")),
            cwd=str(data.get("cwd", "")),
            provider=str(data.get("model_provider", "")),
            model=str(data.get("model", "")),
            git_branch=git.get("branch"),
            git_commit=git.get("commit"),
            cli_version=str(data.get("cli_version", "")),
        )


class RolloutRecorder:
    """Appends a session's items and events to its rollout file (implements ``agent.session.Recorder``).

    A new rollout's file is created with the first record, so a run that fails before its first
    turn leaves nothing behind."""

    def __init__(self, path: Path, meta: SessionMeta | None) -> None:
        self.path = path
        self._pending_meta = meta
        self._fh: IO[str] | None = None

    @classmethod
    def create(cls, paths: Paths, *, session_id: str, config: Config) -> RolloutRecorder:
        """A recorder for a new session of ``config`` (the file appears with the first item)."""
        from codex_py import __version__
        from codex_py.session.git import read_git_info

        now = _dt.datetime.now()
        folder = paths.sessions_dir / f"{now:%Y}" / f"{now:%m}" / f"{now:%d}"
        path = folder / f"{_PREFIX}{now:%Y-%m-%dT%H-%M-%S}-{session_id}.jsonl"
        git = read_git_info(config.cwd)
        meta = SessionMeta(
            id=session_id,
            timestamp=_now(),
            cwd=str(config.cwd),
            provider=config.model_provider,
            model=config.model,
            git_branch=git.branch if git else None,
            git_commit=git.commit if git else None,
            cli_version=__version__,
        )
        return cls(path, meta)

    @classmethod
    def reopen(cls, path: Path) -> RolloutRecorder:
        """Append to an existing rollout (resume). A torn last line is ended first so new lines parse."""
        recorder = cls(path, None)
        fh = recorder._open()
        if path.stat().st_size:
            with path.open("rb") as raw:
                raw.seek(-1, os.SEEK_END)
                if raw.read(1) != b"\n":
                    fh.write("\n")
                    fh.flush()
        return recorder

    def _open(self) -> IO[str]:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._fh = os.fdopen(fd, "a", encoding="utf-8")
            if self._pending_meta is not None:
                self._write("session_meta", self._pending_meta.to_json())
                self._pending_meta = None
        return self._fh

    def _write(self, kind: str, payload: dict[str, Any]) -> None:
        from codex_py.config.redaction import redact_json

        # the stored copy only: credentials in use and secret shapes become [REDACTED] (the model saw the original)
        line = json.dumps({"timestamp": _now(), "type": kind, "payload": redact_json(payload)}, ensure_ascii=False)
        try:
            fh = self._open()
            fh.write(line + "\n")
            fh.flush()
        except OSError as exc:  # a full disk must not kill the turn; the log says why resume may lack it
            log.error("could not write to the rollout %s: %s", self.path, exc)

    def record_item(self, item: Item) -> None:
        """Append one completed item."""
        self._write("response_item", item_to_json(item))

    def record_event(self, kind: str, payload: dict[str, Any]) -> None:
        """Append an event (``compacted`` with ``replacement_history``, ``turn_aborted``, ``usage`` ...)."""
        self._write(kind, to_jsonable(payload))

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


@dataclass(slots=True)
class LoadedSession:
    meta: SessionMeta
    items: list[Item] = field(default_factory=list)
    path: Path | None = None


def read_header(path: Path) -> SessionMeta | None:
    """The ``session_meta`` of a rollout, reading only its first line; None if it has none."""
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            line = fh.readline()
        record = json.loads(line)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("type") != "session_meta":
        return None
    payload = record.get("payload")
    return SessionMeta.from_json(payload) if isinstance(payload, dict) else None


def load_rollout(path: Path) -> LoadedSession:
    """Rebuild the history recorded in ``path``.

    A truncated or garbled line (a crash mid-write) is skipped; a ``compacted`` record replaces the
    history before it; tool calls left without a result get an "aborted" one so every wire API
    accepts the history."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read session file {path}: {exc.strerror}", "check the file's permissions") from None
    lines = data.decode("utf-8", errors="replace").splitlines()
    meta: SessionMeta | None = None
    items: list[Item] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            kind, payload = record["type"], record["payload"]
        except (ValueError, KeyError, TypeError):
            log.warning("%s:%d: skipping an unreadable line (torn write?)", path, number)
            continue
        try:
            if kind == "session_meta" and meta is None and isinstance(payload, dict):
                meta = SessionMeta.from_json(payload)
            elif kind == "response_item":
                items.append(item_from_json(payload))
            elif kind == "compacted" and isinstance(payload, dict) and "replacement_history" in payload:
                items = [item_from_json(raw) for raw in payload["replacement_history"]]
        except (ItemDecodeError, TypeError) as exc:
            log.warning("%s:%d: skipping a record: %s", path, number, exc)
    if meta is None:
        raise UsageError(f"{path} is not a codex-py session (no session_meta header)", "run `codex-py sessions`")
    return LoadedSession(meta, close_unanswered_calls(items), path)


def close_unanswered_calls(items: list[Item]) -> list[Item]:
    """Give every tool call without a result an error result right after its group of calls."""
    answered = {i.call_id for i in items if isinstance(i, ToolResult)}
    if all(i.call_id in answered for i in items if isinstance(i, ToolCall)):
        return items
    out: list[Item] = []
    missing: list[str] = []
    for item in items:
        if missing and not isinstance(item, (ToolCall, ToolResult)):
            out.extend(ToolResult(call_id, ABORTED_ON_RESUME, is_error=True) for call_id in missing)
            missing = []
        out.append(item)
        if isinstance(item, ToolCall) and item.call_id not in answered:
            missing.append(item.call_id)
    out.extend(ToolResult(call_id, ABORTED_ON_RESUME, is_error=True) for call_id in missing)
    return out


def session_id_of(path: Path) -> str:
    """The session id in a rollout file name (``rollout-<stamp>-<id>.jsonl``)."""
    stem = path.name.removesuffix(".jsonl")
    if stem.startswith(_PREFIX) and len(stem) > len(_PREFIX) + _STAMP_LEN + 1:
        return stem[len(_PREFIX) + _STAMP_LEN + 1 :]
    return stem


def list_rollouts(paths: Paths) -> list[tuple[float, Path]]:
    """Every rollout file with its modification time, newest first."""
    found: list[tuple[float, Path]] = []
    for path in paths.sessions_dir.glob(f"*/*/*/{_PREFIX}*.jsonl"):
        try:
            found.append((path.stat().st_mtime, path))
        except OSError:
            continue
    found.sort(key=lambda pair: pair[0], reverse=True)
    return found


def find_rollout(paths: Paths, session_id: str | None, *, last: bool = False, cwd: Path | None = None) -> Path:
    """The rollout to resume: by id (a unique prefix is enough) or, with ``last``, the most recently
    updated one that ran in ``cwd`` (any folder when ``cwd`` is None). Raises ``UsageError`` when none matches."""
    rollouts = list_rollouts(paths)
    if session_id:
        wanted = session_id.strip().lower()
        matches = [p for _, p in rollouts if session_id_of(p).lower().startswith(wanted)]
        ids = sorted({session_id_of(p) for p in matches})
        if not matches:
            raise UsageError(
                f"no recorded session matches {session_id!r}", "run `codex-py sessions` to see the recorded ids"
            )
        if len(ids) > 1:
            shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
            raise UsageError(f"{session_id!r} matches {len(ids)} sessions: {shown}", "give more of the id")
        return matches[0]
    if not rollouts:
        raise UsageError(
            f"no recorded sessions in {paths.sessions_dir}", "start one with `codex-py exec PROMPT` or `codex-py`"
        )
    if cwd is None:
        return rollouts[0][1]
    # like Codex, --last means the last session *here*: never an unrelated conversation from elsewhere
    here = str(cwd)
    for _, path in rollouts:
        header = read_header(path)
        if header is not None and header.cwd == here:
            return path
    raise UsageError(
        f"no recorded session ran in {here}",
        "run `codex-py sessions` to see every session, then resume one by id (or use -C DIR)",
    )
