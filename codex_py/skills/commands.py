"""``codex-py skills list``: what was found, from where, and what was skipped."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codex_py.config import CliOverrides


def list_skills(cli: CliOverrides, *, as_json: bool = False) -> int:
    from codex_py.config import load_config, resolve_paths
    from codex_py.skills.loader import discover_skills
    from codex_py.skills.prompts import PREFIX, discover_prompts

    config = load_config(cli)
    home = resolve_paths().config_dir
    found = discover_skills(home, config.cwd, toggles=config.skills.config)
    prompts = discover_prompts(home)
    out = sys.stdout
    if as_json:
        data = {
            "skills": [
                {"name": s.name, "description": s.description, "path": str(s.path), "scope": s.scope}
                for s in found.skills
            ],
            "shadowed": [{"name": s.name, "path": str(s.path)} for s in found.shadowed],
            "disabled": [{"name": s.name, "path": str(s.path)} for s in found.disabled],
            "prompts": [{"name": p.name, "description": p.description, "path": str(p.path)} for p in prompts],
            "warnings": found.warnings,
        }
        out.write(json.dumps(data, indent=2) + "\n")
        return 0
    if not found.skills:
        out.write(f"No skills found. Add one as {home / 'skills' / 'NAME' / 'SKILL.md'} (see docs/extending.md).\n")
    else:
        width = max(len(s.name) for s in found.skills)
        out.write("Skills (use $NAME or /NAME):\n")
        for skill in found.skills:
            out.write(f"  {skill.name:<{width}}  {skill.scope:<4}  {skill.description[:70]}\n")
            out.write(f"  {'':<{width}}        {skill.path}\n")
    for skill in found.shadowed:
        out.write(f"  (shadowed: {skill.name} at {skill.path})\n")
    for skill in found.disabled:
        out.write(f"  (disabled by [[skills.config]]: {skill.name} at {skill.path})\n")
    if prompts:
        out.write("Custom prompts (use /prompts:NAME):\n")
        for prompt in prompts:
            hint = f" {prompt.hint}" if prompt.hint else ""
            out.write(f"  /{PREFIX}{prompt.name}{hint}  {prompt.description[:60]}\n")
    for note in found.warnings:
        sys.stderr.write(f"warning: {note}\n")
    return 0
