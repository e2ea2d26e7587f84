"""Just enough git, read straight from ``.git`` (no subprocess): the repository root, branch and commit.

No git program runs here (a repository's configuration can name programs; see ``sandbox.git`` for the
git calls codex-py does make). Every read is of a regular file only and capped: a FIFO, device or huge
file at ``.git/HEAD`` (which a sandboxed command may create) gives "unknown" instead of a hang.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_SMALL = 4096
"""The most read from ``HEAD``, a loose ref, ``commondir`` or a ``.git`` file (each is one short line)."""
_PACKED_REFS_MAX = 64 * 1024 * 1024
"""The most of ``packed-refs`` scanned for a branch."""
_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class GitInfo:
    branch: str | None
    """None when HEAD is detached."""
    commit: str | None
    """None in a repository without commits."""


def find_repo_root(start: Path) -> Path | None:
    """The nearest ancestor of ``start`` (itself included) holding a ``.git`` entry, or None."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _open_regular(path: Path) -> int | None:
    """A read-only descriptor of ``path`` if it is a regular file; None otherwise (never blocks on a FIFO)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def read_small(path: Path, limit: int = _SMALL) -> str | None:
    """The stripped text of a regular file of at most ``limit`` bytes; None if missing, not regular or bigger."""
    fd = _open_regular(path)
    if fd is None:
        return None
    try:
        data = os.read(fd, limit + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > limit:
        return None
    return data.decode("utf-8", "replace").strip()


def _lines(path: Path, limit: int) -> Iterator[str]:
    """The lines of a regular file, stopping after ``limit`` bytes."""
    fd = _open_regular(path)
    if fd is None:
        return
    with open(fd, "rb") as fh:
        seen = 0
        for raw in fh:
            seen += len(raw)
            if seen > limit:
                return
            yield raw.decode("utf-8", "replace").rstrip("\r\n")


def _git_dir(root: Path) -> Path | None:
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    text = read_small(dot_git)  # worktrees and submodules: a file "gitdir: <path>"
    if text is None or not text.startswith("gitdir:"):
        return None
    target = Path(text[len("gitdir:") :].strip())
    return target if target.is_absolute() else (root / target).resolve()


def _resolve_ref(git_dir: Path, ref: str) -> str | None:
    if ".." in Path(ref).parts or Path(ref).is_absolute():
        return None
    common = git_dir
    rel = read_small(git_dir / "commondir")
    if rel:
        common = (git_dir / rel).resolve()
    for base in (git_dir, common):
        value = read_small(base / ref)
        if value is not None:
            return _object_id(value)
    for line in _lines(common / "packed-refs", _PACKED_REFS_MAX):
        sha, _, name = line.partition(" ")
        if name == ref:
            return _object_id(sha)
    return None


def _object_id(text: str) -> str | None:
    """``text`` if it is a full SHA-1 or SHA-256 object id (so nothing else is ever recorded as a commit)."""
    return text if _OBJECT_ID.fullmatch(text) else None


def read_git_info(cwd: Path) -> GitInfo | None:
    """Branch and commit of the repository containing ``cwd``, or None outside a repository (or unreadable)."""
    root = find_repo_root(cwd)
    if root is None:
        return None
    git_dir = _git_dir(root)
    if git_dir is None:
        return None
    head = read_small(git_dir / "HEAD")
    if head is None:
        return None
    if head.startswith("ref:"):
        ref = head[4:].strip()
        branch = ref.removeprefix("refs/heads/")
        return GitInfo(branch, _resolve_ref(git_dir, ref))
    return GitInfo(None, _object_id(head))


def irregular_head(cwd: Path) -> Path | None:
    """The repository's ``HEAD`` when it exists but is not a regular file (git itself would block forever
    reading a FIFO there), else None (also outside a repository)."""
    root = find_repo_root(cwd)
    git_dir = _git_dir(root) if root is not None else None
    if git_dir is None:
        return None
    try:
        mode = os.stat(git_dir / "HEAD").st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else git_dir / "HEAD"
