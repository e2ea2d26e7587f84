"""Write a verified plan to disk: deletions, then writes, each atomic; roll back on any failure.

Every path here is a real path judged by the applier. Each step opens the parent directory with
:func:`fs.open_dir` (no symlink followed anywhere on the way) and acts inside it with ``*at`` calls,
so a folder swapped for a symlink meanwhile fails the step instead of sending it outside.

A write goes to a temporary file beside the target and is renamed over it, so a reader never sees
half a file. What was there is kept as a hard link (a deleted file: renamed) under a hidden name in
the same directory; if a later step fails, the earlier ones are undone in reverse order (the kept
entries renamed back, directories made by the patch removed); on success the kept entries go.
Where the file system has no hard links, the old bytes (at most ``READ_MAX_BYTES``) are kept instead.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from codex_py.tools.apply_patch import fs
from codex_py.tools.apply_patch.parser import PatchError


@dataclass(slots=True)
class Op:
    """Write ``data`` to ``path`` (``data is None``: remove the directory entry at ``path``)."""

    path: Path
    data: bytes | None
    mode: int | None = None
    """Permission bits for the written file; ``None`` keeps the existing file's, or the umask default."""


@dataclass(slots=True)
class _Saved:
    """How to put ``parent/name`` back: rename ``kept`` over it, rewrite ``data``, or remove it."""

    parent: str
    name: str
    kept: str | None = None
    data: bytes | None = None
    mode: int | None = None


def io_reason(exc: OSError) -> str:
    """An OS error the way Rust prints it (``No such file or directory (os error 2)``)."""
    if exc.errno is not None and exc.strerror:
        return f"{exc.strerror} (os error {exc.errno})"
    return str(exc)


def _hidden(name: str, what: str) -> str:
    return f".{name[:180]}.{os.urandom(4).hex()}.{what}"


def write_at(dirfd: int, name: str, data: bytes, mode: int | None) -> None:
    """Write ``data`` to a temp file in ``dirfd`` and rename it over ``name``."""
    tmp = _hidden(name, "tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666, dir_fd=dirfd)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if mode is not None:
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=dirfd, dst_dir_fd=dirfd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dirfd)
        except OSError:
            pass
        raise


def _keep(dirfd: int, parent: str, name: str, *, move: bool) -> tuple[_Saved, int | None]:
    """Keep what is at ``name`` for a rollback (``move``: rename it away); also return its permission bits."""
    info = fs.entry(dirfd, name)
    if info is None:
        if move:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory")
        return _Saved(parent, name), None
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory")
    kept = _hidden(name, "orig")
    if move:
        os.rename(name, kept, src_dir_fd=dirfd, dst_dir_fd=dirfd)
        return _Saved(parent, name, kept=kept), None
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, f"Invalid argument: {fs.NotRegular(info.st_mode)}")
    mode = stat.S_IMODE(info.st_mode)
    try:
        os.link(name, kept, src_dir_fd=dirfd, dst_dir_fd=dirfd, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS):
            raise
        try:
            data, _ = fs.read_at(dirfd, name)
        except fs.Refused as refused:
            raise OSError(errno.EFBIG, f"cannot keep a copy to roll back: {refused}") from refused
        return _Saved(parent, name, data=data, mode=mode), mode
    return _Saved(parent, name, kept=kept), mode


def commit(ops: list[Op]) -> None:
    """Carry out ``ops`` (deletions first), or leave every path as it was and raise ``PatchError``.

    The directories stay open until the end, so a rollback undoes each step in the directory it was
    made in, wherever a swap has moved it meanwhile.
    """
    dirs: dict[str, int] = {}
    done: list[_Saved] = []
    created: list[tuple[int, str]] = []
    ordered = [op for op in ops if op.data is None] + [op for op in ops if op.data is not None]
    try:
        for op in ordered:
            parent, name = str(op.path.parent), op.path.name
            try:
                dirfd = dirs.get(parent)
                if dirfd is None:
                    dirfd = dirs[parent] = fs.open_dir(parent, None if op.data is None else created)
                saved, mode = _keep(dirfd, parent, name, move=op.data is None)
                done.append(saved)
                if op.data is not None:
                    write_at(dirfd, name, op.data, op.mode if op.mode is not None else mode)
            except OSError as exc:
                verb = "delete" if op.data is None else "write"
                cause = f"Failed to {verb} file {op.path}: {io_reason(exc)}"
                if isinstance(exc, NotADirectoryError) and os.path.islink(_first_link(op.path.parent)):
                    cause += f" ({_first_link(op.path.parent)} was replaced by a symlink while the patch was applied)"
                left = _rollback(done, created, dirs)
                if left:
                    raise PatchError(f"{cause}; rolling back failed, these may be changed: {', '.join(left)}") from exc
                raise PatchError(f"{cause}; the earlier changes were rolled back, so no files were modified") from exc
        for saved in done:
            if saved.kept is not None:
                try:
                    os.unlink(saved.kept, dir_fd=dirs[saved.parent])
                except OSError:
                    pass
    finally:
        for fd in [*dirs.values(), *(fd for fd, _ in created)]:
            os.close(fd)


def _first_link(path: Path) -> Path:
    """The first symlink on ``path``, or ``path`` itself: to name a folder swapped during the write."""
    for ancestor in [*reversed(path.parents), path]:
        if os.path.islink(ancestor):
            return ancestor
    return path


def _restore(saved: _Saved, dirfd: int) -> None:
    if saved.kept is not None:
        os.replace(saved.kept, saved.name, src_dir_fd=dirfd, dst_dir_fd=dirfd)
    elif saved.data is not None:
        write_at(dirfd, saved.name, saved.data, saved.mode)
    elif fs.entry(dirfd, saved.name) is not None:
        os.unlink(saved.name, dir_fd=dirfd)


def _rollback(done: list[_Saved], created: list[tuple[int, str]], dirs: dict[str, int]) -> list[str]:
    """Undo ``done`` in reverse; return the paths that could not be restored."""
    left: list[str] = []
    for saved in reversed(done):
        try:
            _restore(saved, dirs[saved.parent])
        except OSError:
            left.append(os.path.join(saved.parent, saved.name))
    for parent_fd, name in reversed(created):
        try:
            os.rmdir(name, dir_fd=parent_fd)
        except OSError:
            pass
    return left
