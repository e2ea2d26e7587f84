"""Checkpoints: snapshots of the workspace in a shadow git store, so a turn's file changes can be undone.

One bare repository per workspace under ``<data dir>/checkpoints/<hash of the workspace path>/``, driven
with ``GIT_DIR`` / ``GIT_WORK_TREE`` / ``GIT_INDEX_FILE`` all pointing into the store: the user's
repository, index, stash, branches, refs and hooks are never read or written (a plain folder works the
same). git runs with no system or global configuration, hooks, fsmonitor, filter drivers, pager or
transports, and ``* -text -filter ...`` attributes from the store, so content is stored byte for byte
and no program named by the workspace runs.

A snapshot asks git which files differ from the previous snapshot (``ls-files -m -o -d``, honouring
``.gitignore``; the shadow index keeps stat data so unchanged files are not read), adds those, writes a
tree and, when the tree changed, a commit on the session's chain (``refs/codex-py/<session id>``).
Files larger than ``max_file_bytes`` are left out and listed in the commit message (``skipped``), so an
undo never deletes or rewrites them. Restoring writes the stored bytes and the executable bit through
directory descriptors opened with ``O_NOFOLLOW`` (a symlink planted by a command cannot redirect a write
outside the workspace).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

REF_PREFIX = "refs/codex-py/"
MAX_LOCAL_EXCLUDE_BYTES = 1 << 20
"""A repository's ``.git/info/exclude`` larger than this is not copied (a real one is a few lines)."""
DEFAULT_EXCLUDES = (
    "node_modules/",
    ".venv/",
    "venv/",
    "__pycache__/",
    ".pytest_cache/",
    ".mypy_cache/",
    ".ruff_cache/",
    ".tox/",
    ".cache/",
)
"""Always left out (caches and installed dependencies, which can be rebuilt), like Codex's ghost snapshots."""
MAX_NEW_FILES = 100_000
"""A first snapshot with more files than this is not taken (a home folder, a disk): too slow to be useful."""
_GIT_TIMEOUT_S = 120.0
MAX_PACKS = 50
"""Pruning also repacks the store when it holds more packs than this."""
_ATTRIBUTES = "* -text -eol -filter -ident -working-tree-encoding -diff -merge\n"
_CONFIG = (
    ("core.autocrlf", "false"),
    ("core.safecrlf", "false"),
    ("core.symlinks", "true"),
    ("core.filemode", "true"),
    ("core.ignorecase", "false"),
    ("core.precomposeunicode", "false"),
    ("core.fsmonitor", "false"),
    ("core.hooksPath", "/dev/null"),
    ("core.pager", "cat"),
    ("core.untrackedCache", "false"),
    ("core.looseCompression", "1"),
    ("gc.auto", "0"),
    ("core.bigFileThreshold", "1"),  # stream new blobs into one pack per snapshot, not 10k loose files
    ("protocol.allow", "never"),
    ("commit.gpgSign", "false"),
    ("gpg.program", "false"),
    ("index.skipHash", "false"),
)


class CheckpointError(Exception):
    """A snapshot or restore could not be done (one-line reason)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    commit: str
    skipped: tuple[str, ...] = ()
    """Paths left out because they were larger than the cap."""


@dataclass(frozen=True, slots=True)
class Entry:
    """A file as a snapshot holds it: git mode (``100644``, ``100755``, ``120000``) and blob id."""

    mode: str
    blob: str


@dataclass(slots=True)
class Change:
    """One path changed between two snapshots."""

    path: str
    before: Entry | None
    after: Entry | None


@dataclass(slots=True)
class RestoreResult:
    restored: list[str] = field(default_factory=list)
    """Files written back with their earlier content."""
    created: list[str] = field(default_factory=list)
    """Files the turn had deleted, recreated."""
    deleted: list[str] = field(default_factory=list)
    """Files the turn had created, removed."""
    failed: list[tuple[str, str]] = field(default_factory=list)


def workspace_key(workspace: Path) -> str:
    return hashlib.sha256(str(workspace).encode("utf-8", "surrogateescape")).hexdigest()[:20]


def store_root(data_dir: Path) -> Path:
    return data_dir / "checkpoints"


class CheckpointStore:
    """The shadow store of one workspace (see the module docstring)."""

    def __init__(self, root: Path, workspace: Path, *, max_file_bytes: int = 10 * 1024 * 1024) -> None:
        self.root = root
        self.workspace = workspace
        self.max_file_bytes = max_file_bytes
        self.git_dir = root / "git"
        self.clock: Callable[[], float] = time.time
        """The time checkpoints are dated with (pruning by age reads it back)."""
        self._ready = False

    @classmethod
    def for_workspace(
        cls, data_dir: Path, workspace: Path, *, max_file_bytes: int = 10 * 1024 * 1024
    ) -> CheckpointStore:
        workspace = Path(os.path.realpath(workspace))
        return cls(store_root(data_dir) / workspace_key(workspace), workspace, max_file_bytes=max_file_bytes)

    # --- git -----------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(
            GIT_DIR=str(self.git_dir),
            GIT_WORK_TREE=str(self.workspace),
            GIT_INDEX_FILE=str(self.root / "index"),
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL="/dev/null",
            GIT_TERMINAL_PROMPT="0",
            GIT_LITERAL_PATHSPECS="1",
            GIT_NO_REPLACE_OBJECTS="1",
            GIT_AUTHOR_NAME="codex-py",
            GIT_AUTHOR_EMAIL="codex-py@localhost",
            GIT_COMMITTER_NAME="codex-py",
            GIT_COMMITTER_EMAIL="codex-py@localhost",
            LC_ALL="C",
        )
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{int(self.clock())} +0000"
        # command-scope config beats every file, the store's own included
        env["GIT_CONFIG_COUNT"] = str(len(_CONFIG))
        for i, (key, value) in enumerate(_CONFIG):
            env[f"GIT_CONFIG_KEY_{i}"] = key
            env[f"GIT_CONFIG_VALUE_{i}"] = value
        return env

    def _git(self, *args: str, stdin: bytes | None = None, check: bool = True) -> bytes:
        try:
            proc = subprocess.run(
                ["git", *args],
                cwd=self.root,
                env=self._env(),
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                capture_output=True,
                timeout=_GIT_TIMEOUT_S,
                check=False,
            )
        except FileNotFoundError:
            raise CheckpointError("git is not installed (checkpoints need it)") from None
        except subprocess.TimeoutExpired:
            raise CheckpointError(f"git {args[0]} took longer than {_GIT_TIMEOUT_S:.0f}s") from None
        except OSError as exc:
            raise CheckpointError(f"could not run git: {exc.strerror}") from None
        if check and proc.returncode != 0:
            reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise CheckpointError(f"git {args[0]} failed: {reason[-1] if reason else proc.returncode}")
        return proc.stdout

    def _ensure(self) -> None:
        if self._ready:
            return
        if not (self.git_dir / "HEAD").is_file():
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.root, 0o700)
            env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
            env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null", GIT_TEMPLATE_DIR="")
            try:
                subprocess.run(
                    ["git", "init", "-q", "--bare", str(self.git_dir)],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=_GIT_TIMEOUT_S,
                    check=True,
                )
            except FileNotFoundError:
                raise CheckpointError("git is not installed (checkpoints need it)") from None
            except (OSError, subprocess.SubprocessError) as exc:
                raise CheckpointError(f"could not create the checkpoint store {self.git_dir}: {exc}") from None
            info = self.git_dir / "info"
            info.mkdir(exist_ok=True)
            (info / "attributes").write_text(_ATTRIBUTES)
            (info / "exclude").write_text("".join(f"{p}\n" for p in DEFAULT_EXCLUDES))
            (self.root / "workspace").write_text(str(self.workspace) + "\n")
        self._ready = True

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._ensure()
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    # --- snapshots -----------------------------------------------------------------------
    def snapshot(self, session_id: str, message: str = "checkpoint") -> Snapshot:
        """Record the workspace as it is now on the session's chain; returns the commit (the previous one
        when nothing changed)."""
        if not self.workspace.is_dir():
            raise CheckpointError(f"the workspace {self.workspace} is not a folder")
        with self._locked():
            return self._snapshot(session_id, message)

    def _sync_excludes(self) -> None:
        """The store's exclude file: the defaults, plus the workspace repository's own ``.git/info/exclude`` (its
        local ignores: a build folder listed there is not snapshotted either). Read as text, never run."""
        local = ""
        theirs = self.workspace / ".git" / "info" / "exclude"
        try:
            if theirs.is_file() and theirs.stat().st_size <= MAX_LOCAL_EXCLUDE_BYTES:
                local = theirs.read_text(encoding="utf-8", errors="replace")
        except OSError:
            local = ""
        wanted = "".join(f"{p}\n" for p in DEFAULT_EXCLUDES)
        if local.strip():
            wanted += f"# from {theirs}\n{local.rstrip()}\n"
        target = self.git_dir / "info" / "exclude"
        try:
            if target.read_text(encoding="utf-8", errors="replace") == wanted:
                return
        except OSError:
            pass
        target.write_text(wanted, encoding="utf-8")

    def _snapshot(self, session_id: str, message: str) -> Snapshot:
        self._sync_excludes()
        listing = self._git("ls-files", "-z", "-m", "-o", "-d", "--exclude-standard")
        paths = sorted({p for p in listing.decode("utf-8", "surrogateescape").split("\0") if p})
        if len(paths) > MAX_NEW_FILES:
            raise CheckpointError(
                f"{len(paths)} files changed since the last checkpoint (more than {MAX_NEW_FILES}): not taken"
            )
        update: list[str] = []
        skipped: list[str] = []
        drop: list[str] = []
        modes = self._load_modes()
        old_modes = dict(modes)
        for rel in paths:
            if rel.endswith("/"):  # a git repository of its own inside the workspace: not covered, and said so
                skipped.append(rel)
                continue
            modes.pop(rel, None)
            try:
                st = self._lstat(rel)
            except OSError:
                drop.append(rel)  # deleted, or now below a symlink
                continue
            if stat.S_ISREG(st.st_mode) and st.st_size > self.max_file_bytes:
                skipped.append(rel)
                drop.append(rel)
            elif stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
                update.append(rel)
                perms = stat.S_IMODE(st.st_mode)
                if stat.S_ISREG(st.st_mode) and perms != default_perms(bool(st.st_mode & stat.S_IXUSR)):
                    modes[rel] = perms
        if modes != old_modes:
            self._save_modes(modes)
        if drop:
            data = "\0".join(drop).encode("utf-8", "surrogateescape") + b"\0"
            self._git("update-index", "-z", "--force-remove", "--stdin", stdin=data)
        if update:
            data = "\0".join(update).encode("utf-8", "surrogateescape") + b"\0"
            self._git("update-index", "-z", "--add", "--replace", "--stdin", stdin=data)
        tree = self._git("write-tree").decode().strip()
        ref = REF_PREFIX + session_id
        parent = self._git("rev-parse", "-q", "--verify", ref + "^{commit}", check=False).decode().strip()
        skipped_t = tuple(sorted(set(skipped)))
        if parent:
            head = self._git("cat-file", "commit", parent).decode("utf-8", "replace")
            if head.startswith(f"tree {tree}\n") and _skipped_of(head) == skipped_t and _modes_of(head) == modes:
                return Snapshot(parent, skipped_t)
        notes = {"workspace": str(self.workspace), "skipped": list(skipped_t), "modes": dict(sorted(modes.items()))}
        body = message + "\n\n" + json.dumps(notes)
        args = ["commit-tree", tree, "-m", body]
        if parent:
            args += ["-p", parent]
        commit = self._git(*args).decode().strip()
        self._git("update-ref", ref, commit)
        return Snapshot(commit, skipped_t)

    def _lstat(self, rel: str) -> os.stat_result:
        """``lstat`` of a workspace path whose folders are real folders (not symlinks): else ENOENT."""
        parent = os.path.dirname(rel)
        if parent and os.path.realpath(os.path.join(self.workspace, parent)) != os.path.join(self.workspace, parent):
            raise FileNotFoundError(errno.ENOENT, "below a symlink", rel)
        return os.lstat(os.path.join(self.workspace, rel))

    def _load_modes(self) -> dict[str, int]:
        try:
            data = json.loads((self.root / "modes.json").read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): int(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _save_modes(self, modes: dict[str, int]) -> None:
        tmp = self.root / "modes.json.tmp"
        tmp.write_text(json.dumps(modes), "utf-8")
        os.replace(tmp, self.root / "modes.json")

    def skipped(self, commit: str) -> tuple[str, ...]:
        with self._locked():
            return _skipped_of(self._git("cat-file", "commit", commit).decode("utf-8", "replace"))

    def modes(self, commit: str) -> dict[str, int]:
        """Permission bits of the files of ``commit`` whose bits are not the default for their kind."""
        with self._locked():
            return _modes_of(self._git("cat-file", "commit", commit).decode("utf-8", "replace"))

    def exists(self, commit: str) -> bool:
        """True when ``commit`` is in the store (not pruned)."""
        self._ensure()
        try:
            self._git("cat-file", "-e", commit + "^{commit}")
        except CheckpointError:
            return False
        return True

    # --- comparing and restoring ------------------------------------------------------------
    def changes(self, before: str, after: str) -> list[Change]:
        """Paths that differ between two snapshots, with both sides."""
        with self._locked():
            return self._changes(before, after)

    def _changes(self, before: str, after: str) -> list[Change]:
        raw = self._git("diff-tree", "-r", "-z", "--no-renames", "--raw", "--no-ext-diff", before, after)
        fields_ = raw.decode("utf-8", "surrogateescape").split("\0")
        out: list[Change] = []
        i = 0
        while i + 1 < len(fields_):
            meta, rel = fields_[i], fields_[i + 1]
            i += 2
            if not meta.startswith(":"):
                continue
            mode_a, mode_b, blob_a, blob_b, _status = meta[1:].split(" ")
            a = None if mode_a == "000000" else Entry(mode_a, blob_a)
            b = None if mode_b == "000000" else Entry(mode_b, blob_b)
            out.append(Change(rel, a, b))
        return out

    def entries(self, commit: str, paths: Sequence[str]) -> dict[str, Entry]:
        """The entries of ``paths`` in ``commit`` (absent paths are left out)."""
        with self._locked():
            return self._entries(commit, paths)

    def _entries(self, commit: str, paths: Sequence[str]) -> dict[str, Entry]:
        if not paths:
            return {}
        out: dict[str, Entry] = {}
        chunk = 500
        for start in range(0, len(paths), chunk):
            raw = self._git("ls-tree", "-r", "-z", "--full-tree", commit, "--", *paths[start : start + chunk])
            for line in raw.decode("utf-8", "surrogateescape").split("\0"):
                if not line:
                    continue
                meta, _, rel = line.partition("\t")
                mode, kind, blob = meta.split(" ")
                if kind == "blob":
                    out[rel] = Entry(mode, blob)
        return out

    def restore(self, targets: dict[str, Entry | None], perms: dict[str, int] | None = None) -> RestoreResult:
        """Make each path what ``targets`` says: the entry's bytes and mode, or absent (None); a regular
        file gets its bits from ``perms`` or else the default for its kind."""
        perms = perms or {}
        with self._locked():
            blobs = self._blobs({e.blob for e in targets.values() if e is not None})
            result = RestoreResult()
            root = os.open(self.workspace, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                # removals first (deepest first) so a folder the turn created can give way to a file
                for rel in sorted((p for p, e in targets.items() if e is None), key=lambda p: -p.count("/")):
                    try:
                        if _remove(root, rel):
                            result.deleted.append(rel)
                    except OSError as exc:
                        result.failed.append((rel, exc.strerror or str(exc)))
                for rel, entry in sorted(targets.items()):
                    if entry is None:
                        continue
                    try:
                        existed = _write(root, rel, entry, blobs[entry.blob], perms.get(rel))
                        (result.restored if existed else result.created).append(rel)
                    except OSError as exc:
                        result.failed.append((rel, exc.strerror or str(exc)))
            finally:
                os.close(root)
            return result

    def _blobs(self, ids: set[str]) -> dict[str, bytes]:
        if not ids:
            return {}
        order = sorted(ids)
        raw = self._git("cat-file", "--batch", stdin=("\n".join(order) + "\n").encode())
        out: dict[str, bytes] = {}
        pos = 0
        for blob in order:
            nl = raw.index(b"\n", pos)
            header = raw[pos:nl].split(b" ")
            if len(header) != 3:
                raise CheckpointError(f"the checkpoint store lacks object {blob} (pruned?)")
            size = int(header[2])
            out[blob] = raw[nl + 1 : nl + 1 + size]
            pos = nl + 1 + size + 1
        return out

    # --- pruning -------------------------------------------------------------------------
    def sessions(self) -> list[tuple[str, float]]:
        """(session id, time of its last checkpoint) for every session with checkpoints, oldest first."""
        with self._locked():
            return self._sessions()

    def _sessions(self) -> list[tuple[str, float]]:
        raw = self._git("for-each-ref", "--format=%(refname) %(committerdate:unix)", REF_PREFIX)
        out = []
        for line in raw.decode().splitlines():
            name, _, when = line.partition(" ")
            out.append((name.removeprefix(REF_PREFIX), float(when or 0)))
        out.sort(key=lambda pair: pair[1])
        return out

    def size_bytes(self) -> int:
        total = 0
        for folder, _dirs, files in os.walk(self.git_dir / "objects"):
            for name in files:
                with contextlib.suppress(OSError):
                    total += os.lstat(os.path.join(folder, name)).st_size
        return total

    def prune(self, *, max_age_days: float, max_bytes: int, keep: frozenset[str] = frozenset()) -> list[str]:
        """Forget sessions whose last checkpoint is older than ``max_age_days``, then the oldest ones while the
        store is larger than ``max_bytes`` (never those in ``keep``); returns the session ids dropped."""
        with self._locked():
            dropped: list[str] = []
            now = self.clock()
            sessions = self._sessions()
            for sid, when in sessions:
                if sid not in keep and max_age_days > 0 and now - when > max_age_days * 86400:
                    self._git("update-ref", "-d", REF_PREFIX + sid)
                    dropped.append(sid)
            if dropped:
                self._gc()
            elif len(list((self.git_dir / "objects" / "pack").glob("*.pack"))) > MAX_PACKS:
                self._git("repack", "-a", "-d", "-q", check=False)  # one pack per snapshot adds up
            if max_bytes > 0:
                for sid, _when in sessions:
                    if sid in dropped or sid in keep or self.size_bytes() <= max_bytes:
                        continue
                    self._git("update-ref", "-d", REF_PREFIX + sid)
                    dropped.append(sid)
                    self._gc()
            return dropped

    def _gc(self) -> None:
        self._git("reflog", "expire", "--expire=now", "--all", check=False)
        self._git("gc", "-q", "--prune=now", check=False)


def _notes_of(commit_text: str) -> dict[str, Any]:
    _, _, message = commit_text.partition("\n\n")
    last = message.rstrip("\n").rsplit("\n", 1)[-1]
    try:
        data = json.loads(last)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _listing(paths: list[str]) -> str:
    return ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


def _skipped_of(commit_text: str) -> tuple[str, ...]:
    skipped = _notes_of(commit_text).get("skipped")
    return tuple(str(p) for p in skipped) if isinstance(skipped, list) else ()


def _modes_of(commit_text: str) -> dict[str, int]:
    modes = _notes_of(commit_text).get("modes")
    return {str(k): int(v) for k, v in modes.items()} if isinstance(modes, dict) else {}


_UMASK: int | None = None


def default_perms(executable: bool) -> int:
    """The permission bits a new file gets under this process's umask."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return (0o777 if executable else 0o666) & ~_UMASK


# --- writing through directory descriptors -----------------------------------------------------
def _open_dir(root: int, parts: Sequence[str], *, create: bool) -> int:
    """A descriptor of the folder ``parts`` under ``root``, never following a symlink. With ``create``,
    missing folders are made and a file or symlink in the way is replaced by a folder."""
    fd = os.dup(root)
    try:
        for name in parts:
            try:
                nxt = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            except OSError as exc:
                if not create or exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
                    raise
                if exc.errno != errno.ENOENT:
                    os.unlink(name, dir_fd=fd)
                os.mkdir(name, 0o777, dir_fd=fd)
                nxt = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = nxt
        return fd
    except BaseException:
        os.close(fd)
        raise


def _remove(root: int, rel: str) -> bool:
    """Remove the file or symlink ``rel``, then its folders that became empty; False if it was not there."""
    parts = rel.split("/")
    try:
        fd = _open_dir(root, parts[:-1], create=False)
    except FileNotFoundError:
        return False
    try:
        try:
            st = os.lstat(parts[-1], dir_fd=fd)
        except FileNotFoundError:
            return False
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(parts[-1], dir_fd=fd)
        else:
            os.unlink(parts[-1], dir_fd=fd)
    finally:
        os.close(fd)
    for depth in range(len(parts) - 1, 0, -1):  # folders the turn made, now empty
        try:
            parent = _open_dir(root, parts[: depth - 1], create=False)
        except OSError:
            break
        try:
            os.rmdir(parts[depth - 1], dir_fd=parent)
        except OSError:
            break
        finally:
            os.close(parent)
    return True


def _write(root: int, rel: str, entry: Entry, data: bytes, perms: int | None) -> bool:
    """Write ``data`` at ``rel`` with the entry's mode (atomically, by rename); True if something was there."""
    parts = rel.split("/")
    fd = _open_dir(root, parts[:-1], create=True)
    name = parts[-1]
    tmp = f".{name}.codex-py-restore-{os.getpid()}"
    try:
        try:
            old = os.lstat(name, dir_fd=fd)
        except FileNotFoundError:
            old = None
        if old is not None and stat.S_ISDIR(old.st_mode):
            shutil.rmtree(name, dir_fd=fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=fd)
        if entry.mode == "120000":
            os.symlink(data, tmp, dir_fd=fd)
        else:
            if perms is None:
                perms = default_perms(entry.mode == "100755")
            out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=fd)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(out, view) :]
                os.fchmod(out, perms)
            finally:
                os.close(out)
        os.rename(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
        return old is not None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=fd)
        raise
    finally:
        os.close(fd)


# --- the turn loop's side ----------------------------------------------------------------------
PRUNE_EVERY_S = 24 * 3600.0


class TurnCheckpointer:
    """Snapshots around a session's turns: ``before`` when a turn is about to change anything, ``after``
    when it ends. Each is recorded in the rollout as a ``checkpoint`` event (``turn_id``, ``before``,
    ``after``, ``skipped``). Every method returns notices for the user (never raises)."""

    def __init__(
        self,
        store: CheckpointStore,
        session_id: str,
        record: Callable[[str, dict[str, Any]], None],
        *,
        max_age_days: float = 30,
        max_store_bytes: int = 2 * 1024 * 1024 * 1024,
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.record = record
        self.max_age_days = max_age_days
        self.max_store_bytes = max_store_bytes
        self._turn: str | None = None
        self._before: Snapshot | None = None
        self._told: set[str] = set()
        self._broken = False

    def before(self, turn_id: str) -> list[str]:
        """Snapshot before the turn's first change (once per turn)."""
        if self._broken or self._turn == turn_id:
            return []
        self._turn = turn_id
        notes = self._maybe_prune()
        try:
            snap = self.store.snapshot(self.session_id, f"before turn {turn_id}")
        except (CheckpointError, OSError) as exc:
            self._broken = True
            return [*notes, f"Checkpoints are off for this session: {exc}. `codex-py undo` cannot restore its files."]
        self._before = snap
        self.record(
            "checkpoint", {"turn_id": turn_id, "before": snap.commit, "after": None, "skipped": list(snap.skipped)}
        )
        return notes + self._skipped_notes(snap)

    def after(self, turn_id: str) -> list[str]:
        """Snapshot at the end of a turn that took a ``before`` one."""
        if self._turn != turn_id or self._before is None:
            return []
        before, self._before = self._before, None
        try:
            snap = self.store.snapshot(self.session_id, f"after turn {turn_id}")
        except (CheckpointError, OSError) as exc:
            return [f"The checkpoint after this turn failed: {exc}"]
        self.record(
            "checkpoint",
            {"turn_id": turn_id, "before": before.commit, "after": snap.commit, "skipped": list(before.skipped)},
        )
        return self._skipped_notes(snap)

    def _skipped_notes(self, snap: Snapshot) -> list[str]:
        new = [p for p in snap.skipped if p not in self._told]
        self._told.update(new)
        if not new:
            return []
        notes = []
        repos = [p for p in new if p.endswith("/")]
        if repos:
            notes.append(
                f"Not checkpointed (a git repository of its own inside the workspace; undo will not restore its "
                f"files): {_listing(repos)}"
            )
        big = [p for p in new if not p.endswith("/")]
        if big:
            limit = _size_text(self.store.max_file_bytes)
            notes.append(f"Not checkpointed (larger than {limit}; undo will not restore them): {_listing(big)}")
        return notes

    def _maybe_prune(self) -> list[str]:
        stamp = self.store.root / "pruned"
        try:
            if time.time() - stamp.stat().st_mtime < PRUNE_EVERY_S:
                return []
        except OSError:
            pass
        try:
            dropped = self.store.prune(
                max_age_days=self.max_age_days, max_bytes=self.max_store_bytes, keep=frozenset({self.session_id})
            )
            stamp.touch()
        except (CheckpointError, OSError) as exc:
            log.warning("pruning checkpoints failed: %s", exc)
            return []
        if dropped:
            log.info("pruned the checkpoints of %d old session(s) in %s", len(dropped), self.store.root)
        return []


def _size_text(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"
