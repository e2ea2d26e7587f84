"""Anthropic's text-editor tool (``str_replace_based_edit_tool``) mapped onto our executors.

``view`` is answered directly; ``create``, ``str_replace`` and ``insert`` become a Codex patch,
so edits go through the same approvals, sandbox rules and all-or-nothing applier as
``apply_patch``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codex_py.protocol import ToolResult

VIEW_MAX_BYTES = 256 * 1024


def edit_as_patch(args: dict[str, Any], cwd: Path) -> str | ToolResult:
    """Return a patch text for an edit command, or a ``ToolResult`` (call id left empty) for
    ``view`` and for invalid input."""
    command = args.get("command")
    raw_path = args.get("path")
    if not isinstance(raw_path, str) or not raw_path:
        return _error("`path` is required")
    path = Path(raw_path)
    target = path if path.is_absolute() else cwd / path
    rel = _display(target, cwd)
    if command == "view":
        return _view(target, args.get("view_range"))
    if command == "create":
        text = args.get("file_text")
        if not isinstance(text, str):
            return _error("`file_text` is required for create")
        body = "".join(f"+{line}\n" for line in text.splitlines())
        return f"*** Begin Patch\n*** Add File: {rel}\n{body}*** End Patch\n"
    if command in ("str_replace", "insert"):
        from codex_py.tools.apply_patch.fs import READ_MAX_BYTES, Refused, read_file

        try:
            old = read_file(target, READ_MAX_BYTES)[0].decode("utf-8")
        except (OSError, UnicodeDecodeError, Refused) as exc:
            return _error(f"cannot read {rel}: {exc}")
        if command == "str_replace":
            needle = args.get("old_str")
            if not isinstance(needle, str) or not needle:
                return _error("`old_str` is required")
            count = old.count(needle)
            if count != 1:
                what = "was not found" if count == 0 else f"occurs {count} times; add context to make it unique"
                return _error(f"`old_str` {what} in {rel}")
            replacement = args.get("new_str", "")
            new = old.replace(needle, replacement if isinstance(replacement, str) else "", 1)
        else:
            line_no = args.get("insert_line")
            text = args.get("new_str", args.get("insert_text"))
            lines = old.splitlines(keepends=True)
            if not isinstance(line_no, int) or not 0 <= line_no <= len(lines) or not isinstance(text, str):
                return _error(f"`insert_line` must be between 0 and {len(lines)} and `new_str` a string")
            insert = text if text.endswith("\n") else text + "\n"
            new = "".join(lines[:line_no]) + insert + "".join(lines[line_no:])
        return _update_patch(rel, old, new, cwd)
    return _error(f"unsupported command {command!r} (use view, create, str_replace or insert)")


def _update_patch(rel: str, old: str, new: str, cwd: Path) -> str | ToolResult:
    """A patch turning ``old`` into ``new`` (one changed region: an edit replaces one place).

    The chunk's context lines may also occur earlier in the file (two identical functions), and the
    applier takes the first place they match: the context is widened until the first place is the
    edited one, at worst the whole file. Each check is a linear search (``LineMatcher``), so a file
    of 40,000 identical lines costs milliseconds, not the minutes a line diff of it would.
    """
    from codex_py.tools.apply_patch import PatchError, preview_patch
    from codex_py.tools.apply_patch.diff import common_ends, split_lines
    from codex_py.tools.apply_patch.matcher import LineMatcher

    a, b = split_lines(old)[0], split_lines(new)[0]
    if a == b:
        return _error("the edit changes nothing")
    start, tail = common_ends(a, b)
    end_a, end_b = len(a) - tail, len(b) - tail
    matcher = LineMatcher(a)
    context = 3
    while True:
        low, high = max(0, start - context), min(len(a), end_a + context)
        whole = low == 0 and high == len(a)
        if whole or matcher.seek(a[low:high], 0) == low:
            break
        context *= 4
    patch = _patch_text(rel, a[low:start], a[start:end_a], b[start:end_b], a[end_a:high])
    try:
        planned = preview_patch(patch, cwd, allow_outside=True)
    except PatchError as exc:
        return _error(f"cannot edit {rel}: {exc}")
    result = planned[0].new_text if planned else None
    if whole or (result is not None and split_lines(result)[0] == b):
        return patch
    return _patch_text(rel, a[:start], a[start:end_a], b[start:end_b], a[end_a:])  # lenient matching misled it


def _patch_text(rel: str, before: list[str], removed: list[str], added: list[str], after: list[str]) -> str:
    lines = ["@@", *(f" {x}" for x in before), *(f"-{x}" for x in removed), *(f"+{x}" for x in added)]
    lines += [f" {x}" for x in after]
    return f"*** Begin Patch\n*** Update File: {rel}\n" + "\n".join(lines) + "\n*** End Patch\n"


def _view(target: Path, view_range: object) -> ToolResult:
    if target.is_dir():
        entries = sorted(p.name + ("/" if p.is_dir() else "") for p in target.iterdir() if not p.name.startswith("."))
        return ToolResult("", "\n".join(entries[:1000]) or "(empty directory)")
    from codex_py.tools.apply_patch.fs import Refused, read_file

    try:  # a FIFO would block, /dev/zero never ends: regular files only, and never more than the cap
        data, size = read_file(target, VIEW_MAX_BYTES, cut=True)
    except (OSError, Refused) as exc:
        return _error(f"cannot read {target}: {exc}")
    lines = data.decode("utf-8", errors="replace").splitlines()
    cut = f"\n[cut: the first {VIEW_MAX_BYTES // 1024} KiB of {size} bytes shown; read on with a command]"
    start, end = 1, len(lines)
    if isinstance(view_range, list) and len(view_range) == 2 and all(isinstance(v, int) for v in view_range):
        start = max(1, view_range[0])
        end = len(lines) if view_range[1] == -1 else min(len(lines), view_range[1])
    numbered = [f"{n:6}\t{lines[n - 1]}" for n in range(start, end + 1)]
    return ToolResult("", ("\n".join(numbered) if numbered else "(empty file)") + (cut if size > len(data) else ""))


def _display(target: Path, cwd: Path) -> str:
    try:
        return str(target.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(target)


def _error(message: str) -> ToolResult:
    return ToolResult("", message, is_error=True)
