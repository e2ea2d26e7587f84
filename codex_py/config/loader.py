"""Build a :class:`Config` from the layers, validating every key and type on the way."""

from __future__ import annotations

import copy
import difflib
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal

from codex_py.config.builtins import BUILTIN_PROVIDERS
from codex_py.config.errors import ConfigError
from codex_py.config.home import Paths, resolve_paths
from codex_py.config.model import RUNTIME_FIELDS, Config, McpServerConfig, ProjectConfig, ProviderInfo


@dataclass(slots=True)
class CliOverrides:
    """What the command line says; every field is optional (None: not given)."""

    model: str | None = None
    provider: str | None = None
    profile: str | None = None
    config: list[str] = field(default_factory=list)
    """Raw ``-c key=value`` strings."""
    cd: Path | None = None
    sandbox: str | None = None
    approval: str | None = None
    full_auto: bool = False
    reasoning_effort: str | None = None
    mode: Literal["tui", "exec", "other"] = "other"


def parse_override(raw: str) -> tuple[list[str], Any]:
    """``a.b=value`` -> (["a", "b"], value). The value is parsed as TOML, else kept as a string."""
    key, sep, value = raw.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"invalid -c override {raw!r}: expected key=value", 'example: -c model="o3"')
    parts = [p.strip() for p in key.split(".")]
    if any(not p for p in parts):
        raise ConfigError(f"invalid -c override {raw!r}: empty key segment", "example: -c tui.theme=nord")
    value = value.strip()
    try:
        parsed: Any = _loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value
    except _TooDeep:
        raise ConfigError(
            f"invalid -c override {key!r}: nested more than {MAX_TOML_DEPTH} levels deep", 'example: -c model="o3"'
        ) from None
    return parts, parsed


class _Origins:
    """Where each (dotted) key got its value: the config file, a profile, an env var, ``-c`` or a flag.
    Errors name it, so a bad ``--sandbox`` value is not blamed on config.toml."""

    def __init__(self, default: str) -> None:
        self.default = default
        self._by_path: dict[tuple[str, ...], str] = {}

    def set(self, parts: typing.Sequence[str], where: str) -> None:
        self._by_path[tuple(parts)] = where

    def of(self, key: str) -> str:
        """The origin of ``key`` ("a.b.c", "a.b[2]"): its own, else its nearest table's, else the file."""
        parts = tuple(key.split("[", 1)[0].split("."))
        for n in range(len(parts), 0, -1):
            if (where := self._by_path.get(parts[:n])) is not None:
                return where
        return self.default

    def fix_hint(self, key: str) -> str:
        where = self.of(key)
        return f"fix the value given to {where.split()[0]}" if where.startswith("-") else f"fix {key} in {where}"


def _set_path(table: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        nxt = table.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            table[part] = nxt
        table = nxt
    table[parts[-1]] = value


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file; a syntax error names the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", "check the file's permissions and encoding") from exc
    try:
        return _loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", f"fix that line in {path}") from exc
    except _TooDeep:
        raise ConfigError(
            f"{path}: invalid TOML: arrays or tables nested more than {MAX_TOML_DEPTH} levels deep",
            f"fix {path} (no setting nests that deep)",
        ) from None


MAX_TOML_DEPTH = 64
"""No setting nests deeper than a few levels; a file nested deeper (thousands of ``[``) is refused before
Python's recursion limit turns it into a traceback, in the parser or in the layers' merge."""


class _TooDeep(Exception):
    pass


def _loads(text: str) -> dict[str, Any]:
    """``tomllib.loads`` with a nesting limit; raises ``TOMLDecodeError`` or ``_TooDeep``."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise _TooDeep from None
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:  # iterative: the check itself must not recurse
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth >= MAX_TOML_DEPTH:
                    raise _TooDeep
                stack.append((child, depth + 1))
    return data


def _env_layer(env: typing.Mapping[str, str], origins: _Origins) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    if base := env.get("OPENAI_BASE_URL", "").strip():
        _set_path(layer, ["model_providers", "openai", "base_url"], base.rstrip("/"))
        origins.set(["model_providers", "openai", "base_url"], "OPENAI_BASE_URL")
    if base := env.get("ANTHROPIC_BASE_URL", "").strip():
        # Anthropic convention: the base has no /v1; our base_url includes it.
        _set_path(layer, ["model_providers", "anthropic", "base_url"], base.rstrip("/") + "/v1")
        origins.set(["model_providers", "anthropic", "base_url"], "ANTHROPIC_BASE_URL")
    return layer


_FLAGS = {  # the flags that set a config key (--full-auto only sets valid values)
    "model": "--model",
    "model_provider": "--provider",
    "model_reasoning_effort": "--reasoning-effort",
    "sandbox_mode": "--sandbox",
    "approval_policy": "--ask-for-approval",
}


def load_config(
    cli: CliOverrides | None = None,
    *,
    env: typing.Mapping[str, str] | None = None,
    paths: Paths | None = None,
) -> Config:
    """Resolve every layer into one validated ``Config``."""
    cli = cli or CliOverrides()
    env = os.environ if env is None else env
    paths = paths or resolve_paths(dict(env))
    config_file = paths.config_file
    raw = read_toml(config_file)
    origins = _Origins(str(config_file) if config_file.exists() else "config")

    overrides = [parse_override(o) for o in cli.config]
    for parts, value in overrides:
        _set_path(raw, parts, value)

    profile_name = cli.profile or raw.get("profile")
    profiles = raw.get("profiles", {})
    merged = copy.deepcopy(raw)
    if profile_name:
        if not isinstance(profiles, dict) or profile_name not in profiles:
            known = sorted(profiles) if isinstance(profiles, dict) else []
            raise ConfigError(
                f"unknown profile {profile_name!r}" + _did_you_mean(str(profile_name), known),
                f"define [profiles.{profile_name}] in {config_file}" if not known else f"known: {', '.join(known)}",
            )
        profile = profiles[profile_name]
        if not isinstance(profile, dict):
            raise ConfigError(f"{config_file}: [profiles.{profile_name}] must be a table")
        for key in profile:
            if key in ("profiles", "profile"):
                raise ConfigError(f"{config_file}: profiles.{profile_name}.{key} is not allowed in a profile")
        merged = _deep_merge(merged, profile)
        for key in profile:
            origins.set([key], f"{origins.default} [profiles.{profile_name}]")
    merged = _deep_merge(merged, _env_layer(env, origins))
    for (parts, value), raw_override in zip(overrides, cli.config, strict=True):  # -c beats profile and env
        origins.set(parts, f"-c {raw_override.strip()}")
        if parts[0] not in ("profiles", "profile"):
            _set_path(merged, parts, value)

    # flags
    flag_values: dict[str, Any] = {}
    if cli.model:
        flag_values["model"] = cli.model
    if cli.provider:
        flag_values["model_provider"] = cli.provider
    if cli.reasoning_effort:
        flag_values["model_reasoning_effort"] = cli.reasoning_effort
    if cli.full_auto:
        flag_values["sandbox_mode"] = "workspace-write"
        flag_values["approval_policy"] = "never" if cli.mode == "exec" else "on-request"
    if cli.sandbox:
        flag_values["sandbox_mode"] = cli.sandbox
    if cli.approval:
        flag_values["approval_policy"] = cli.approval
    merged.update(flag_values)
    for key in flag_values:
        origins.set([key], _FLAGS[key])

    providers_raw = merged.pop("model_providers", {}) or {}
    if not isinstance(providers_raw, dict):
        raise ConfigError(f"{origins.of('model_providers')}: model_providers must be a table of tables")
    mcp_raw = merged.pop("mcp_servers", {}) or {}
    projects_raw = merged.pop("projects", {}) or {}
    config: Config = _build(Config, merged, "", origins)
    config.projects = _build_projects(projects_raw, origins)
    config.profile = profile_name
    config.model_providers = _build_providers(providers_raw, origins)
    config.mcp_servers = _build_mcp_servers(mcp_raw, origins)
    if config.model_provider not in config.model_providers:
        known = sorted(config.model_providers)
        raise ConfigError(
            f"unknown model provider {config.model_provider!r}" + _did_you_mean(config.model_provider, known),
            f"known providers: {', '.join(known)}; add [model_providers.{config.model_provider}] to config.toml",
        )
    if not config.model:
        config.model = config.provider.default_model
    if not config.model:
        raise ConfigError(
            f"no model configured for provider {config.model_provider!r}",
            "pass -m MODEL or set model in config.toml",
        )
    cwd = cli.cd.expanduser() if cli.cd else Path.cwd()
    if not cwd.is_dir():
        raise ConfigError(f"-C {cwd}: not a directory", "pass an existing folder")
    config.cwd = cwd.resolve()
    _add_project_mcp_servers(config, origins)
    config.config_file = config_file if config_file.exists() else None
    config.full_auto = cli.full_auto
    search = config.tools.web_search
    if not isinstance(search, bool) and search.allowed_domains and search.blocked_domains:
        raise ConfigError(
            f"{origins.of('tools.web_search')}: tools.web_search has both allowed_domains and blocked_domains",
            "keep one of the two lists (the search API takes one or the other)",
        )
    return config


def _build_providers(raw: dict[str, Any], origins: _Origins) -> dict[str, ProviderInfo]:
    table: dict[str, dict[str, Any]] = copy.deepcopy(BUILTIN_PROVIDERS)
    for pid, value in raw.items():
        if not isinstance(value, dict):
            raise ConfigError(f"{origins.of(f'model_providers.{pid}')}: model_providers.{pid} must be a table")
        table[pid] = _deep_merge(table.get(pid, {}), value)
    out: dict[str, ProviderInfo] = {}
    for pid, value in table.items():
        if "base_url" not in value:
            key = f"model_providers.{pid}"
            raise ConfigError(
                f"{origins.of(key)}: {key}.base_url is required", f'add base_url = "http://..." to [{key}]'
            )
        info: ProviderInfo = _build(ProviderInfo, value, f"model_providers.{pid}.", origins)
        info.id = pid
        info.name = info.name or pid
        out[pid] = info
    return out


_MCP_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_STDIO_ONLY = ("args", "env", "env_vars", "cwd")
_HTTP_ONLY = ("bearer_token_env_var", "http_headers", "env_http_headers", "oauth_resource")


def _build_mcp_servers(raw: Any, origins: _Origins) -> dict[str, McpServerConfig]:
    """``[mcp_servers.NAME]`` tables, checked as Codex checks them: one transport, no key of the other
    transport, no inline secret, a valid name."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{origins.of('mcp_servers')}: mcp_servers must be a table of tables")
    out: dict[str, McpServerConfig] = {}
    for name, value in raw.items():
        key = f"mcp_servers.{name}"
        where = origins.of(key)
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: {key} must be a table", f"write [{key}] with command = ... or url = ...")
        if not _MCP_NAME.match(name):
            raise ConfigError(
                f"{where}: invalid MCP server name {name!r}", "use letters, numbers, '-' and '_' in [mcp_servers.NAME]"
            )
        if "bearer_token" in value:
            raise ConfigError(
                f"{where}: {key}.bearer_token is not supported (no secrets in config.toml)",
                f"put the token in an environment variable and set {key}.bearer_token_env_var",
            )
        if ("command" in value) == ("url" in value):
            raise ConfigError(
                f"{where}: {key}: invalid transport (give exactly one of command or url)",
                f'set command = "prog" (stdio) or url = "http://..." (streamable HTTP) in [{key}]',
            )
        stdio = "command" in value
        for other in _HTTP_ONLY if stdio else ("command", *_STDIO_ONLY):
            if other in value:
                transport = "stdio" if stdio else "streamable_http"
                raise ConfigError(f"{where}: {key}.{other} is not supported for {transport}", f"remove {other}")
        server: McpServerConfig = _build(McpServerConfig, value, f"{key}.", origins)
        if "startup_timeout_sec" not in value and server.startup_timeout_ms is not None:
            server.startup_timeout_sec = server.startup_timeout_ms / 1000
        for i, entry in enumerate(server.env_vars):
            if isinstance(entry, dict):
                unknown = set(entry) - {"name", "source"}
                if "name" not in entry or unknown:
                    raise ConfigError(f'{where}: {key}.env_vars[{i}] must be "NAME" or {{name = "NAME"}}')
                if entry.get("source", "local") != "local":
                    raise ConfigError(
                        f"{where}: {key}.env_vars[{i}]: unsupported env_vars source {entry['source']!r}",
                        'codex-py runs servers locally: use source = "local" or leave it out',
                    )
        for field_name in ("startup_timeout_sec", "tool_timeout_sec"):
            if getattr(server, field_name) <= 0:
                raise ConfigError(f"{where}: {key}.{field_name} must be positive", f"fix {key}.{field_name}")
        server.id = name
        out[name] = server
    return out


PROJECT_CONFIG_FILES = (".codex-py/config.toml", ".codex/config.toml")
"""A project's own config, ours first; only its ``[mcp_servers]`` are read, and only when the project is trusted."""


def _build_projects(raw: Any, origins: _Origins) -> dict[str, ProjectConfig]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{origins.of('projects')}: projects must be a table of tables")
    out: dict[str, ProjectConfig] = {}
    for path, value in raw.items():
        key = f'projects."{path}"'
        if not isinstance(value, dict):
            raise ConfigError(f"{origins.of('projects')}: {key} must be a table", 'write trust_level = "trusted"')
        out[str(path)] = _build(ProjectConfig, value, f"{key}.", origins)
    return out


def project_root(cwd: Path) -> Path:
    """The nearest folder at or above ``cwd`` holding ``.git`` (Codex's default project root marker), else cwd."""
    for folder in (cwd, *cwd.parents):
        if (folder / ".git").exists():
            return folder
    return cwd


def project_mcp_servers(cwd: Path) -> tuple[Path, Path, dict[str, Any]] | None:
    """(project root, its config file, the file's ``[mcp_servers]`` table) when the project at ``cwd`` defines
    servers; None otherwise."""
    root = project_root(cwd)
    found = next((root / name for name in PROJECT_CONFIG_FILES if (root / name).is_file()), None)
    if found is None:
        return None
    servers = read_toml(found).get("mcp_servers")
    return (root, found, servers) if isinstance(servers, dict) and servers else None


def project_servers(found: Path, raw: dict[str, Any]) -> dict[str, McpServerConfig]:
    """A project file's ``[mcp_servers]`` checked as the user's are (errors name that file)."""
    return _build_mcp_servers(raw, _Origins(str(found)))


def mcp_servers_hash(servers: dict[str, Any]) -> str:
    """What ``[projects."ROOT"] mcp_servers_sha256`` records: the servers' table, canonically serialised."""
    import hashlib
    import json

    canonical = json.dumps(servers, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _add_project_mcp_servers(config: Config, origins: _Origins) -> None:
    """A trusted project's own config adds (or replaces, by name) MCP servers, as long as they are the ones the
    user accepted (their hash); an untrusted or changed one is only noted."""
    defined = project_mcp_servers(config.cwd)
    if defined is None:
        return
    root, found, servers = defined
    project = next((config.projects[p] for p in (str(root), str(config.cwd)) if p in config.projects), None)
    if project is None or project.trust_level != "trusted":
        config.project_config_ignored = found
        return
    if project.mcp_servers_sha256 != mcp_servers_hash(servers):
        config.project_config_ignored = found
        config.project_servers_changed = True
        return
    project_origins = _Origins(str(found))
    config.mcp_servers = {**config.mcp_servers, **_build_mcp_servers(servers, project_origins)}


def _did_you_mean(word: str, options: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _build(cls: type[Any], raw: dict[str, Any], prefix: str, origins: _Origins) -> Any:
    """Instantiate dataclass ``cls`` from ``raw``, rejecting unknown keys and wrong types."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls) if f.name not in RUNTIME_FIELDS and f.name != "id"}
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(
                f"{origins.of(prefix + key)}: unknown key {prefix}{key}" + _did_you_mean(key, known),
                "remove it or fix its spelling (see docs/config.md)",
            )
        kwargs[key] = _coerce(value, hints[key], f"{prefix}{key}", origins)
    return cls(**kwargs)


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if tp is type(None):
        return "nothing"
    if origin is not None:
        return getattr(origin, "__name__", str(origin)).replace("dict", "table").replace("list", "array")
    return {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false"}.get(
        getattr(tp, "__name__", ""), getattr(tp, "__name__", str(tp))
    )


def _coerce(value: Any, tp: Any, key: str, origins: _Origins) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)

    def fail() -> typing.NoReturn:
        raise ConfigError(f"{origins.of(key)}: {key} must be {_type_name(tp)}, got {value!r}", origins.fix_hint(key))

    if origin in (types.UnionType, typing.Union):
        options = [arg for arg in args if arg is not type(None)]
        for arg in options:
            try:
                return _coerce(value, arg, key, origins)
            except ConfigError:
                if len(options) == 1:
                    raise  # `X | None`: the error about X says it best
        fail()
    if origin is Literal:
        if value in args:
            return value
        close = _did_you_mean(str(value), [str(a) for a in args])
        raise ConfigError(
            f"{origins.of(key)}: {key} must be one of {_type_name(tp)}, got {value!r}{close}",
            f"{origins.fix_hint(key)}: use one of {', '.join(str(a) for a in args)}",
        )
    if tp is bool:
        if isinstance(value, bool):
            return value
        fail()
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        fail()
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        fail()
    if tp is str:
        if isinstance(value, str):
            return value
        fail()
    if origin is list:
        if not isinstance(value, list):
            fail()
        return [_coerce(v, args[0], f"{key}[{i}]", origins) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            fail()
        if args[1] is object:
            return dict(value)
        return {k: _coerce(v, args[1], f"{key}.{k}", origins) for k, v in value.items()}
    if is_dataclass(tp):
        if not isinstance(value, dict):
            fail()
        return _build(tp, value, key + ".", origins)  # type: ignore[arg-type]
    fail()
