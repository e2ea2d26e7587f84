"""Verify a whole patch against the disk, then apply it all or nothing.

Verification reads every file the patch updates or deletes and computes every new content
before anything is written; hunks see the result of earlier hunks of the same patch (an Add
then an Update of the same file works). Only then does :mod:`writer` touch the disk.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from codex_py.tools.apply_patch import fs
from codex_py.tools.apply_patch.diff import Edit, render, split_lines
from codex_py.tools.apply_patch.matcher import LineMatcher
from codex_py.tools.apply_patch.parser import AddFile, Chunk, DeleteFile, PatchError, UpdateFile, parse_patch
from codex_py.tools.apply_patch.paths import Workspace, relative_display
from codex_py.tools.apply_patch.writer import Op, commit, io_reason

ChangeKind = Literal["add", "update", "delete"]


@dataclass(slots=True)
class PlannedChange:
    """One hunk of a verified patch. ``old_text`` is also set for an Add that overwrites a file."""

    path: Path
    kind: ChangeKind
    move_to: Path | None
    old_text: str | None
    new_text: str | None
    diff: str
    """Unified diff for display, with paths relative to the workspace in its headers."""
    real: Path | None = None
    """The real path the patch acts on (a Delete: the directory entry itself, not a symlink's target)."""
    real_move_to: Path | None = None
    """The real path of ``move_to``. Judge these two: :func:`apply_patch` writes only where they say."""

    def rel(self, root: Path) -> str:
        """``path`` relative to ``root`` (the workspace) for display, or absolute when outside it."""
        return relative_display(self.path, root)


@dataclass(slots=True)
class AppliedPatch:
    """What :func:`apply_patch` did; ``summary`` is Codex's success text for the model."""

    changes: list[PlannedChange]
    summary: str


@dataclass(slots=True)
class _State:
    """A file as the patch has left it so far: ``text is None`` means deleted."""

    text: str | None
    mode: int | None = None


class _Plan:
    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self.state: dict[Path, _State] = {}
        """Files as the patch leaves them, keyed by their real path (``Workspace.resolve``)."""
        self.changes: list[PlannedChange] = []
        self.summary: dict[str, list[str]] = {"A": [], "M": [], "D": []}

    def current(self, path: Path) -> _State | None:
        """The file at ``path`` as earlier hunks left it, read from disk when untouched."""
        known = self.state.get(path)
        if known is not None:
            return known
        try:
            dirfd = fs.open_dir(str(path.parent))
        except FileNotFoundError:
            return None
        try:
            info = fs.entry(dirfd, path.name)
            if info is None:
                return None
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(21, "Is a directory")
            data, mode = fs.read_at(dirfd, path.name)
        finally:
            os.close(dirfd)
        return _State(data.decode("utf-8"), mode)

    def check_writable(self, path: Path) -> None:
        """Refuse early a write that would land on a directory or under a file."""
        if path not in self.state and os.path.isdir(path):
            raise PatchError(f"Failed to write file {path}: Is a directory (os error 21)")
        parent = path.parent
        while parent != parent.parent:
            known = self.state.get(parent)
            if known is None:
                if os.path.isdir(parent):
                    return
                if os.path.lexists(parent):
                    break
            elif known.text is not None:
                break  # a file written by an earlier hunk
            parent = parent.parent
        else:
            return
        raise PatchError(f"Failed to write file {path}: {parent} is not a directory (os error 20)")

    def add(self, hunk: AddFile) -> None:
        path, key = self.ws.resolve(hunk.path, hunk.line)
        self.check_writable(key)
        try:
            before = self.current(key)
        except fs.NotRegular as exc:
            raise PatchError(f"Failed to write file {path}: {exc}") from exc
        except (OSError, UnicodeDecodeError, fs.TooLarge):
            before = None  # an Add overwrites a file whatever it holds; only the diff loses the old text
        old = before.text if before else None
        self.state[key] = _State(hunk.contents, before.mode if before else None)
        new_lines, _ = split_lines(hunk.contents)
        rel = self.ws.display(path)
        if old is None:
            diff = render([], [(0, 0, new_lines)], None, rel)
        else:
            old_lines, missing_eol = split_lines(old)
            diff = render(old_lines, [(0, len(old_lines), new_lines)], rel, rel, old_missing_eol=missing_eol)
        self._record(PlannedChange(path, "add", None, old, hunk.contents, diff, key), "A", hunk.path)

    def delete(self, hunk: DeleteFile) -> None:
        # the directory entry itself, realpath(parent)/name: a symlink is removed (and judged), not its target
        path, key = self.ws.resolve(hunk.path, hunk.line, follow_last=False)
        known = self.state.get(key)
        if known is not None:
            if known.text is None:
                raise PatchError(f"Failed to delete file {path}: No such file or directory (os error 2)")
            old: str = known.text
        else:
            try:
                old = _entry_text(key)
            except OSError as exc:
                raise PatchError(f"Failed to delete file {path}: {io_reason(exc)}") from exc
            except fs.Refused as exc:
                raise PatchError(f"Failed to delete file {path}: {exc}") from exc
        self.state[key] = _State(None)
        old_lines, missing_eol = split_lines(old)
        diff = render(old_lines, [(0, len(old_lines), [])], self.ws.display(path), None, old_missing_eol=missing_eol)
        self._record(PlannedChange(path, "delete", None, old, None, diff, key), "D", hunk.path)

    def update(self, hunk: UpdateFile) -> None:
        path, key = self.ws.resolve(hunk.path, hunk.line)
        try:
            before = self.current(key)
            if before is None or before.text is None:
                raise FileNotFoundError(2, "No such file or directory")
        except OSError as exc:
            raise PatchError(f"Failed to read file to update {path}: {io_reason(exc)}") from exc
        except fs.Refused as exc:
            raise PatchError(f"Failed to read file to update {path}: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise PatchError(f"Failed to read file to update {path}: stream did not contain valid UTF-8") from exc
        edited = updated_text(before.text, hunk.chunks, path, hunk.path)
        new = edited.text
        target, target_key = path, key
        if hunk.move_to is not None:
            target, target_key = self.ws.resolve(hunk.move_to, hunk.line + 1)
            self.check_writable(target_key)
        if target_key != key:
            self.state[key] = _State(None)
        self.state[target_key] = _State(new, before.mode)
        moved = target if target_key != key else None
        diff = render(
            edited.old_lines,
            edited.edits,
            self.ws.display(path),
            self.ws.display(target),
            old_missing_eol=edited.old_missing_eol,
        )
        change = PlannedChange(path, "update", moved, before.text, new, diff, key, target_key if moved else None)
        self._record(change, "M", hunk.move_to or hunk.path)

    def _record(self, change: PlannedChange, tag: str, name: str) -> None:
        self.changes.append(change)
        self.summary[tag].append(name)

    def ops(self) -> list[Op]:
        result: list[Op] = []
        for path, entry in self.state.items():
            if entry.text is None:
                if os.path.lexists(path):
                    result.append(Op(path, None))
            else:
                result.append(Op(path, entry.text.encode("utf-8"), entry.mode))
        return result


def _entry_text(key: Path) -> str:
    """What a Delete removes, for the diff: a regular file's text, ``""`` for a symlink; else refused."""
    dirfd = fs.open_dir(str(key.parent))
    try:
        info = fs.entry(dirfd, key.name)
        if info is None:
            raise FileNotFoundError(2, "No such file or directory")
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "Is a directory")
        if stat.S_ISLNK(info.st_mode):
            return ""
        return fs.read_at(dirfd, key.name)[0].decode("utf-8", "replace")
    finally:
        os.close(dirfd)


@dataclass(slots=True)
class Edited:
    """An updated file: the new text, and the edits in terms of the old lines (for the diff)."""

    text: str
    old_lines: list[str]
    edits: list[Edit]
    old_missing_eol: bool


def updated_text(text: str, chunks: list[Chunk], path: Path, name: str) -> Edited:
    """Apply ``chunks`` to ``text`` like Codex; keeps CRLF line endings and a UTF-8 BOM."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    first_break = body.find("\n")
    newline = "\r\n" if first_break > 0 and body[first_break - 1] == "\r" else "\n"
    lines, missing_eol = split_lines(body)
    if newline == "\n" and "\r" in body:
        lines = body.split("\n")[: len(lines)]  # LF file: a stray \r belongs to its line
    matcher = LineMatcher(lines)
    edits: list[Edit] = []
    cursor = 0
    for number, chunk in enumerate(chunks, 1):
        where = f"(chunk {number} of {len(chunks)} for {name}, patch line {chunk.line})"
        for context in chunk.contexts:
            found = matcher.seek([context], cursor)
            if found is None:
                raise PatchError(f"Failed to find context '{context}' in {path} {where}")
            cursor = found + 1
        if not chunk.old_lines:
            edits.append((len(lines), len(lines), chunk.new_lines))
            continue
        old, new = chunk.old_lines, chunk.new_lines
        found = matcher.seek(old, cursor, eof=chunk.end_of_file)
        if found is None and old[-1] == "":
            old = old[:-1]  # a trailing blank context line may stand for the final newline
            new = new[:-1] if new and new[-1] == "" else new
            found = matcher.seek(old, cursor, eof=chunk.end_of_file)
        if found is None:
            anchored = " at the end of the file" if chunk.end_of_file else ""
            shown = "\n".join(chunk.old_lines)
            raise PatchError(f"Failed to find expected lines{anchored} in {path}:\n{shown}\n{where}")
        edits.append((found, found + len(old), new))
        cursor = found + len(old)
    edits.sort(key=lambda edit: edit[0])  # stable: insertions at the same place keep patch order
    result: list[str] = []
    position = 0
    for start, end, new in edits:
        result += lines[position:start]
        result += new
        position = end
    result += lines[position:]
    return Edited(bom + newline.join(result) + newline, lines, edits, missing_eol)


def _plan(text: str, cwd: Path, allow_outside: bool, stop: threading.Event | None = None) -> _Plan:
    patch = parse_patch(text)
    if not patch.hunks:
        raise PatchError("No files were modified.")
    plan = _Plan(Workspace(cwd, allow_outside=allow_outside))
    for hunk in patch.hunks:
        _check_stop(stop)
        if isinstance(hunk, AddFile):
            plan.add(hunk)
        elif isinstance(hunk, DeleteFile):
            plan.delete(hunk)
        else:
            plan.update(hunk)
    return plan


def _check_stop(stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise PatchError("apply_patch was interrupted; no files were modified")


def _unexpected(exc: Exception) -> PatchError:
    """A failure no step named (a race's ``EINVAL``, a bad path): one line, and nothing was written."""
    reason = io_reason(exc) if isinstance(exc, OSError) else str(exc)
    return PatchError(f"Failed to apply the patch: {reason}; no files were modified")


def preview_patch(
    text: str, cwd: Path, *, allow_outside: bool = False, stop: threading.Event | None = None
) -> list[PlannedChange]:
    """Verify ``text`` against the files under ``cwd`` and return the changes; writes nothing.

    ``stop`` set from another thread ends the verification early with a ``PatchError``.
    """
    try:
        return _plan(text, cwd, allow_outside, stop).changes
    except (OSError, ValueError) as exc:
        raise _unexpected(exc) from exc


def apply_patch(
    text: str,
    cwd: Path,
    *,
    allow_outside: bool = False,
    judged: Iterable[Path] | None = None,
    stop: threading.Event | None = None,
) -> AppliedPatch:
    """Verify the whole patch, then write it; if anything fails no file is changed.

    ``judged``: the real paths an approval was given for (``PlannedChange.real`` / ``real_move_to``
    of an earlier :func:`preview_patch`); the patch is refused when it now resolves anywhere else.
    ``stop`` set from another thread ends it before anything is written.
    """
    try:
        plan = _plan(text, cwd, allow_outside, stop)
        ops = plan.ops()
        if judged is not None:
            allowed = set(judged)
            for op in ops:
                if op.path not in allowed:
                    raise PatchError(
                        f"Failed to write file {op.path}: the patch now resolves to a path that was not checked "
                        "(a folder or symlink changed since it was verified); no files were modified, retry the patch"
                    )
        _check_stop(stop)
        commit(ops)
    except (OSError, ValueError) as exc:
        raise _unexpected(exc) from exc
    lines = ["Success. Updated the following files:"]
    lines += [f"{tag} {name}" for tag, names in plan.summary.items() for name in names]
    return AppliedPatch(plan.changes, "\n".join(lines))


def paths_touched(text: str, cwd: Path) -> list[Path]:
    """Absolute paths the patch would write or delete (move targets included), without verifying."""
    workspace = Workspace(cwd, allow_outside=True)
    seen: dict[Path, None] = {}
    for hunk in parse_patch(text).hunks:
        seen[workspace.lexical(hunk.path, hunk.line)] = None
        if isinstance(hunk, UpdateFile) and hunk.move_to is not None:
            seen[workspace.lexical(hunk.move_to, hunk.line + 1)] = None
    return list(seen)
