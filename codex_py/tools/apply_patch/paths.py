"""Resolve patch paths against the workspace and keep them inside it unless allowed."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from codex_py.tools.apply_patch.parser import PatchError


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


RESOLVE_ATTEMPTS = 20
"""Reads of a path whose folders keep changing (``EINVAL`` from a symlink swapped mid-read) before it is refused."""


class Workspace:
    """The directory a patch applies in; ``allow_outside`` lifts the containment checks."""

    __slots__ = ("allow_outside", "real_root", "root")

    def __init__(self, cwd: Path, *, allow_outside: bool = False) -> None:
        self.root = os.path.abspath(cwd)
        self.real_root = os.path.realpath(self.root)
        self.allow_outside = allow_outside

    def lexical(self, raw: str, line: int = 0) -> Path:
        """``raw`` made absolute against the workspace and normalised, without touching the disk."""
        if "\0" in raw:
            where = f" on line {line}" if line else ""
            raise PatchError(f"Invalid patch hunk{where}: the file path {raw!r} contains a NUL character")
        return Path(os.path.normpath(os.path.join(self.root, raw)))

    def resolve(self, raw: str, line: int, *, follow_last: bool = True) -> tuple[Path, Path]:
        """The absolute path for ``raw`` and the real path the patch acts on; refuses paths leaving the workspace.

        The real path is what is judged here and what the writer later walks without following
        symlinks, so the two cannot differ. ``follow_last=False`` gives the directory entry itself
        (``realpath(parent)/name``: a Delete removes a symlink, not its target), otherwise where a
        write through it lands.
        """
        if not raw.strip():
            raise PatchError(f"Invalid patch hunk on line {line}: the file path is empty")
        path = self.lexical(raw, line)
        for attempt in range(RESOLVE_ATTEMPTS):
            try:
                real = Path(
                    os.path.realpath(path) if follow_last else os.path.join(os.path.realpath(path.parent), path.name)
                )
                break
            except OSError as exc:  # EINVAL: a folder on the path turned from a symlink into a folder meanwhile
                if exc.errno == errno.EINVAL and attempt + 1 < RESOLVE_ATTEMPTS:
                    continue  # a path that keeps changing is refused below; a one-off race is not the user's problem
                raise PatchError(
                    f"Failed to resolve '{raw}' (patch line {line}): {exc.strerror} (os error {exc.errno}); "
                    "a folder on the path changed while it was read, retry the patch"
                ) from exc
        if self.allow_outside:
            return path, real
        hint = "use a path inside the workspace, or ask the user to approve writing there"
        if not _within(str(path), self.root):
            raise PatchError(f"Refusing '{raw}' (patch line {line}): it is outside the workspace {self.root}; {hint}")
        if not _within(str(real), self.real_root):
            raise PatchError(
                f"Refusing '{raw}' (patch line {line}): a symlink leads it outside the workspace {self.root} "
                f"(to {real}); {hint}"
            )
        return path, real

    def display(self, path: Path) -> str:
        """``path`` relative to the workspace when inside it, else absolute."""
        return relative_display(path, self.root)


def relative_display(path: Path, root: str | Path) -> str:
    """``path`` relative to ``root`` when inside it, else the absolute path."""
    text, base = str(path), os.path.abspath(root)
    if _within(text, base):
        return os.path.relpath(text, base)
    return text
