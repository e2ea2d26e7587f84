"""``codex-py apply-patch [PATCH | -]``: apply a patch in the current directory, all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path


def run(patch: str | None) -> int:
    """Apply ``patch`` (stdin when ``None`` or ``-``) in the current directory.

    Prints Codex's success summary to stdout and returns 0, or prints the error to stderr and
    returns 1 with no file changed.
    """
    from codex_py.tools.apply_patch import PatchError, apply_patch

    if patch is None or patch == "-":
        if sys.stdin is None or sys.stdin.isatty():
            sys.stderr.write("error: no patch given; pass it as the argument or pipe it on stdin (`-`)\n")
            return 2
        patch = sys.stdin.read()
    try:
        applied = apply_patch(patch, Path.cwd())
    except PatchError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    sys.stdout.write(applied.summary + "\n")
    return 0
