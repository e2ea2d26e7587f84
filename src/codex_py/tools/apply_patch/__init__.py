"""The Codex patch format: parse, verify, apply all or nothing.

Public surface (light imports only; ``difflib`` loads when a diff is first made)::

    PatchError                      str(e) is the message for the model or user
    PlannedChange, AppliedPatch     what a verified / applied patch does
    parse_patch(text) -> Patch
    preview_patch(text, cwd, *, allow_outside=False) -> list[PlannedChange]   verify only
    apply_patch(text, cwd, *, allow_outside=False) -> AppliedPatch            all or nothing
    paths_touched(text, cwd) -> list[Path]                                    for approvals
    extract_patch_from_argv(argv) -> (patch, cd dir | None) | None           shell routing
    APPLY_PATCH_INSTRUCTIONS, APPLY_PATCH_LARK_GRAMMAR
"""

from __future__ import annotations

from codex_py.tools.apply_patch.applier import AppliedPatch, PlannedChange, apply_patch, paths_touched, preview_patch
from codex_py.tools.apply_patch.parser import Patch, PatchError, parse_patch
from codex_py.tools.apply_patch.shell_intercept import extract_patch_from_argv
from codex_py.tools.apply_patch.texts import APPLY_PATCH_INSTRUCTIONS, APPLY_PATCH_LARK_GRAMMAR

__all__ = [
    "APPLY_PATCH_INSTRUCTIONS",
    "APPLY_PATCH_LARK_GRAMMAR",
    "AppliedPatch",
    "Patch",
    "PatchError",
    "PlannedChange",
    "apply_patch",
    "extract_patch_from_argv",
    "parse_patch",
    "paths_touched",
    "preview_patch",
]
