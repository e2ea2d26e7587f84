"""Every runtime dependency declared in pyproject.toml is imported by the package (issue 17 item 8)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "codex_py"


def _imported_top_level_names() -> set[str]:
    names: set[str] = set()
    pattern = re.compile(r"^\s*(?:from|import)\s+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)
    for path in PACKAGE.rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


_IMPORT_NAME = {"pillow": "PIL"}
"""Distributions whose import name is not their own."""


def test_no_declared_dependency_goes_unused() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    modules = {re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0].lower().replace("-", "_") for spec in declared}
    modules = {_IMPORT_NAME.get(m, m) for m in modules}
    unused = sorted(modules - _imported_top_level_names())
    assert not unused, f"declared in pyproject.toml but never imported by the package: {unused}"
