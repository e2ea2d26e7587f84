"""The credential store: one record per provider and mode, in the OS keyring or a 0600 file.

Records are plain JSON objects keyed by :data:`RecordKey`. ``credentials_store = "auto"`` uses the
keyring when a real backend is available and falls back to the file otherwise (or when the keyring
fails); the environment variable ``CODEX_PY_CREDENTIALS_STORE`` overrides the config value. The file is
``Paths.credentials_file``, written atomically (temp file + ``os.replace``) with mode 0600 inside a
0700 directory. :meth:`CredentialStore.lock` is the cross-process lock taken around token refresh and
around every read-modify-write of the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from codex_py.config import Config, Paths, resolve_paths
from codex_py.errors import CodexPyError

if TYPE_CHECKING:
    import filelock

log = logging.getLogger(__name__)

RecordKey = Literal["openai_api_key", "chatgpt", "anthropic_api_key"]
RECORD_KEYS: tuple[RecordKey, ...] = get_args(RecordKey)
MCP_KEY_PREFIX = "mcp_oauth:"
"""Records of ``codex-py mcp login`` are keyed ``mcp_oauth:<server>|<hash of its URL>`` (see mcp/oauth.py)."""
StoreKey = str
"""A :data:`RecordKey` or an ``mcp_oauth:`` key."""
KEYRING_SERVICE = "codex-py"
ENV_OVERRIDE = "CODEX_PY_CREDENTIALS_STORE"
LOCK_TIMEOUT_S = 120.0
_LOCKS: dict[str, filelock.FileLock] = {}


class StoreError(CodexPyError):
    """The credential store cannot be read or written."""


def keyring_usable() -> bool:
    """True when the keyring package has a real backend (not the fail/null ones, not an empty chain)."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null

        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration must not break login
        return False
    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    return not (isinstance(backend, chainer.ChainerBackend) and not backend.backends)


class CredentialStore:
    """Read and write credential records. Cheap to build; nothing is read until asked."""

    def __init__(self, paths: Paths, mode: str = "auto") -> None:
        if mode not in ("auto", "keyring", "file"):
            raise StoreError(
                f"credentials_store is {mode!r}; expected auto, keyring or file",
                f"fix credentials_store in config.toml or {ENV_OVERRIDE}",
            )
        self.paths = paths
        self.mode = mode
        self._kind: Literal["keyring", "file"] | None = "file" if mode == "file" else None

    # ----- where records live -----
    @property
    def kind(self) -> Literal["keyring", "file"]:
        """The backend in use: decided on first use."""
        if self._kind is None:
            if keyring_usable():
                self._kind = "keyring"
            elif self.mode == "keyring":
                raise StoreError(
                    "credentials_store is 'keyring' but no usable OS keyring backend was found",
                    'install/unlock a keyring (e.g. gnome-keyring) or set credentials_store = "file"',
                )
            else:
                self._kind = "file"
        return self._kind

    @property
    def file(self) -> Path:
        return self.paths.credentials_file

    def _keyring_user(self, key: StoreKey) -> str:
        home = hashlib.sha256(str(self.paths.data_dir.resolve()).encode()).hexdigest()[:16]
        return f"{key}|{home}"

    def _fall_back(self, exc: Exception) -> None:
        if self.mode == "keyring":
            raise StoreError(
                f"the OS keyring failed: {type(exc).__name__}",
                'unlock the keyring, or set credentials_store = "file"',
            ) from None
        log.warning("keyring failed (%s); using the credentials file", type(exc).__name__)
        self._kind = "file"

    # ----- public API -----
    def get(self, key: StoreKey) -> dict[str, Any] | None:
        """The record stored under ``key``, or None."""
        if self.kind == "keyring":
            try:
                import keyring

                raw = keyring.get_password(KEYRING_SERVICE, self._keyring_user(key))
            except Exception as exc:
                self._fall_back(exc)
            else:
                record = _parse_record(raw) if raw else None
                if record is not None or not self.file.exists():
                    return _registered(record)
                # else: a record saved to the file while the keyring was failing (e.g. over SSH)
        return _registered(self._read_file().get(key))

    def put(self, key: StoreKey, record: dict[str, Any]) -> None:
        """Store ``record`` under ``key`` (replacing any previous one)."""
        _registered(record)
        if self.kind == "keyring":
            try:
                import keyring

                keyring.set_password(KEYRING_SERVICE, self._keyring_user(key), json.dumps(record))
            except Exception as exc:
                self._fall_back(exc)
            else:
                self._delete_from_file(key)  # no stale copy of the secret stays on disk
                return
        with self.lock():
            records = self._read_file()
            records[key] = record
            self._write_file(records)

    def delete(self, key: StoreKey) -> bool:
        """Remove the record under ``key``; True when there was one."""
        found = False
        if self.kind == "keyring":
            try:
                import keyring
                from keyring.errors import PasswordDeleteError

                with contextlib.suppress(PasswordDeleteError):
                    keyring.delete_password(KEYRING_SERVICE, self._keyring_user(key))
                    found = True
            except Exception as exc:
                self._fall_back(exc)
        return self._delete_from_file(key) or found  # also clear a record left by an earlier fallback

    def _delete_from_file(self, key: StoreKey) -> bool:
        if not self.file.exists():
            return False
        with self.lock():
            records = self._read_file()
            if records.pop(key, None) is None:
                return False
            self._write_file(records)
        return True

    def lock(self) -> filelock.FileLock:
        """The cross-process lock (a file next to the credentials). One reentrant instance per path in
        a process, so a holder (the refresh) can still write records; not bound to one thread."""
        path = str(self.paths.data_dir / "credentials.lock")
        _private_dir(self.paths.data_dir)
        lock = _LOCKS.get(path)
        if lock is None:
            import filelock

            lock = _LOCKS[path] = filelock.FileLock(path, timeout=LOCK_TIMEOUT_S, thread_local=False)
        return lock

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[None]:
        """Hold :meth:`lock` from async code without blocking the event loop (safe on cancellation)."""
        import asyncio

        import filelock

        lock = self.lock()
        task = asyncio.ensure_future(asyncio.to_thread(lock.acquire))
        try:
            await asyncio.shield(task)
        except filelock.Timeout:
            raise StoreError(
                f"another codex-py process has held the credentials lock for {int(LOCK_TIMEOUT_S)} s",
                f"close stuck codex-py processes (or delete {lock.lock_file}) and retry",
            ) from None
        except asyncio.CancelledError:
            task.add_done_callback(lambda t: None if t.cancelled() or t.exception() else lock.release())
            raise
        try:
            yield
        finally:
            lock.release()

    # ----- the file -----
    def _read_file(self) -> dict[str, dict[str, Any]]:
        try:
            with open(self.file, encoding="utf-8") as fh:
                _repair_mode(fh.fileno(), self.file)
                text = fh.read()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreError(f"cannot read {self.file}: {exc.strerror}", "check the file's permissions") from None
        except UnicodeDecodeError:
            text = ""
        try:
            data = json.loads(text)
        except ValueError:
            raise StoreError(
                f"{self.file} is not valid JSON", "move it aside and log in again (`codex-py login --provider ...`)"
            ) from None
        records = data.get("records") if isinstance(data, dict) else None
        if not isinstance(records, dict):
            return {}
        return {
            k: v
            for k, v in records.items()
            if (k in RECORD_KEYS or k.startswith(MCP_KEY_PREFIX)) and isinstance(v, dict)
        }

    def _write_file(self, records: dict[str, dict[str, Any]]) -> None:
        _private_dir(self.file.parent)
        payload = json.dumps({"version": 1, "records": records}, indent=2) + "\n"
        fd, tmp = tempfile.mkstemp(prefix=".credentials.", dir=self.file.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


SECRET_FIELDS = ("key", "access_token", "refresh_token", "id_token", "client_secret")
"""The fields of a record that hold a credential (registered for redaction whenever a record is read or written)."""


def _registered(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """``record``, after registering its credentials with the redactor: from now on this process masks them
    in every error, log line, rollout and output, whatever their shape."""
    if record:
        from codex_py.config.redaction import register_secret

        register_secret(*(v for f in SECRET_FIELDS if isinstance(v := record.get(f), str)))
    return record


def _repair_mode(fd: int, path: Path) -> None:
    """The credentials file must be private (0600): anything that opened it up (a `chmod 644` by a
    command, a restored backup) is undone at every load, with a warning in the log."""
    import stat

    mode = stat.S_IMODE(os.fstat(fd).st_mode)
    if mode & 0o077:
        try:
            os.fchmod(fd, 0o600)
        except OSError as exc:
            log.warning("%s is readable by others (mode %04o) and cannot be repaired: %s", path, mode, exc.strerror)
        else:
            log.warning("%s had mode %04o (readable by others); repaired to 0600", path, mode)


def _parse_record(raw: str) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _private_dir(path: Path) -> None:
    """Create ``path`` (mode 0700) if missing; tighten a directory that codex-py created before."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)


def open_store(config: Config, paths: Paths | None = None) -> CredentialStore:
    """The store chosen by ``CODEX_PY_CREDENTIALS_STORE`` or ``config.credentials_store``."""
    mode = os.environ.get(ENV_OVERRIDE, "").strip().lower() or config.credentials_store
    return CredentialStore(paths or resolve_paths(), mode)


def iter_records(store: CredentialStore) -> Iterator[tuple[RecordKey, dict[str, Any]]]:
    """Every stored record."""
    for key in RECORD_KEYS:
        record = store.get(key)
        if record is not None:
            yield key, record
