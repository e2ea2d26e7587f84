"""Configuration: defaults < config.toml < profile < env < ``-c`` overrides < flags.

``load_config(CliOverrides(...))`` returns one typed :class:`Config`; any bad input raises
:class:`ConfigError` with a one-line cause and a hint (the CLI exits 2).
"""

from __future__ import annotations

from codex_py.config.errors import ConfigError
from codex_py.config.home import Paths, resolve_paths
from codex_py.config.loader import CliOverrides, load_config, parse_override
from codex_py.config.model import (
    ChatGPTOAuthConfig,
    ClaudeOAuthConfig,
    Config,
    OAuthConfig,
    ProviderInfo,
    SandboxWorkspaceWrite,
)

__all__ = [
    "ChatGPTOAuthConfig",
    "ClaudeOAuthConfig",
    "CliOverrides",
    "Config",
    "ConfigError",
    "OAuthConfig",
    "Paths",
    "ProviderInfo",
    "SandboxWorkspaceWrite",
    "load_config",
    "parse_override",
    "resolve_paths",
]
