"""OAuth for streamable-HTTP MCP servers: ``codex-py mcp login|logout NAME`` and the tokens sessions send.

The protocol is the official SDK's (``mcp.client.auth.OAuthClientProvider``): the server's 401 and its
``WWW-Authenticate`` resource metadata lead to the authorization server's metadata, dynamic client
registration when the server offers it, then the authorization-code grant with PKCE. codex-py adds
what the SDK leaves to the application: the browser step through login/'s loopback callback listener
(``http://localhost:<port>/callback``, state checked, Host checked), the configured ``scopes`` (they win
over discovered ones, as in Codex) and ``oauth_resource`` (RFC 8707), and storage in codex-py's
credential store (keyring or the 0600 file), one record per server under ``mcp_oauth:<name>|<url hash>``.

Refresh works like ChatGPT's: before a request, a token within 30 s of expiry is refreshed under the
store's cross-process lock, after re-reading the record (another codex-py may have refreshed it
already; the servers rotate refresh tokens). Nothing here imports the SDK at module level.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from codex_py.login.store import MCP_KEY_PREFIX, CredentialStore

if TYPE_CHECKING:
    import httpx2

    from codex_py.config.model import McpServerConfig

REFRESH_SKEW_S = 30.0
CALLBACK_PATH = "/callback"
CLIENT_NAME = "codex-py"


def record_key(name: str, url: str) -> str:
    """The store key of a server's OAuth record: its name and a hash of its URL (a new URL needs a new login)."""
    digest = hashlib.sha256(json.dumps({"type": "http", "url": url}, sort_keys=True).encode()).hexdigest()[:16]
    return f"{MCP_KEY_PREFIX}{name}|{digest}"


def stored(store: CredentialStore, cfg: McpServerConfig) -> dict[str, Any] | None:
    """The server's record when it holds an access token."""
    record = store.get(record_key(cfg.id, cfg.url))
    return record if record and record.get("access_token") else None


class _Storage:
    """The SDK's ``TokenStorage`` over one credential-store record."""

    def __init__(self, store: CredentialStore, cfg: McpServerConfig) -> None:
        self.store = store
        self.key = record_key(cfg.id, cfg.url)
        self.base = {"server_name": cfg.id, "server_url": cfg.url}
        self.token_endpoint = ""
        self.revocation_endpoint = ""

    def record(self) -> dict[str, Any]:
        return self.store.get(self.key) or dict(self.base)

    def _save(self, changes: dict[str, Any]) -> None:
        with self.store.lock():
            record = self.record()
            record.update(self.base)
            record.update(changes)
            self.store.put(self.key, record)

    async def get_tokens(self) -> Any:
        from mcp.shared.auth import OAuthToken

        record = self.record()
        if not record.get("access_token"):
            return None
        left = record.get("expires_at")
        return OAuthToken(
            access_token=record["access_token"],
            refresh_token=record.get("refresh_token"),
            scope=record.get("scope"),
            expires_in=int(left - time.time()) if isinstance(left, int | float) else None,
        )

    async def set_tokens(self, tokens: Any) -> None:
        expires = time.time() + tokens.expires_in if tokens.expires_in is not None else None
        changes: dict[str, Any] = {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "scope": tokens.scope,
            "expires_at": expires,
        }
        if self.token_endpoint:
            changes["token_endpoint"] = self.token_endpoint
        if self.revocation_endpoint:
            changes["revocation_endpoint"] = self.revocation_endpoint
        self._save(changes)

    async def get_client_info(self) -> Any:
        from mcp.shared.auth import OAuthClientInformationFull

        info = self.record().get("client_info")
        return OAuthClientInformationFull.model_validate(info) if isinstance(info, dict) else None

    async def set_client_info(self, client_info: Any) -> None:
        info = client_info.model_dump(mode="json", exclude_none=True)
        self._save({"client_info": info, "client_secret": info.get("client_secret")})


def make_auth(
    store: CredentialStore,
    cfg: McpServerConfig,
    *,
    redirect_uri: str = "http://localhost/callback",
    scopes: list[str] | None = None,
    redirect_handler: Any = None,
    callback_handler: Any = None,
) -> httpx2.Auth:
    """An ``httpx2.Auth`` that sends the stored token (refreshing it when due) and, with handlers, logs in."""
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import OAuthClientMetadata

    storage = _Storage(store, cfg)
    chosen = scopes or cfg.scopes

    class _Metadata(OAuthClientMetadata):
        def __setattr__(self, name: str, value: Any) -> None:
            if name == "scope" and chosen:  # configured scopes win over discovered ones (Codex's precedence)
                return
            super().__setattr__(name, value)

    metadata = _Metadata(
        client_name=CLIENT_NAME,
        redirect_uris=[redirect_uri],  # type: ignore[list-item]  # pydantic parses the string
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
        scope=" ".join(chosen) or None,
    )

    class _Provider(OAuthClientProvider):
        async def _initialize(self) -> None:
            await super()._initialize()
            tokens = self.context.current_tokens
            if tokens is not None and tokens.expires_in is not None:
                self.context.token_expiry_time = time.time() + tokens.expires_in

        async def _handle_token_response(self, response: httpx2.Response) -> None:
            meta = self.context.oauth_metadata
            storage.token_endpoint = str(meta.token_endpoint) if meta is not None else ""
            revocation = getattr(meta, "revocation_endpoint", None) if meta is not None else None
            storage.revocation_endpoint = str(revocation) if revocation else ""
            await super()._handle_token_response(response)

        async def async_auth_flow(self, request: httpx2.Request) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
            await _refresh_if_due(self, storage, cfg)
            flow = super().async_auth_flow(request)
            outgoing = await flow.__anext__()
            while True:
                response = yield outgoing
                try:
                    outgoing = await flow.asend(response)
                except StopAsyncIteration:
                    return

    provider = _Provider(
        cfg.url, metadata, storage, redirect_handler=redirect_handler, callback_handler=callback_handler
    )
    if cfg.oauth_resource:
        resource = cfg.oauth_resource
        ctx = provider.context
        setattr(ctx, "get_resource_url", lambda: resource)  # noqa: B010  (instance override of a method)
        setattr(ctx, "should_include_resource_param", lambda protocol_version=None: True)  # noqa: B010
    return provider


async def _refresh_if_due(provider: Any, storage: _Storage, cfg: McpServerConfig) -> None:
    """Load the stored record (another process may have refreshed it) and refresh a token about to expire."""
    ctx = provider.context
    if not provider._initialized:
        await provider._initialize()
    record = storage.record()
    if not record.get("access_token") or not record.get("refresh_token"):
        return
    if not _due(record):
        if ctx.current_tokens is None or ctx.current_tokens.access_token != record["access_token"]:
            await provider._initialize()  # newer tokens from another codex-py
        return
    endpoint = record.get("token_endpoint")
    client = record.get("client_info") or {}
    if not endpoint or not client.get("client_id"):
        return  # the SDK's own refresh (token endpoint from discovery) takes over
    from codex_py.login.oauth import OAuthEndpointError, post

    async with storage.store.locked():
        record = storage.record()
        if _due(record):
            form = {"grant_type": "refresh_token", "refresh_token": record["refresh_token"]}
            form["client_id"] = client["client_id"]
            if client.get("client_secret"):
                form["client_secret"] = client["client_secret"]
            if cfg.oauth_resource:
                form["resource"] = cfg.oauth_resource
            try:
                data = await post(
                    endpoint,
                    what=f"the authorization server of MCP server '{cfg.id}'",
                    hint=f"run `codex-py mcp login {cfg.id}`",
                    form=form,
                )
            except OAuthEndpointError:
                return  # the server answers 401 and the session reports how to log in again
            expires_in = data.get("expires_in")
            record.update(
                access_token=data.get("access_token", ""),
                refresh_token=data.get("refresh_token") or record["refresh_token"],
                scope=data.get("scope") or record.get("scope"),
                expires_at=time.time() + float(expires_in) if isinstance(expires_in, int | float) else None,
            )
            storage.store.put(storage.key, record)
    await provider._initialize()


def _due(record: dict[str, Any]) -> bool:
    expires = record.get("expires_at")
    return isinstance(expires, int | float) and expires - REFRESH_SKEW_S <= time.time()


def supports_oauth(url: str, headers: dict[str, str] | None = None) -> bool:
    """Whether the server publishes OAuth metadata (RFC 9728 protected resource, else RFC 8414 at its origin),
    as Codex probes after ``mcp add``: GET with a 5 s timeout; any failure means "unknown" (False)."""
    import httpx

    parts = httpx.URL(url)
    origin = f"{parts.scheme}://{parts.netloc.decode()}"
    path = parts.path.rstrip("/")
    candidates = [
        (f"{origin}/.well-known/oauth-protected-resource{path}", "authorization_servers"),
        (f"{origin}/.well-known/oauth-authorization-server{path}", "authorization_endpoint"),
        (f"{origin}/.well-known/oauth-authorization-server", "authorization_endpoint"),
    ]
    try:
        with httpx.Client(timeout=5.0, headers={"MCP-Protocol-Version": "2025-06-18", **(headers or {})}) as client:
            for candidate, key in candidates:
                response = client.get(candidate)
                if response.status_code == 200:
                    with contextlib.suppress(ValueError):
                        body = response.json()
                        if isinstance(body, dict) and body.get(key):
                            return True
    except httpx.HTTPError:
        return False
    return False


# --- the commands ---------------------------------------------------------------------------------
async def login(
    cfg: McpServerConfig, store: CredentialStore, *, scopes: list[str] | None = None, port: int | None = None
) -> None:
    """Run the browser login for ``cfg`` and store its tokens (raises LoginError with a next step)."""
    import anyio

    from codex_py.login.callback import Callback, CallbackListener, LoginError
    from codex_py.login.flow import authorize, can_open_browser

    command = f"codex-py mcp login {cfg.id}"
    pending: dict[str, Any] = {}

    async def on_redirect(url: str) -> None:
        pending["url"] = url

    async def on_callback() -> Any:
        from urllib.parse import parse_qs, urlsplit

        from mcp.shared.auth import AuthorizationCodeResult

        url = pending["url"]
        state = parse_qs(urlsplit(url).query).get("state", [""])[0]
        code, callback = await authorize(
            listener,
            url,
            expected_state=state,
            provider_label=f"MCP server '{cfg.id}'",
            login_command=command,
            open_browser=can_open_browser(),
            on_url=lambda u: print(f"Authorize `{cfg.id}` by opening this URL in your browser:\n  {u}", flush=True),
            paste=None,
            timeout=300.0,
        )
        pending["callback"] = callback
        return AuthorizationCodeResult(code=code, state=state, iss=callback.params.get("iss"))

    async with CallbackListener(CALLBACK_PATH) as listener:
        await listener.bind((port or 0,))
        auth = make_auth(
            store,
            cfg,
            redirect_uri=f"http://127.0.0.1:{listener.port}{CALLBACK_PATH}",
            scopes=scopes,
            redirect_handler=on_redirect,
            callback_handler=on_callback,
        )
        store.delete(record_key(cfg.id, cfg.url))  # a fresh login: no stale client or tokens
        ok = False
        try:
            await _initialize_session(cfg, auth)
            ok = stored(store, cfg) is not None
        except LoginError:
            raise
        except Exception as exc:  # the SDK's errors: one line, never a token
            leaf: BaseException = exc
            while isinstance(leaf, BaseExceptionGroup):
                leaf = leaf.exceptions[0]
            cause = " ".join(str(leaf).split())[:300] or type(leaf).__name__
            raise LoginError(
                f"OAuth login to MCP server '{cfg.id}' failed: {cause}",
                f"check the server's URL ({cfg.url}) and run `{command}` again",
            ) from None
        finally:
            callback: Callback | None = pending.get("callback")
            if callback is not None:
                with anyio.CancelScope(shield=True):
                    await callback.respond(ok, "Signed in to the MCP server." if ok else "The sign-in failed.")
        if not ok:
            raise LoginError(
                f"MCP server '{cfg.id}' did not ask for a login (it answered without OAuth)",
                "nothing to store; the server works without `codex-py mcp login`",
            )


async def _initialize_session(cfg: McpServerConfig, auth: httpx2.Auth) -> None:
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    async with (
        create_mcp_http_client(headers=dict(cfg.http_headers), auth=auth) as client,
        streamable_http_client(cfg.url, http_client=client) as streams,
        ClientSession(streams[0], streams[1]) as session,
    ):
        await session.initialize()


def revoke(record: dict[str, Any], timeout: float = 10.0) -> str | None:
    """Ask the authorization server to revoke the record's tokens (RFC 7009: the refresh token, then the access
    token) before they are forgotten. Returns None when done, else why not (one line: logout goes on anyway)."""
    import httpx

    endpoint = record.get("revocation_endpoint")
    if not endpoint:
        return "no revocation endpoint is known: the server has none, or the login predates codex-py recording it"
    found = record.get("client_info")
    info: dict[str, Any] = found if isinstance(found, dict) else {}
    client_id = str(info.get("client_id") or "")
    secret = str(info.get("client_secret") or record.get("client_secret") or "")
    basic = bool(secret) and info.get("token_endpoint_auth_method") == "client_secret_basic"
    for hint in ("refresh_token", "access_token"):
        token = record.get(hint)
        if not token:
            continue
        form = {"token": token, "token_type_hint": hint, "client_id": client_id}
        if secret and not basic:
            form["client_secret"] = secret
        auth = (client_id, secret) if basic else None
        try:
            response = httpx.post(endpoint, data=form, auth=auth, timeout=timeout)
            if response.status_code == 400 and "client_secret" not in form:
                # servers built on the MCP SDK want the field even from a public client (RFC 7009 does not)
                response = httpx.post(endpoint, data={**form, "client_secret": ""}, auth=auth, timeout=timeout)
        except httpx.HTTPError as exc:
            return f"the revocation endpoint could not be reached ({type(exc).__name__})"
        if response.status_code >= 400:
            return f"the revocation endpoint answered HTTP {response.status_code}"
    return None
