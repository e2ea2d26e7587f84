"""``codex-py mcp add|list|get|remove``: edit ``[mcp_servers.NAME]`` in the global config.toml like ``codex mcp``.

Edits go through tomlkit, so the user's comments and layout stay. Output follows Codex's wording.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from codex_py.config import CliOverrides, ConfigError, load_config, resolve_paths
from codex_py.config.edit import load_for_edit, save, table_in
from codex_py.config.model import McpServerConfig
from codex_py.errors import UsageError

_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise UsageError(f"invalid server name '{name}' (use letters, numbers, '-', '_')")


def _load_doc() -> tuple[Any, Any]:
    path = resolve_paths().config_file
    return path, load_for_edit(path)


def add(
    name: str,
    command: list[str] | None,
    *,
    env: list[str] | None = None,
    url: str | None = None,
    bearer_token_env_var: str | None = None,
) -> int:
    import tomlkit

    _check_name(name)
    if bool(command) == bool(url):
        raise UsageError("give exactly one transport: -- COMMAND [ARGS...] (stdio) or --url URL (streamable HTTP)")
    table = tomlkit.table()
    if command:
        table["command"] = command[0]
        if command[1:]:
            table["args"] = command[1:]
        pairs = {}
        for item in env or []:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise UsageError(f"invalid --env {item!r}: expected KEY=VALUE")
            pairs[key] = value
        if pairs:
            inline = tomlkit.inline_table()
            inline.update(pairs)
            table["env"] = inline
        if bearer_token_env_var:
            raise UsageError("--bearer-token-env-var is only for --url servers")
    else:
        if env:
            raise UsageError("--env is only for stdio servers (-- COMMAND ...)")
        table["url"] = url
        if bearer_token_env_var:
            table["bearer_token_env_var"] = bearer_token_env_var
    path, doc = _load_doc()
    table_in(doc, "mcp_servers")[name] = table
    save(path, doc)
    print(f"Added global MCP server '{name}'.")
    if url and not bearer_token_env_var:
        from codex_py.mcp.oauth import supports_oauth

        if not supports_oauth(url):
            print(f"MCP server may or may not require login. Run `codex-py mcp login {name}` to login.")
        elif sys.stdin.isatty() and sys.stdout.isatty():
            print("Detected OAuth support. Starting OAuth flow…", flush=True)
            return login(CliOverrides(), name)
        else:
            print(f"Detected OAuth support. Run `codex-py mcp login {name}` to log in.")
    return 0


def _http_server(cli: CliOverrides, name: str) -> tuple[McpServerConfig, Any, int | None]:
    from codex_py.login.store import open_store

    config = load_config(cli)
    server = config.mcp_servers.get(name)
    if server is None:
        raise UsageError(f"No MCP server named '{name}' found.", "see `codex-py mcp list`")
    if server.transport == "stdio":
        raise UsageError("OAuth login is only supported for streamable HTTP servers.", f"`{name}` runs a command")
    return server, open_store(config), config.mcp_oauth_callback_port


def login(cli: CliOverrides, name: str, *, scopes: str | None = None) -> int:
    """``codex-py mcp login NAME [--scopes a,b]``: OAuth in the browser; tokens go to the credential store."""
    import asyncio

    from codex_py.mcp.oauth import login as oauth_login

    server, store, port = _http_server(cli, name)
    if server.bearer_token_env_var:
        raise UsageError(
            f"MCP server '{name}' uses a bearer token from ${server.bearer_token_env_var}",
            f"remove bearer_token_env_var from [mcp_servers.{name}] to log in with OAuth instead",
        )
    chosen = [s.strip() for s in scopes.split(",") if s.strip()] if scopes else None
    asyncio.run(oauth_login(server, store, scopes=chosen, port=port))
    print(f"Successfully logged in to MCP server '{name}'.")
    return 0


def logout(cli: CliOverrides, name: str) -> int:
    """``codex-py mcp logout NAME``: remove the stored OAuth tokens (and the registered client)."""
    from codex_py.mcp.oauth import record_key, revoke

    server, store, _ = _http_server(cli, name)
    key = record_key(name, server.url)
    record = store.get(key)
    if record:
        why = revoke(record)
        if why is not None:
            print(f"warning: the tokens were not revoked ({why}); they stay valid until they expire", file=sys.stderr)
    if store.delete(key):
        print(f"Removed OAuth credentials for '{name}'.")
    else:
        print(f"No OAuth credentials stored for '{name}'.")
    return 0


def remove(name: str) -> int:
    _check_name(name)
    path, doc = _load_doc()
    servers = doc.get("mcp_servers")
    if servers is None or name not in servers:
        print(f"No MCP server named '{name}' found.")
        return 0
    del servers[name]
    save(path, doc)
    print(f"Removed global MCP server '{name}'.")
    return 0


def set_tool_approval(server: str, tool: str, mode: str, cwd: Path | None = None) -> None:
    """``[mcp_servers.SERVER.tools.TOOL] approval_mode = MODE``, comments kept (the TUI's "don't ask again"), in
    the file that defines the server, as Codex does: the project's config when the project at ``cwd`` defines it
    (its accepted hash is then updated, the change being the user's), else the global config.toml. Refused: a
    server defined in neither (given with ``-c``: a tools table alone would make an invalid entry), and a project
    whose servers changed since they were accepted (saving would accept that change unseen)."""
    from codex_py.config.loader import mcp_servers_hash, project_mcp_servers

    defined = project_mcp_servers(cwd) if cwd is not None else None
    if defined is not None and server in defined[2]:
        root, found, servers = defined
        path, doc = _load_doc()
        project = table_in(table_in(doc, "projects"), str(root))
        if project.get("mcp_servers_sha256") != mcp_servers_hash(servers):
            raise ConfigError(
                f"not saved: the MCP servers in {found} changed since you accepted them",
                "approved for this session only; review the file and run `codex-py mcp accept`",
            )
        theirs = load_for_edit(found)
        _set_mode(theirs, server, tool, mode)
        _write(found, theirs)
        changed = project_mcp_servers(root)
        project["mcp_servers_sha256"] = mcp_servers_hash(changed[2] if changed is not None else {})
        _write(path, doc)
        return
    path, doc = _load_doc()
    servers_table = doc.get("mcp_servers")
    if servers_table is None or servers_table.get(server) is None:
        raise ConfigError(
            f"not saved: MCP server '{server}' is not defined in {path}",
            "approved for this session only; add the server there (codex-py mcp add) to keep approvals",
        )
    _set_mode(doc, server, tool, mode)
    _write(path, doc)


def _set_mode(doc: Any, server: str, tool: str, mode: str) -> None:
    import tomlkit

    entry = doc["mcp_servers"][server]
    tools = entry.get("tools")
    if tools is None:
        tools = tomlkit.inline_table() if isinstance(entry, tomlkit.items.InlineTable) else tomlkit.table(True)
        entry["tools"] = tools
    own = tools.get(tool)
    if own is None:
        own = tomlkit.inline_table() if isinstance(tools, tomlkit.items.InlineTable) else tomlkit.table()
        tools[tool] = own
    new_table = "approval_mode" not in own and isinstance(own, tomlkit.items.Table)
    own["approval_mode"] = mode
    if new_table:
        own.add(tomlkit.nl())  # a blank line before whatever table follows


def _write(path: Path, doc: Any) -> None:
    try:
        save(path, doc)
    except OSError as exc:
        raise ConfigError(f"not saved: cannot write {path}: {exc.strerror}", "approved for this session only") from exc


def _servers(cli: CliOverrides) -> tuple[dict[str, McpServerConfig], dict[str, str]]:
    """The configured servers and each one's auth status (Codex's ``auth_status`` values)."""
    config = load_config(cli)
    auth: dict[str, str] = {}
    for name, server in config.mcp_servers.items():
        if server.transport == "stdio":
            auth[name] = "unsupported"
        elif server.bearer_token_env_var:
            auth[name] = "bearer_token"
        else:
            from codex_py.login.store import StoreError, open_store
            from codex_py.mcp.oauth import stored

            try:
                found = stored(open_store(config), server)
            except StoreError:
                found = None
            auth[name] = "o_auth" if found else "not_logged_in"
    return config.mcp_servers, auth


_AUTH_TEXT = {
    "unsupported": "Unsupported",
    "bearer_token": "Bearer token",
    "not_logged_in": "Not logged in",
    "o_auth": "OAuth",
}


def _entry(server: McpServerConfig, auth: str) -> dict[str, Any]:
    transport: dict[str, Any]
    if server.transport == "stdio":
        transport = {
            "type": "stdio",
            "command": server.command,
            "args": server.args,
            "env": server.env or None,
            "env_vars": server.env_vars,
            "cwd": server.cwd or None,
        }
    else:
        transport = {
            "type": "streamable_http",
            "url": server.url,
            "bearer_token_env_var": server.bearer_token_env_var or None,
            "http_headers": {k: "*****" for k in server.http_headers} or None,
            "env_http_headers": server.env_http_headers or None,
        }
    return {
        "name": server.id,
        "enabled": server.enabled,
        "disabled_reason": None,
        "transport": transport,
        "startup_timeout_sec": server.startup_timeout_sec,
        "tool_timeout_sec": server.tool_timeout_sec,
        "auth_status": auth,
    }


def list_servers(cli: CliOverrides, *, as_json: bool = False) -> int:
    servers, auth = _servers(cli)
    if as_json:
        print(json.dumps([_entry(s, auth[s.id]) for s in servers.values()], indent=2))
        return 0
    if not servers:
        print("No MCP servers configured yet. Try `codex-py mcp add my-tool -- my-command`.")
        return 0
    stdio = [s for s in servers.values() if s.transport == "stdio"]
    http = [s for s in servers.values() if s.transport != "stdio"]
    if stdio:
        rows = [
            [
                s.id,
                s.command,
                " ".join(s.args) or "-",
                ", ".join(f"{k}=*****" for k in s.env) or "-",
                s.cwd or "-",
                "enabled" if s.enabled else "disabled",
                _AUTH_TEXT[auth[s.id]],
            ]
            for s in stdio
        ]
        _table(["Name", "Command", "Args", "Env", "Cwd", "Status", "Auth"], rows)
    if http:
        if stdio:
            print()
        rows = [
            [s.id, s.url, s.bearer_token_env_var or "-", "enabled" if s.enabled else "disabled", _AUTH_TEXT[auth[s.id]]]
            for s in http
        ]
        _table(["Name", "Url", "Bearer Token Env Var", "Status", "Auth"], rows)
    return 0


def get(cli: CliOverrides, name: str, *, as_json: bool = False) -> int:
    servers, auth = _servers(cli)
    if name not in servers:
        raise UsageError(f"No MCP server named '{name}' found.", "see `codex-py mcp list`")
    server = servers[name]
    if as_json:
        print(json.dumps(_entry(server, auth[name]), indent=2))
        return 0
    if not server.enabled:
        print(f"{name} (disabled)")
        return 0
    lines = [name, "  enabled: true", f"  transport: {server.transport}"]
    if server.transport == "stdio":
        lines += [f"  command: {server.command}", f"  args: {' '.join(server.args) or '-'}"]
        lines += [f"  cwd: {server.cwd or '-'}", f"  env: {', '.join(f'{k}=*****' for k in server.env) or '-'}"]
    else:
        lines += [f"  url: {server.url}", f"  bearer_token_env_var: {server.bearer_token_env_var or '-'}"]
        lines += [f"  http_headers: {', '.join(f'{k}=*****' for k in server.http_headers) or '-'}"]
    lines += [
        f"  startup_timeout_sec: {server.startup_timeout_sec:g}",
        f"  tool_timeout_sec: {server.tool_timeout_sec:g}",
    ]
    lines.append(f"  remove: codex-py mcp remove {name}")
    print("\n".join(lines))
    return 0


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        sys.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n")


def ignored_project_servers(config: Any) -> str:
    """The start-up warning for a project whose MCP servers were not started (``config.project_config_ignored``)."""
    found = config.project_config_ignored
    if config.project_servers_changed:
        return (
            f"MCP servers in {found} were not started: they are new or changed since you accepted them (a command "
            "may have edited the file); review it, then run `codex-py mcp accept` here to start them"
        )
    from codex_py.config.loader import project_root

    return (
        f"MCP servers in {found} were not started: this project is not trusted; to trust it and start them, "
        f"review the file and run `codex-py mcp accept` here (it records "
        f'[projects."{project_root(config.cwd)}"] trust_level = "trusted" and the servers in config.toml)'
    )


def accept_project(cwd: Path) -> tuple[Path, Path, dict[str, Any]]:
    """Trust the project at ``cwd`` and accept its MCP servers as they are now (their hash is recorded in the
    global config.toml); returns (root, its config file, the servers' table). Raises ``UsageError`` when the
    project defines no servers, ``ConfigError`` when a file cannot be read or written."""
    from codex_py.config.loader import mcp_servers_hash, project_mcp_servers, project_root

    defined = project_mcp_servers(cwd)
    if defined is None:
        raise UsageError(
            f"no project MCP servers here: no [mcp_servers] in .codex-py/config.toml or .codex/config.toml at the "
            f"project root ({project_root(cwd)})"
        )
    root, found, servers = defined
    path, doc = _load_doc()
    project = table_in(table_in(doc, "projects"), str(root))
    project["trust_level"] = "trusted"
    project["mcp_servers_sha256"] = mcp_servers_hash(servers)
    _write(path, doc)
    return root, found, servers


def describe_servers(servers: dict[str, Any]) -> list[str]:
    """``name: command args`` (or the URL) per server, as ``mcp accept`` shows what it accepted."""
    lines = []
    for name, entry in servers.items():
        entry = entry if isinstance(entry, dict) else {}
        what = entry.get("url") or " ".join([str(entry.get("command", "?")), *map(str, entry.get("args") or [])])
        lines.append(f"{name}: {what}")
    return lines


def accept(cli: CliOverrides) -> int:
    """``codex-py mcp accept``: see ``accept_project``."""
    config = load_config(cli)
    try:
        root, found, servers = accept_project(config.cwd)
    except UsageError as exc:
        message = str(exc)
        print(f"{message[:1].upper()}{message[1:]}.")
        return 1
    print(f"Accepted the MCP servers of {found} (project {root} trusted in {resolve_paths().config_file}):")
    for line in describe_servers(servers):
        print(f"  {line}")
    print("They start with the next session; a change to them needs `codex-py mcp accept` again.")
    return 0
