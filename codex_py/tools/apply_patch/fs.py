"""File access for patches that decides and acts on the same directory file descriptors.

A path is judged (inside the workspace, writable) by its real path; a sandboxed process may then
swap a folder on that path for a symlink before the write. So every read and write goes through
:func:`open_dir`, which walks the judged real path from ``/`` one component at a time with
``O_NOFOLLOW``: a symlink anywhere on the way fails the walk (``ENOTDIR``) instead of being
followed, and the ``*at`` calls that follow act inside the directory that was reached, wherever it
is renamed to meanwhile. (``openat2(RESOLVE_NO_SYMLINKS)`` would do the walk in one call; the walk
works on every kernel and needs no ctypes, and a patch opens few directories.)

Only regular files are read, never more than :data:`READ_MAX_BYTES`: a FIFO would block the
open or the read forever, ``/dev/zero`` never ends.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

READ_MAX_BYTES = 10 * 1024 * 1024
"""The largest file a patch reads (to update, delete or show it)."""

_DIR = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
    stat.S_IFLNK: "a symlink",
}


class Refused(Exception):
    """A file patches do not read; ``str(e)`` says why and what to do instead."""


class NotRegular(Refused):
    def __init__(self, mode: int) -> None:
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        super().__init__(f"it is {kind}, not a regular file; patches only edit regular files")


class TooLarge(Refused):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"it is larger than the {_mib(limit)} patches read ({size} bytes); use a shell command for files this big"
        )


def _mib(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def open_dir(path: str, created: list[tuple[int, str]] | None = None) -> int:
    """An ``O_PATH`` fd of the directory at the absolute real ``path``, reached without following symlinks.

    Missing directories are made when ``created`` is given: each one is appended to it as an fd of
    its parent (the caller closes it) and its name, to remove it again. Otherwise
    ``FileNotFoundError``. A symlink on the way raises ``NotADirectoryError``.
    """
    fd = os.open("/", _DIR)
    try:
        for part in path.split("/"):
            if not part:
                continue
            try:
                step = os.open(part, _DIR, dir_fd=fd)
            except FileNotFoundError:
                if created is None:
                    raise
                os.mkdir(part, 0o777, dir_fd=fd)
                created.append((os.dup(fd), part))
                step = os.open(part, _DIR, dir_fd=fd)
            os.close(fd)
            fd = step
    except BaseException:
        os.close(fd)
        raise
    return fd


def entry(dirfd: int, name: str) -> os.stat_result | None:
    """``lstat`` of ``name`` in ``dirfd``, or None when nothing is there."""
    try:
        return os.stat(name, dir_fd=dirfd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def read_at(dirfd: int, name: str, limit: int = READ_MAX_BYTES) -> tuple[bytes, int]:
    """Bytes and permission bits of the regular file ``name`` in ``dirfd`` (never a symlink, FIFO, device)."""
    info = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
    if not stat.S_ISREG(info.st_mode):
        raise NotRegular(info.st_mode)  # checked before open: opening a device can have side effects
    fd = os.open(name, _READ, dir_fd=dirfd)
    try:
        return _read_fd(fd, limit, cut=False)[0], stat.S_IMODE(os.fstat(fd).st_mode)
    finally:
        os.close(fd)


def read_file(path: str | Path, limit: int, *, cut: bool = False) -> tuple[bytes, int]:
    """A regular file's first bytes (symlinks followed) and its size, without blocking or reading past ``limit``.

    ``cut=False`` refuses a larger file (:class:`TooLarge`); ``cut=True`` returns its first ``limit`` bytes.
    """
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise NotRegular(info.st_mode)
    fd = os.open(path, _READ & ~os.O_NOFOLLOW)
    try:
        return _read_fd(fd, limit, cut=cut)
    finally:
        os.close(fd)


def _read_fd(fd: int, limit: int, *, cut: bool) -> tuple[bytes, int]:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):  # swapped between the check and the open
        raise NotRegular(info.st_mode)
    if info.st_size > limit and not cut:
        raise TooLarge(info.st_size, limit)
    chunks: list[bytes] = []
    got = 0
    while got <= limit:
        chunk = os.read(fd, min(limit + 1 - got, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    data = b"".join(chunks)
    if got > limit:
        if not cut:
            raise TooLarge(max(got, info.st_size), limit)
        data = data[:limit]
    return data, max(got, info.st_size)
