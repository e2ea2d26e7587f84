"""Write a verified plan to disk: deletions, then writes, each atomic; roll back on any failure.

Every write goes to a temporary file beside the target and is moved over it with ``os.replace``,
so a reader never sees half a file. Before touching a path the writer keeps what was there
(bytes and mode, a symlink's target, or nothing); if a later step fails, the earlier ones are
undone in reverse order and directories it created are removed again.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

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
    path: Path
    data: bytes | None = None
    mode: int | None = None
    link: str | None = None
    existed: bool = False


def io_reason(exc: OSError) -> str:
    """An OS error the way Rust prints it (``No such file or directory (os error 2)``)."""
    if exc.errno is not None and exc.strerror:
        return f"{exc.strerror} (os error {exc.errno})"
    return str(exc)


def _save(path: Path) -> _Saved:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return _Saved(path)
    if stat.S_ISLNK(info.st_mode):
        return _Saved(path, link=os.readlink(path), existed=True)
    return _Saved(path, path.read_bytes(), stat.S_IMODE(info.st_mode), existed=True)


def write_atomic(path: Path, data: bytes, mode: int | None) -> None:
    """Write ``data`` to a temp file next to ``path`` and move it into place."""
    tmp = path.with_name(f".{path.name[:180]}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if mode is not None:
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _make_parents(path: Path, created: list[Path]) -> None:
    missing: list[Path] = []
    parent = path.parent
    while not os.path.lexists(parent):
        missing.append(parent)
        parent = parent.parent
    for directory in reversed(missing):
        os.mkdir(directory)
        created.append(directory)


def _restore(saved: _Saved) -> None:
    if not saved.existed:
        if os.path.lexists(saved.path):
            os.unlink(saved.path)
    elif saved.link is not None:
        if os.path.lexists(saved.path):
            os.unlink(saved.path)
        os.symlink(saved.link, saved.path)
    else:
        write_atomic(saved.path, saved.data or b"", saved.mode)


def commit(ops: list[Op]) -> None:
    """Carry out ``ops`` (deletions first), or leave every path as it was and raise ``PatchError``."""
    done: list[_Saved] = []
    created: list[Path] = []
    ordered = [op for op in ops if op.data is None] + [op for op in ops if op.data is not None]
    for op in ordered:
        try:
            saved = _save(op.path)
            if op.data is None:
                os.unlink(op.path)
            else:
                _make_parents(op.path, created)
                mode = op.mode if op.mode is not None else saved.mode
                write_atomic(op.path, op.data, mode)
            done.append(saved)
        except OSError as exc:
            verb = "delete" if op.data is None else "write"
            cause = f"Failed to {verb} file {op.path}: {io_reason(exc)}"
            left = _rollback(done, created)
            if left:
                raise PatchError(f"{cause}; rolling back failed, these may be changed: {', '.join(left)}") from exc
            raise PatchError(f"{cause}; the earlier changes were rolled back, so no files were modified") from exc


def _rollback(done: list[_Saved], created: list[Path]) -> list[str]:
    """Undo ``done`` in reverse; return the paths that could not be restored."""
    left: list[str] = []
    for saved in reversed(done):
        try:
            _restore(saved)
        except OSError:
            left.append(str(saved.path))
    for directory in reversed(created):
        try:
            os.rmdir(directory)
        except OSError:
            pass
    return left
