"""Workspace files for ``@`` completion: ``git ls-files`` in a repository (so .gitignore is
respected; run through ``sandbox.git.run_git``, so none of the repository's configured programs run
unconfined), a bounded walk elsewhere; and a small fuzzy matcher."""

from __future__ import annotations

import os
from pathlib import Path

MAX_FILES = 50_000
SKIP_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache", ".ruff_cache", "target"})


def list_files(root: Path) -> list[str]:
    """Relative paths of the files under ``root`` (tracked and untracked-but-not-ignored in git)."""
    from codex_py.sandbox.git import run_git

    proc = run_git(root, ["ls-files", "--cached", "--others", "--exclude-standard", "-z"])
    if proc is not None and proc.returncode == 0:
        names = [n for n in proc.stdout.decode("utf-8", "replace").split("\0") if n]
        return sorted(set(names))[:MAX_FILES]
    return _walk(root)


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        rel = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            found.append(name if rel == "." else f"{rel}/{name}")
            if len(found) >= MAX_FILES:
                return found
    return found


def fuzzy_score(query: str, path: str) -> int | None:
    """A score (higher is better) if ``query``'s characters appear in order in ``path``, else None.

    Matches in the file name, at word starts and in runs score higher; shorter paths win ties.
    """
    if not query:
        return -len(path)
    q = query.lower()
    p = path.lower()
    base = p.rfind("/") + 1
    score = 0
    pos = 0
    prev = -2
    for ch in q:
        found = p.find(ch, pos)
        if found < 0:
            return None
        score += 1
        if found == prev + 1:
            score += 5
        if found >= base:
            score += 2
        if found == 0 or p[found - 1] in "/_-. ":
            score += 3
        prev = found
        pos = found + 1
    if q in p[base:]:
        score += 20
    return score * 100 - len(path)


def fuzzy_match(query: str, paths: list[str], limit: int = 20) -> list[str]:
    """The ``limit`` best matches of ``query`` among ``paths``, best first."""
    scored: list[tuple[int, str]] = []
    for path in paths:
        score = fuzzy_score(query, path)
        if score is not None:
            scored.append((score, path))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [path for _, path in scored[:limit]]
