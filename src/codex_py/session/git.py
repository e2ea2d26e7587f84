"""Just enough git, read straight from ``.git`` (no subprocess): the repository root, branch and commit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


def _git_dir(root: Path) -> Path | None:
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    try:  # worktrees and submodules: a file "gitdir: <path>"
        text = dot_git.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    target = Path(text[len("gitdir:") :].strip())
    return target if target.is_absolute() else (root / target).resolve()


def _resolve_ref(git_dir: Path, ref: str) -> str | None:
    common = git_dir
    try:
        rel = (git_dir / "commondir").read_text(encoding="utf-8").strip()
        common = (git_dir / rel).resolve()
    except OSError:
        pass
    for base in (git_dir, common):
        try:
            return (base / ref).read_text(encoding="utf-8").strip() or None
        except OSError:
            continue
    try:
        packed = (common / "packed-refs").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in packed.splitlines():
        sha, _, name = line.partition(" ")
        if name == ref:
            return sha
    return None


def read_git_info(cwd: Path) -> GitInfo | None:
    """Branch and commit of the repository containing ``cwd``, or None outside a repository."""
    root = find_repo_root(cwd)
    if root is None:
        return None
    git_dir = _git_dir(root)
    if git_dir is None:
        return None
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if head.startswith("ref:"):
        ref = head[4:].strip()
        branch = ref.removeprefix("refs/heads/")
        return GitInfo(branch, _resolve_ref(git_dir, ref))
    return GitInfo(None, head or None)
