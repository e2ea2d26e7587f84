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

import contextlib
import datetime as _dt
import json
import logging
import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codex_py.errors import CodexPyError, UsageError
from codex_py.protocol.items import Item, ToolCall, ToolResult, UserMessage
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
    forked_from_id: str | None = None
    """The session this one was copied from (``codex-py sessions fork``, ``/fork``)."""

    def to_json(self) -> dict[str, Any]:
        extra = {"forked_from_id": self.forked_from_id} if self.forked_from_id else {}
        return {
            "id": self.id,
            "timestamp": self.timestamp,
            "cwd": self.cwd,
            "originator": "codex-py",
            "cli_version": self.cli_version,
            "model_provider": self.provider,
            "model": self.model,
            "git": {"branch": self.git_branch, "commit": self.git_commit},
            **extra,
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
            forked_from_id=str(data["forked_from_id"]) if data.get("forked_from_id") else None,
        )


class SessionBusyError(UsageError):
    """Another codex-py process is running this session (its rollout is locked)."""


_HELD: dict[str, list[int]] = {}
"""Rollouts this process has locked: real path -> [lock fd, holders]. A session reopened in the same process
(the TUI switching provider keeps the conversation) shares the lock instead of refusing itself."""


class SessionLock:
    """One session run's claim on its rollout: an exclusive ``flock`` on the rollout file itself (no lock file
    to leave behind). Held while the run lives; released by :meth:`release` or, on a crash or SIGKILL, by the
    kernel when the process dies. Readers (``sessions``, ``resume`` lookup) never take it."""

    def __init__(self, key: str) -> None:
        self._key: str | None = key

    @classmethod
    def acquire(cls, path: Path, session_id: str) -> SessionLock:
        """Lock the existing rollout ``path``; raises :class:`SessionBusyError` (exit 2) if a live process holds it."""
        import fcntl

        key = os.path.realpath(path)
        held = _HELD.get(key)
        if held is not None:
            held[1] += 1
            return cls(key)
        fd = os.open(key, os.O_RDONLY | os.O_CLOEXEC)  # never inherited by a command (it would keep the lock)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = lock_holder(path)
            raise SessionBusyError(
                f"session {session_id} is in use by another codex-py process"
                + (f" (pid {holder})" if holder else "")
                + ": two runs of one session would mix their records",
                "wait for it to finish, then resume it again",
            ) from None
        except OSError as exc:  # a filesystem without flock (some network mounts): run unlocked, say so in the log
            log.warning("cannot lock %s (%s): concurrent resumes of this session are not prevented", path, exc)
        _HELD[key] = [fd, 1]
        return cls(key)

    def release(self) -> None:
        key, self._key = self._key, None
        held = None if key is None else _HELD.get(key)
        if key is None or held is None:
            return
        held[1] -= 1
        if held[1] <= 0:
            del _HELD[key]
            with contextlib.suppress(OSError):
                os.close(held[0])  # closing the only descriptor drops the flock

    def __del__(self) -> None:  # a recorder dropped without close() (a failed start) frees its session
        self.release()


def _lock_or_usage_error(path: Path, session_id: str) -> SessionLock:
    try:
        return SessionLock.acquire(path, session_id)
    except FileNotFoundError:
        raise UsageError(f"session file {path} disappeared", "run `codex-py sessions`") from None
    except OSError as exc:
        raise UsageError(f"cannot open session file {path}: {exc.strerror}", "check its permissions") from None


def check_not_running(path: Path) -> None:
    """Raise :class:`SessionBusyError` (exit 2) now if another process runs the session in ``path``
    (the interactive app checks before its screen opens; the run itself locks in :meth:`RolloutRecorder.reopen`)."""
    _lock_or_usage_error(path, session_id_of(path)).release()


def lock_holder(path: Path, holders: dict[str, int] | None = None) -> int | None:
    """The pid holding an exclusive ``flock`` on ``path`` (the process running that session); None if free
    or unknown. Passive (reads ``/proc/locks``, takes no lock), so looking never makes a starting run fail.
    ``holders``: :func:`flock_holders`, read once for many files."""
    try:
        st = path.stat()
    except OSError:
        return None
    table = flock_holders() if holders is None else holders
    return table.get(f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}")


def flock_holders() -> dict[str, int]:
    """Every exclusive ``flock`` on this machine (Linux ``/proc/locks``): ``"maj:min:inode"`` -> pid."""
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as fh:
            table = fh.read()
    except OSError:
        return {}
    out: dict[str, int] = {}
    for line in table.splitlines():
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 14179 fe:00:2146314 0 EOF"; a waiter's line has "->" and is skipped
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[3] == "WRITE" and fields[4].isdigit():
            out[fields[5]] = int(fields[4])
    return out


class RolloutRecorder:
    """Appends a session's items and events to its rollout file (implements ``agent.session.Recorder``).

    A new rollout's file is created with the first record, so a run that fails before its first
    turn leaves nothing behind. The rollout is locked (:class:`SessionLock`) from then, or from
    :meth:`reopen`, until :meth:`close`.

    A write that fails (a full disk, a folder made read-only) does not stop the turn: the record
    waits in memory, in order, and goes out with the next write that succeeds (or at close), so the
    file stays a clean prefix of the session. ``on_failure`` hears of the first failure;
    :meth:`unsaved_error` says at the end what is still unwritten."""

    def __init__(self, path: Path, meta: SessionMeta | None, *, session_id: str = "") -> None:
        self.path = path
        self.session_id = session_id or (meta.id if meta is not None else session_id_of(path))
        self._pending_meta = meta
        self._fd: int | None = None
        self._lock: SessionLock | None = None
        self._backlog: deque[bytes] = deque()
        self._failure: OSError | None = None
        self.on_failure: Callable[[str], None] | None = None
        """Called once per run of failures with a one-line warning (the session shows it)."""

    @classmethod
    def create(cls, paths: Paths, *, session_id: str, config: Config) -> RolloutRecorder:
        """A recorder for a new session of ``config`` (the file appears with the first item)."""
        from codex_py import __version__
        from codex_py.session.git import read_git_info

        path = new_rollout_path(paths, session_id)
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
        """Append to an existing rollout (resume), locking it first: raises :class:`SessionBusyError`
        when another process runs the session. A torn last line is ended first so new lines parse."""
        recorder = cls(path, None)
        recorder._lock = _lock_or_usage_error(path, recorder.session_id)
        with contextlib.suppress(OSError), path.open("rb") as raw:
            if raw.seek(0, os.SEEK_END):
                raw.seek(-1, os.SEEK_END)
                if raw.read(1) != b"\n":
                    recorder._backlog.append(b"\n")
        recorder._drain()
        return recorder

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            if self._lock is None:  # a new session: claimed as soon as its file exists
                try:
                    self._lock = SessionLock.acquire(self.path, self.session_id)
                except SessionBusyError as exc:  # resumed in the instant between create and lock: go on
                    log.warning("%s", exc)
        return self._fd

    def _write(self, kind: str, payload: dict[str, Any]) -> None:
        from codex_py.config.redaction import redact_json

        if self._pending_meta is not None:
            self._backlog.append(_line("session_meta", self._pending_meta.to_json()))
            self._pending_meta = None
        # the stored copy only: credentials in use and secret shapes become [REDACTED] (the model saw the original)
        self._backlog.append(_line(kind, redact_json(payload)))
        self._drain()

    def _drain(self) -> None:
        """Write what waits, oldest first; on failure keep the rest (a partly written line continues
        exactly where it stopped, so the file never holds a line twice)."""
        backlog = self._backlog
        try:
            fd = self._open()
            while backlog:
                data = backlog[0]
                written = os.write(fd, data)
                if written < len(data):
                    backlog[0] = data[written:]
                else:
                    backlog.popleft()
        except OSError as exc:
            first = self._failure is None
            self._failure = exc
            if first:
                message = f"could not write the session file {self.path}: {exc.strerror or exc}"
                log.error("%s", message)
                if self.on_failure is not None:
                    self.on_failure(f"{message}; the session goes on in memory and is saved when writing works again")
            return
        self._failure = None

    def record_item(self, item: Item) -> None:
        """Append one completed item."""
        self._write("response_item", item_to_json(item))

    def record_event(self, kind: str, payload: dict[str, Any]) -> None:
        """Append an event (``compacted`` with ``replacement_history``, ``turn_aborted``, ``usage`` ...)."""
        self._write(kind, to_jsonable(payload))

    def unsaved_error(self) -> CodexPyError | None:
        """What is still unwritten (call after :meth:`close`, which tries once more), as a one-line
        error with a next step; None when everything is saved."""
        exc = self._failure
        if not self._backlog or exc is None:
            return None
        import errno

        count = sum(1 for data in self._backlog if data.endswith(b"\n"))
        lost = f"{count} record{'s' if count != 1 else ''} of session {self.session_id} could not be saved"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            hint = f"free space on the disk holding {self.path.parent} (or set CODEX_PY_HOME to another disk); {lost}"
        else:
            hint = f"make {self.path.parent} writable (or set CODEX_PY_HOME to a writable folder); {lost}"
        return CodexPyError(f"could not write the session file {self.path}: {exc.strerror or exc}", hint)

    def close(self) -> None:
        """Write what still waits (if it can), close the file and release the session."""
        if self._backlog:
            self._drain()
        self._let_go()

    def __del__(self) -> None:  # dropped without close() (a start that failed later): free the fd and the session
        self._let_go()

    def _let_go(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def new_rollout_path(paths: Paths, session_id: str) -> Path:
    """Where a session started now is recorded: ``<sessions>/YYYY/MM/DD/rollout-<local time>-<id>.jsonl``."""
    now = _dt.datetime.now()
    folder = paths.sessions_dir / f"{now:%Y}" / f"{now:%m}" / f"{now:%d}"
    return folder / f"{_PREFIX}{now:%Y-%m-%dT%H-%M-%S}-{session_id}.jsonl"


def _line(kind: str, payload: dict[str, Any]) -> bytes:
    text = json.dumps({"timestamp": _now(), "type": kind, "payload": payload}, ensure_ascii=False)
    # a lone surrogate (from a model or a command) is kept as its JSON escape, so the line stays valid UTF-8
    return (text + "\n").encode("utf-8", "backslashreplace")


@dataclass(slots=True)
class LoadedSession:
    meta: SessionMeta
    items: list[Item] = field(default_factory=list)
    path: Path | None = None
    transcript: list[Item] = field(default_factory=list)
    """Every item recorded, across compactions (each compaction as its summary message): what a front end redraws."""
    tool_records: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The ``tool_end`` records by call id: how each command and patch ended (``agent.session.tool_record``)."""
    usage_records: list[dict[str, Any]] = field(default_factory=list)
    """The ``token_count`` records (each response's usage, model and turn): a resumed session's cost and tokens."""
    stopped_at: int | None = None
    """With ``load_rollout(stop_before_prompt=k)``: the index (0-based) of the line holding the prompt where
    reading stopped; None when the file has fewer prompts."""


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


PROMPT_EXCLUDED_PREFIXES = ("<hook_context", "<skill>", "I ran this shell command myself")
"""User messages codex-py adds itself (hook output, an invoked skill, a ``!cmd`` the user ran): not prompts."""


def is_prompt(item: Item) -> bool:
    """True for a message the user typed (what ``/rewind`` lists and ``--at-turn`` counts): not a compaction
    summary, hook output, skill text or ``!cmd`` output."""
    from codex_py.session.compaction import is_summary_message

    return (
        isinstance(item, UserMessage)
        and not is_summary_message(item)
        and not item.text.startswith(PROMPT_EXCLUDED_PREFIXES)
    )


def cut_before_prompt(transcript: list[Item], index: int) -> list[Item]:
    """``transcript`` up to (not including) its ``index``-th prompt (0-based); all of it if it has fewer."""
    seen = 0
    for position, item in enumerate(transcript):
        if is_prompt(item):
            if seen == index:
                return transcript[:position]
            seen += 1
    return list(transcript)


def load_rollout(path: Path, *, stop_before_prompt: int | None = None) -> LoadedSession:
    """Rebuild the history recorded in ``path``.

    A truncated or garbled line (a crash mid-write) is skipped; a ``compacted`` record replaces the
    history before it, a ``thread_rolled_back`` record (``/rewind``) replaces it and cuts the transcript
    before its ``prompts_kept``-th prompt; tool calls left without a result get an "aborted" one so every
    wire API accepts the history. ``stop_before_prompt=k``: stop just before the line that would add the
    ``k``-th prompt (0-based) of the conversation as it stands then: the session as it was before it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read session file {path}: {exc.strerror}", "check the file's permissions") from None
    lines = data.decode("utf-8", errors="replace").splitlines()
    meta: SessionMeta | None = None
    items: list[Item] = []
    transcript: list[Item] = []
    tool_records: dict[str, dict[str, Any]] = {}
    usage_records: list[dict[str, Any]] = []
    prompts = 0
    stopped_at: int | None = None
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
                item = item_from_json(payload)
                if is_prompt(item):
                    if prompts == stop_before_prompt:
                        stopped_at = number - 1
                        break
                    prompts += 1
                items.append(item)
                transcript.append(item)
            elif kind == "compacted" and isinstance(payload, dict) and "replacement_history" in payload:
                items = [item_from_json(raw) for raw in payload["replacement_history"]]
                transcript.extend(items[-1:])  # the summary message (the recent user messages are copies)
            elif kind == "tool_end" and isinstance(payload, dict) and isinstance(payload.get("call_id"), str):
                tool_records[payload["call_id"]] = payload
            elif kind == "token_count" and isinstance(payload, dict):
                usage_records.append(payload)
            elif kind == "thread_rolled_back" and isinstance(payload, dict) and "replacement_history" in payload:
                kept = payload.get("prompts_kept")
                items = [item_from_json(raw) for raw in payload["replacement_history"]]
                if isinstance(kept, int) and kept >= 0:
                    transcript = cut_before_prompt(transcript, kept)
                    prompts = min(prompts, kept)
        except (ItemDecodeError, TypeError) as exc:
            log.warning("%s:%d: skipping a record: %s", path, number, exc)
    if meta is None:
        raise UsageError(f"{path} is not a codex-py session (no session_meta header)", "run `codex-py sessions`")
    return LoadedSession(
        meta,
        close_unanswered_calls(items),
        path,
        close_unanswered_calls(transcript),
        tool_records,
        usage_records,
        stopped_at,
    )


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
