"""Changing the user's config.toml from the app (``mcp add``, trusting hooks, turning skills off...) with
tomlkit, so their comments and layout stay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codex_py.config.errors import ConfigError


def load_for_edit(path: Path) -> Any:
    """``path`` parsed for editing (an empty document when it does not exist). Raises ``ConfigError`` when it
    cannot be read or is not valid TOML (an edit must never overwrite a file it could not read)."""
    import tomlkit

    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        return tomlkit.parse(text)
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError) as exc:
        raise ConfigError(f"cannot edit {path}: {exc}", f"fix {path} first") from exc


def table_in(container: Any, key: str) -> Any:
    """``container[key]``, made a (super) table first if missing: ``[a.b]`` is then written without ``[a]``."""
    import tomlkit

    table = container.get(key)
    if table is None:
        table = tomlkit.table(is_super_table=True)
        container[key] = table
    return table


def save(path: Path, doc: Any) -> None:
    """Write ``doc`` back to ``path`` (its folder made if needed). Raises ``OSError``."""
    import tomlkit

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
