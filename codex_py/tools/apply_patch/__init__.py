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

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codex_py.tools.apply_patch.applier import (
        AppliedPatch,
        PlannedChange,
        apply_patch,
        paths_touched,
        preview_patch,
    )
    from codex_py.tools.apply_patch.parser import Patch, PatchError, parse_patch
    from codex_py.tools.apply_patch.shell_intercept import extract_patch_from_argv
    from codex_py.tools.apply_patch.texts import APPLY_PATCH_INSTRUCTIONS, APPLY_PATCH_LARK_GRAMMAR

# Lazy exports: importing ``tools.apply_patch.texts`` on the start-up path must not load the applier.
_HOME = {
    "AppliedPatch": "applier",
    "PlannedChange": "applier",
    "apply_patch": "applier",
    "paths_touched": "applier",
    "preview_patch": "applier",
    "Patch": "parser",
    "PatchError": "parser",
    "parse_patch": "parser",
    "extract_patch_from_argv": "shell_intercept",
    "APPLY_PATCH_INSTRUCTIONS": "texts",
    "APPLY_PATCH_LARK_GRAMMAR": "texts",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)


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
