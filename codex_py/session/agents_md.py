"""AGENTS.md: the user's standing instructions, global and per repository.

Order: the global file in the home, then one file per folder from the repository root (the
nearest ancestor of the cwd with ``.git``; the cwd alone outside a repository) down to the cwd.
In each folder, the home included, ``AGENTS.override.md`` wins over ``AGENTS.md`` (as in Codex), which wins
over the ``project_doc_fallback_filenames`` (e.g. ``CLAUDE.md``) in their order: one file per folder. Each file gets a
header naming it; the joined text is capped at ``project_doc_max_bytes`` with a note when cut
(0 turns AGENTS.md off). Each file is read only up to that cap, and only when it is a regular file
(a FIFO would block every start, a huge sparse file would be read whole).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from codex_py.config import Config, Paths
from codex_py.session.git import find_repo_root

log = logging.getLogger(__name__)

FILENAMES = ("AGENTS.override.md", "AGENTS.md")


def _read(path: Path, cap: int) -> tuple[str, int] | None:
    """The file's text (its first ``cap`` bytes, stripped) and its size; None when missing, empty or not regular."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            log.warning("ignoring %s: not a regular file", path)
            return None
        chunks: list[bytes] = []
        got = 0
        while got < cap and (chunk := os.read(fd, cap - got)):
            chunks.append(chunk)
            got += len(chunk)
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None
    finally:
        os.close(fd)
    text = b"".join(chunks).decode("utf-8", errors="replace").strip()
    return (text, max(info.st_size, got)) if text else None


def _names(fallbacks: Sequence[str] = ()) -> list[str]:
    """``FILENAMES`` then the configured fallbacks (blanks dropped, duplicates ignored, as Codex does)."""
    names = list(FILENAMES)
    for raw in fallbacks:
        name = raw.strip()
        if name and name not in names and "/" not in name:
            names.append(name)
    return names


def _pick(folder: Path, fallbacks: Sequence[str] = ()) -> Path | None:
    """The AGENTS file that counts in ``folder`` (the override first, then AGENTS.md, then the
    ``project_doc_fallback_filenames`` in order), if any."""
    for name in _names(fallbacks):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def project_doc_paths(cwd: Path, fallbacks: Sequence[str] = ()) -> list[Path]:
    """The per-folder AGENTS files that apply in ``cwd``, root first."""
    root = find_repo_root(cwd) or cwd
    folders = [cwd]
    if root != cwd:
        folders.extend(p for p in cwd.parents if p == root or root in p.parents)
    return [path for folder in reversed(folders) if (path := _pick(folder, fallbacks)) is not None]


def load_project_docs(config: Config, paths: Paths) -> str | None:
    """The joined AGENTS.md text for ``config.cwd`` (see module docstring), or None when there is none."""
    cap = config.project_doc_max_bytes
    if cap <= 0:
        return None
    sections: list[str] = []
    seen: set[Path] = set()
    unread = 0  # bytes of the files past the cap, never read
    fallbacks = config.project_doc_fallback_filenames
    global_doc = _pick(paths.config_dir, fallbacks)
    for path in [*([global_doc] if global_doc else []), *project_doc_paths(config.cwd, fallbacks)]:
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        read = _read(path, cap)
        if read is not None:
            text, size = read
            sections.append(f"## {path}\n\n{text}")
            unread += max(0, size - cap)
    if not sections:
        return None
    joined = "\n\n".join(sections)
    data = joined.encode("utf-8")
    if len(data) <= cap and not unread:
        return joined
    kept = data[:cap].decode("utf-8", errors="ignore").rstrip()
    return (
        f"{kept}\n\n[AGENTS.md instructions cut: {cap} of {len(data) + unread} bytes shown "
        "(raise project_doc_max_bytes to include more)]"
    )
