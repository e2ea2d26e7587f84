"""Turning a skill on or off for good: ``[[skills.config]] path = "/abs/SKILL.md"  enabled = false`` in the
home's config.toml, as Codex's ``/skills`` writes it (comments and layout kept)."""

from __future__ import annotations

from pathlib import Path


def set_skill_enabled(config_file: Path, skill_file: Path, enabled: bool) -> None:
    """Record ``enabled`` for the skill at ``skill_file``: its ``[[skills.config]]`` entry is updated, or one
    is added. Raises ``ConfigError`` when the file cannot be read as TOML, ``OSError`` when it cannot be written."""
    import tomlkit

    from codex_py.config.edit import load_for_edit, save, table_in

    doc = load_for_edit(config_file)
    skills = table_in(doc, "skills")
    entries = skills.get("config")
    if entries is None:
        entries = tomlkit.aot()
        skills["config"] = entries
    target = str(skill_file)
    for entry in entries:
        if entry.get("path") == target:
            entry["enabled"] = enabled
            break
    else:
        entry = tomlkit.table()
        entry["path"] = target
        entry["enabled"] = enabled
        entries.append(entry)
    save(config_file, doc)
