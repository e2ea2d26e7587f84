"""Start the configured MCP servers in the background, list their tools, call them, stop them.

One ``McpManager`` per session. ``start()`` (inside the running loop) launches one task per enabled
server and returns at once; the MCP SDK itself is imported in a worker thread by the first of them, so
neither the first paint nor the first request waits for it. Each server task connects (stdio child or
streamable HTTP), initializes, lists the tools, then holds the connection until ``aclose()``: the SDK's
transports must be entered and left in the same task. A server that fails to start, times out or dies
is reported once through ``on_update`` (with the tail of its stderr) and simply has no tools.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import IO, TYPE_CHECKING, Any, Literal

from codex_py.config import resolve_paths
from codex_py.config.model import McpServerConfig
from codex_py.mcp.names import qualified_names

if TYPE_CHECKING:
    from mcp.client.session import ClientSession

State = Literal["starting", "ready", "failed", "disabled"]
STDERR_TAIL_LINES = 5
_PASSED_ENV = ("LANG", "LC_ALL", "TMPDIR", "TZ")
"""Inherited by stdio servers besides the SDK's own list (HOME, LOGNAME, PATH, SHELL, TERM, USER), as in Codex."""
CLIENT_NAME = "codex-py-mcp-client"


@dataclass(slots=True)
class McpTool:
    """One tool offered to the model."""

    server: str
    name: str
    """The raw MCP name (what the server is called with)."""
    qualified: str
    """The model-visible name, ``mcp__<server>__<tool>``."""
    description: str
    input_schema: dict[str, Any]
    annotations: dict[str, Any]
    """The MCP annotations (``readOnlyHint``, ``destructiveHint``, ``openWorldHint`` ...), camelCase."""

    @property
    def read_only(self) -> bool:
        return self.annotations.get("readOnlyHint") is True

    @property
    def needs_approval(self) -> bool:
        """Codex's ``requires_approval``: destructive -> yes; read-only -> no; else yes unless the tool says it
        is neither destructive nor open-world (a missing hint counts as true)."""
        ann = self.annotations
        if ann.get("destructiveHint") is True:
            return True
        if ann.get("readOnlyHint") is True:
            return False
        return not (ann.get("destructiveHint") is False and ann.get("openWorldHint") is False)


@dataclass(slots=True)
class ServerStatus:
    name: str
    state: State
    transport: str
    required: bool = False
    error: str = ""
    """One line: why the server failed (empty otherwise)."""
    stderr_tail: str = ""
    """The last lines the server wrote to stderr when it failed."""
    tools: list[str] = field(default_factory=list)
    """Raw names of the tools offered to the model (after enabled_tools/disabled_tools)."""
    instructions: str = ""

    def report(self) -> str:
        """The one-time user-facing report of a failure."""
        text = f"MCP server '{self.name}' {self.error}; continuing without its tools"
        if self.stderr_tail:
            text += "\nstderr: " + "\n        ".join(self.stderr_tail.splitlines())
        return text


@dataclass(slots=True)
class McpResource:
    """A resource a server lists; the user attaches it with ``@server:uri``."""

    server: str
    uri: str
    name: str
    description: str = ""
    mime_type: str = ""


@dataclass(slots=True)
class McpPrompt:
    """A server's prompt, offered as the slash command ``/mcp__<server>__<prompt>``."""

    server: str
    name: str
    description: str = ""
    arguments: list[tuple[str, bool, str]] = field(default_factory=list)
    """(name, required, description) of each argument."""

    @property
    def command(self) -> str:
        return f"mcp__{self.server}__{self.name}"


@dataclass(slots=True)
class Elicitation:
    """A server's ``elicitation/create``: a form (``schema``) or, in URL mode, a page to open."""

    server: str
    message: str
    schema: dict[str, Any]
    url: str = ""


ElicitAnswer = tuple[str, dict[str, Any] | None]
"""("accept", content) | ("decline", None) | ("cancel", None)."""


class McpCallError(Exception):
    """A tool call produced no result (timeout, transport error, dead or unready server)."""


class _StartupFailed(Exception):
    pass


@dataclass(slots=True)
class _Server:
    config: McpServerConfig
    status: ServerStatus
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    session: ClientSession | None = None
    raw_tools: list[Any] = field(default_factory=list)
    resources: list[McpResource] = field(default_factory=list)
    prompts: list[McpPrompt] = field(default_factory=list)
    errlog: IO[str] | None = None
    serves_resources: bool = False
    """The server declared the resources capability (the model then gets the resource tools)."""
    unauthorized: bool = False
    """The HTTP server answered 401 (it needs ``codex-py mcp login`` or a bearer token)."""


class McpManager:
    """The session's MCP servers. ``on_update`` is called (on the loop) at every state change."""

    def __init__(
        self,
        servers: dict[str, McpServerConfig],
        *,
        cwd: Path,
        on_update: Callable[[ServerStatus], None] | None = None,
        credentials_store: str = "auto",
    ) -> None:
        self.cwd = cwd
        self.credentials_store = credentials_store
        """Where ``codex-py mcp login`` tokens are read from (config's ``credentials_store``)."""
        self.on_update = on_update
        self._servers: dict[str, _Server] = {}
        for name in sorted(servers):
            cfg = servers[name]
            state: State = "starting" if cfg.enabled else "disabled"
            self._servers[name] = _Server(cfg, ServerStatus(name, state, cfg.transport, cfg.required))
        self._tools: list[McpTool] | None = None
        self._by_name: dict[str, McpTool] = {}
        self.on_elicit: Callable[[Elicitation], Awaitable[ElicitAnswer]] | None = None
        """Shows a server's elicitation to the user (the TUI's form); None: it is answered ``cancel``."""
        self.on_notice: Callable[[str], None] | None = None
        """One informational line (an elicitation cancelled because nobody can answer it)."""
        self._closed = False

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Launch every enabled server in the background (call inside the running loop)."""
        for srv in self._servers.values():
            if srv.status.state == "starting" and srv.task is None:
                srv.task = asyncio.create_task(self._run(srv), name=f"mcp-server:{srv.status.name}")
            elif srv.status.state == "disabled":
                srv.settled.set()

    async def wait(self, names: list[str] | None = None) -> None:
        """Until the named servers (default: all) are ready or failed (their startup timeouts bound it)."""
        chosen = [self._servers[n] for n in names] if names is not None else list(self._servers.values())
        await asyncio.gather(*(srv.settled.wait() for srv in chosen if srv.task is not None))

    async def wait_required(self) -> list[ServerStatus]:
        """Wait for the ``required`` servers; return those that failed."""
        required = [name for name, srv in self._servers.items() if srv.config.required and srv.config.enabled]
        await self.wait(required)
        return [self._servers[n].status for n in required if self._servers[n].status.state != "ready"]

    async def aclose(self) -> None:
        """Stop every server (stdio children are killed with their process group if they linger)."""
        self._closed = True
        tasks = []
        for srv in self._servers.values():
            srv.stop.set()
            if srv.task is not None and not srv.task.done():
                if srv.session is None:
                    srv.task.cancel()  # still starting
                tasks.append(srv.task)
        if tasks:
            await asyncio.wait(tasks, timeout=10)

    # --- queries -----------------------------------------------------------------------------
    def statuses(self) -> list[ServerStatus]:
        return [srv.status for srv in self._servers.values()]

    def counts(self) -> tuple[int, int]:
        """(ready, enabled) servers."""
        enabled = [s for s in self._servers.values() if s.status.state != "disabled"]
        return sum(s.status.state == "ready" for s in enabled), len(enabled)

    def tools(self) -> list[McpTool]:
        """The tools of the servers ready now, in a stable order."""
        if self._tools is None:
            pairs = [(name, t.name) for name, srv in self._servers.items() for t in srv.raw_tools]
            names = qualified_names(pairs)
            tools: list[McpTool] = []
            seen: set[tuple[str, str]] = set()
            for name, srv in self._servers.items():
                for t in srv.raw_tools:
                    if (name, t.name) in seen:
                        continue
                    seen.add((name, t.name))
                    ann = t.annotations.model_dump(by_alias=True, exclude_none=True) if t.annotations else {}
                    tools.append(
                        McpTool(
                            name,
                            t.name,
                            names[(name, t.name)],
                            t.description or "",
                            dict(t.input_schema or {}),
                            ann,
                        )
                    )
            self._tools = tools
            self._by_name = {t.qualified: t for t in tools}
        return self._tools

    def lookup(self, qualified: str) -> McpTool | None:
        self.tools()
        return self._by_name.get(qualified)

    def has_server(self, name: str) -> bool:
        return name in self._servers

    def server_names(self) -> list[str]:
        return list(self._servers)

    def server_config(self, name: str) -> McpServerConfig:
        return self._servers[name].config

    # --- calls -------------------------------------------------------------------------------
    async def call(self, tool: McpTool, arguments: dict[str, Any] | None) -> Any:
        """Call ``tool``; return the SDK's ``CallToolResult``. Raises ``McpCallError`` when there is none."""
        srv = self._servers[tool.server]
        session = srv.session
        if session is None or srv.status.state != "ready":
            raise McpCallError(f"MCP server '{tool.server}' is not running")
        timeout = srv.config.tool_timeout_sec
        try:
            async with asyncio.timeout(timeout + 1):  # the SDK's own read timeout answers first
                return await session.call_tool(tool.name, arguments, read_timeout_seconds=timeout)
        except TimeoutError:
            raise McpCallError(f"tool call timed out after {timeout:g} seconds") from None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            cause = _describe(exc)
            if "timed out" in cause.lower() or "timeout" in cause.lower():
                raise McpCallError(f"tool call timed out after {timeout:g} seconds") from None
            if _connection_lost(exc) or _exited(srv):
                self._fail(srv, f"stopped during a call to '{tool.name}' ({cause})")
                srv.stop.set()
                raise McpCallError(f"MCP server '{tool.server}' stopped: {cause}") from None
            raise McpCallError(cause) from None

    # --- one server --------------------------------------------------------------------------
    async def _run(self, srv: _Server) -> None:
        cfg = srv.config
        try:
            async with contextlib.AsyncExitStack() as stack:
                try:
                    async with asyncio.timeout(cfg.startup_timeout_sec):
                        sdk = await _load_sdk()
                        session = await self._connect(sdk, srv, stack)
                        init = await session.initialize()
                        raw = await _list_tools(sdk, session)
                except TimeoutError:
                    raise _StartupFailed(
                        f"timed out after {cfg.startup_timeout_sec:g} seconds starting; raise "
                        f"startup_timeout_sec in [mcp_servers.{cfg.id}] of config.toml"
                    ) from None
                srv.raw_tools = [t for t in raw if _offered(cfg, t.name)]
                srv.session = session
                srv.status.state = "ready"
                srv.status.tools = [t.name for t in srv.raw_tools]
                srv.status.instructions = getattr(init, "instructions", None) or ""
                caps = getattr(init, "capabilities", None)
                with contextlib.suppress(Exception):  # optional: a server without them still serves tools
                    async with asyncio.timeout(cfg.startup_timeout_sec):
                        if getattr(caps, "resources", None) is not None:
                            srv.serves_resources = True
                            srv.resources = await _list_resources(srv.status.name, session)
                        if getattr(caps, "prompts", None) is not None:
                            srv.prompts = await _list_prompts(srv.status.name, session)
                self._tools = None
                srv.settled.set()
                self._notify(srv)
                await srv.stop.wait()
                srv.session = None
        except asyncio.CancelledError:
            if not self._closed:
                raise
        except _StartupFailed as exc:
            self._fail(srv, str(exc))
        except BaseException as exc:  # ExceptionGroups from the SDK's task groups included
            if not isinstance(exc, Exception):
                raise
            if not self._closed and srv.status.state != "failed":
                verb = "stopped" if srv.status.state == "ready" else "failed to start"
                cause = _describe(exc)
                if srv.unauthorized and not isinstance(_leaves(exc)[0], PermissionError):
                    how = f"run `codex-py mcp login {cfg.id}`"
                    if cfg.bearer_token_env_var:
                        how = f"check the token in ${cfg.bearer_token_env_var}"
                    cause = f"the server requires authorization (HTTP 401); {how}"
                self._fail(srv, f"{verb}: {cause}")
        finally:
            srv.session = None
            srv.settled.set()
            if srv.errlog is not None:
                srv.errlog.close()
                srv.errlog = None

    async def _connect(self, sdk: SimpleNamespace, srv: _Server, stack: contextlib.AsyncExitStack) -> ClientSession:
        cfg = srv.config
        if cfg.command:
            import shutil
            import tempfile

            env = {k: os.environ[k] for k in _PASSED_ENV if k in os.environ}
            for entry in cfg.env_vars:
                var = entry if isinstance(entry, str) else entry["name"]
                if var in os.environ:
                    env[var] = os.environ[var]
            env.update(cfg.env)
            cwd = Path(cfg.cwd).expanduser() if cfg.cwd else self.cwd
            cwd = cwd if cwd.is_absolute() else self.cwd / cwd
            if not cwd.is_dir():
                raise _StartupFailed(f"failed to start: cwd {cwd} is not a directory")
            command = cfg.command
            if "/" not in command:
                found = shutil.which(command, path=env.get("PATH", os.environ.get("PATH", os.defpath)))
                if found is None:
                    raise _StartupFailed(f"failed to start: command not found: {command}")
                command = found
            elif not os.path.isabs(command):
                command = str(cwd / command)
            srv.errlog = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115 (closed by _run)
            params = sdk.StdioServerParameters(command=command, args=list(cfg.args), env=env, cwd=str(cwd))
            streams = await stack.enter_async_context(sdk.stdio_client(params, errlog=srv.errlog))
        else:
            from codex_py.config.redaction import register_secret

            headers = dict(cfg.http_headers)
            for header, var in cfg.env_http_headers.items():
                if value := os.environ.get(var):
                    headers[header] = value
                    register_secret(value)
            if cfg.bearer_token_env_var:
                token = os.environ.get(cfg.bearer_token_env_var, "")
                if not token:
                    raise _StartupFailed(
                        f"failed to start: environment variable {cfg.bearer_token_env_var} "
                        "(bearer_token_env_var) is not set"
                    )
                register_secret(token)
                headers["Authorization"] = f"Bearer {token}"
            auth = self._oauth(cfg) if not cfg.bearer_token_env_var else None
            client = await stack.enter_async_context(sdk.create_mcp_http_client(headers=headers, auth=auth))

            async def on_response(response: Any) -> None:
                if response.status_code == 401:
                    srv.unauthorized = True

            client.event_hooks = {**client.event_hooks, "response": [*client.event_hooks["response"], on_response]}
            streams = await stack.enter_async_context(sdk.streamable_http_client(cfg.url, http_client=client))
        read, write = streams[0], streams[1]
        info = sdk.types.Implementation(name=CLIENT_NAME, title="codex-py", version=_version())
        session: ClientSession = await stack.enter_async_context(
            sdk.ClientSession(
                read,
                write,
                client_info=info,
                logging_callback=_ignore_log,
                elicitation_callback=self._elicitation_handler(srv.status.name),
            )
        )
        return session

    def _oauth(self, cfg: McpServerConfig) -> Any:
        """The stored ``codex-py mcp login`` of this server as an ``httpx2.Auth`` (refreshing), or None."""
        from codex_py.login.store import ENV_OVERRIDE, CredentialStore, StoreError
        from codex_py.mcp.oauth import make_auth, stored

        mode = os.environ.get(ENV_OVERRIDE, "").strip().lower() or self.credentials_store
        try:
            store = CredentialStore(resolve_paths(), mode)
            if stored(store, cfg) is None:
                return None
        except StoreError as exc:
            raise _StartupFailed(f"failed to start: {exc}") from None

        async def login_needed(url: str) -> None:
            raise PermissionError(f"the OAuth login has expired; run `codex-py mcp login {cfg.id}`")

        async def no_callback() -> Any:
            raise PermissionError(f"the OAuth login has expired; run `codex-py mcp login {cfg.id}`")

        return make_auth(store, cfg, redirect_handler=login_needed, callback_handler=no_callback)

    def _elicitation_handler(self, server: str) -> Any:
        async def handle(context: Any, params: Any) -> Any:
            from mcp.types import ElicitResult

            schema: Any = getattr(params, "requested_schema", None) or {}
            if hasattr(schema, "model_dump"):
                schema = schema.model_dump(by_alias=True, exclude_none=True)
            message = str(getattr(params, "message", ""))
            request = Elicitation(server, message, dict(schema), str(getattr(params, "url", "") or ""))
            if self.on_elicit is None:
                if self.on_notice is not None:
                    self.on_notice(
                        f"MCP server '{server}' asked for input ({request.message[:120]}); "
                        "cancelled: nobody can answer here"
                    )
                return ElicitResult(action="cancel")
            action, content = await self.on_elicit(request)
            return ElicitResult(action=action, content=content if action == "accept" else None)  # type: ignore[arg-type]

        return handle

    # --- resources and prompts -----------------------------------------------------------------
    def resources(self) -> list[McpResource]:
        """The resources of the servers ready now."""
        return [r for srv in self._servers.values() if srv.status.state == "ready" for r in srv.resources]

    def resource_servers(self) -> list[str]:
        """The ready servers that serve resources, in configuration order."""
        return [name for name, srv in self._servers.items() if srv.status.state == "ready" and srv.serves_resources]

    async def resource_page(self, server: str, kind: str, cursor: str | None) -> dict[str, Any]:
        """One page of a server's ``resources`` or ``resourceTemplates`` as MCP JSON (``nextCursor`` when there
        are more). Raises ``McpCallError``."""
        from mcp.types import PaginatedRequestParams

        params = PaginatedRequestParams(cursor=cursor) if cursor else None
        if kind == "resources":
            result = await self._request(server, "listing resources", lambda s: s.list_resources(params=params))
        else:
            result = await self._request(
                server, "listing resource templates", lambda s: s.list_resource_templates(params=params)
            )
        page: dict[str, Any] = result.model_dump(mode="json", by_alias=True, exclude_none=True)
        return page

    async def resource_contents(self, server: str, uri: str) -> list[dict[str, Any]]:
        """A resource's contents as MCP JSON (``uri``, ``mimeType``, ``text`` or ``blob``). Raises ``McpCallError``."""
        result = await self._request(server, f"reading {uri}", lambda s: s.read_resource(uri))
        return [item.model_dump(mode="json", by_alias=True, exclude_none=True) for item in result.contents]

    def prompts(self) -> list[McpPrompt]:
        return [p for srv in self._servers.values() if srv.status.state == "ready" for p in srv.prompts]

    async def read_resource(self, server: str, uri: str) -> str:
        """The text of a resource (binary parts as one line each). Raises ``McpCallError``."""
        result = await self._request(server, f"reading {uri}", lambda s: s.read_resource(uri))
        parts = []
        for item in result.contents:
            text = getattr(item, "text", None)
            if text is not None:
                parts.append(text)
            else:
                blob = getattr(item, "blob", "") or ""
                parts.append(f"[binary {item.mime_type or 'data'}, {len(blob) * 3 // 4:,} bytes not included]")
        return "\n".join(parts)

    async def get_prompt(self, server: str, name: str, arguments: dict[str, str]) -> str:
        """The prompt's messages as one text (resources it embeds included). Raises ``McpCallError``."""
        result = await self._request(server, f"prompt {name}", lambda s: s.get_prompt(name, arguments))
        parts = []
        for message in result.messages:
            content = message.content
            text = getattr(content, "text", None)
            resource = getattr(content, "resource", None)
            if text is not None:
                parts.append(text)
            elif resource is not None and getattr(resource, "text", None) is not None:
                parts.append(f'<resource uri="{resource.uri}">\n{resource.text}\n</resource>')
            else:
                parts.append(f"[{getattr(content, 'type', 'content')} not included]")
        return "\n\n".join(parts)

    async def _request(self, server: str, what: str, send: Callable[[ClientSession], Awaitable[Any]]) -> Any:
        """One request to a ready server, bounded by its ``tool_timeout_sec``; failures as ``McpCallError``."""
        srv = self._servers.get(server)
        if srv is None or srv.session is None:
            raise McpCallError(f"MCP server '{server}' is not running")
        try:
            async with asyncio.timeout(srv.config.tool_timeout_sec):
                return await send(srv.session)
        except TimeoutError:
            raise McpCallError(f"{what} timed out") from None
        except Exception as exc:
            raise McpCallError(_describe(exc)) from None

    def _fail(self, srv: _Server, error: str) -> None:
        if srv.status.state == "failed":
            return
        srv.status.state = "failed"
        srv.status.error = error
        srv.status.stderr_tail = _tail(srv.errlog)
        srv.raw_tools = []
        srv.status.tools = []
        self._tools = None
        srv.settled.set()
        self._notify(srv)

    def _notify(self, srv: _Server) -> None:
        if self.on_update is not None:
            self.on_update(srv.status)


def _offered(cfg: McpServerConfig, tool: str) -> bool:
    if cfg.enabled_tools is not None and tool not in cfg.enabled_tools:
        return False
    return tool not in cfg.disabled_tools


async def _list_tools(sdk: SimpleNamespace, session: ClientSession) -> list[Any]:
    tools: list[Any] = []
    cursor: str | None = None
    for _ in range(100):  # a server that pages forever is cut off
        params = sdk.types.PaginatedRequestParams(cursor=cursor) if cursor else None
        page = await session.list_tools(params=params)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tools


async def _list_resources(server: str, session: ClientSession) -> list[McpResource]:
    out: list[McpResource] = []
    cursor: str | None = None
    for _ in range(20):
        from mcp.types import PaginatedRequestParams

        page = await session.list_resources(params=PaginatedRequestParams(cursor=cursor) if cursor else None)
        out += [McpResource(server, str(r.uri), r.name, r.description or "", r.mime_type or "") for r in page.resources]
        cursor = page.next_cursor
        if not cursor:
            break
    return out


async def _list_prompts(server: str, session: ClientSession) -> list[McpPrompt]:
    page = await session.list_prompts()
    return [
        McpPrompt(
            server,
            p.name,
            p.description or "",
            [(a.name, bool(a.required), a.description or "") for a in p.arguments or []],
        )
        for p in page.prompts
    ]


async def _ignore_log(params: Any) -> None:
    return None


def _tail(errlog: IO[str] | None) -> str:
    if errlog is None:
        return ""
    try:
        errlog.flush()
        errlog.seek(0, os.SEEK_END)
        size = errlog.tell()
        errlog.seek(max(0, size - 4096))
        text = errlog.read()
    except (OSError, ValueError):
        return ""
    from codex_py.config.redaction import redact

    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return redact("\n".join(line[:300] for line in lines[-STDERR_TAIL_LINES:]))


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in _leaves(sub)]
    return [exc]


def _describe(exc: BaseException) -> str:
    leaf = _leaves(exc)[0]
    text = " ".join(str(leaf).split()) or type(leaf).__name__
    if isinstance(leaf, OSError) and leaf.strerror:
        text = leaf.strerror + (f": {leaf.filename}" if leaf.filename else "")
    return text[:300]


def _connection_lost(exc: BaseException) -> bool:
    import anyio

    for leaf in _leaves(exc):
        if isinstance(leaf, (anyio.ClosedResourceError, anyio.BrokenResourceError, ConnectionError, EOFError)):
            return True
        if "connection closed" in str(leaf).lower():
            return True
    return False


def _exited(srv: _Server) -> bool:
    return srv.task is not None and srv.task.done()


def _version() -> str:
    from codex_py import __version__

    return __version__


_sdk_lock = threading.Lock()
_sdk: SimpleNamespace | None = None


def _import_sdk() -> SimpleNamespace:
    """Import the MCP SDK once (about a second of CPU: run in a worker thread)."""
    global _sdk
    with _sdk_lock:
        if _sdk is None:
            import mcp.types as types
            from mcp.client.session import ClientSession
            from mcp.client.stdio import StdioServerParameters, stdio_client
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            _sdk = SimpleNamespace(
                types=types,
                ClientSession=ClientSession,
                StdioServerParameters=StdioServerParameters,
                stdio_client=stdio_client,
                streamable_http_client=streamable_http_client,
                create_mcp_http_client=create_mcp_http_client,
            )
        return _sdk


async def _load_sdk() -> SimpleNamespace:
    if _sdk is not None:
        return _sdk
    return await asyncio.to_thread(_import_sdk)
