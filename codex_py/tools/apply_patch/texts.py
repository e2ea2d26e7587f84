"""The patch format's texts for the model, without loading the applier (start-up path)."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).parent

APPLY_PATCH_INSTRUCTIONS: str = (_HERE / "instructions.md").read_text(encoding="utf-8")
"""How to write a patch: the function tool's description and the system prompt's patch section."""

APPLY_PATCH_LARK_GRAMMAR: str = (_HERE / "grammar.lark").read_text(encoding="utf-8")
"""The format as a Lark grammar, for the Responses API's freeform ``apply_patch`` custom tool."""
