"""Where codex-py keeps its files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from codex_py.config.errors import ConfigError

APP_NAME = "codex-py"


@dataclass(frozen=True, slots=True)
class Paths:
    """Resolved locations. With ``CODEX_PY_HOME`` everything lives under that one folder."""

    config_dir: Path
    data_dir: Path
    state_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def sessions_dir(self) -> Path:
        return self.data_dir / "sessions"

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "credentials.json"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "log"

    @property
    def history_file(self) -> Path:
        return self.state_dir / "history.jsonl"


def resolve_paths(env: dict[str, str] | None = None) -> Paths:
    """``CODEX_PY_HOME`` if set and non-empty (it must be a directory), else platformdirs."""
    env = os.environ if env is None else env  # type: ignore[assignment]
    assert env is not None
    home = env.get("CODEX_PY_HOME", "").strip()
    if home:
        path = Path(home).expanduser()
        if path.exists() and not path.is_dir():
            raise ConfigError(
                f"CODEX_PY_HOME points to {str(path)!r}, which is not a directory",
                "unset CODEX_PY_HOME or point it at a folder",
            )
        return Paths(path, path, path)
    import platformdirs

    return Paths(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
    )
