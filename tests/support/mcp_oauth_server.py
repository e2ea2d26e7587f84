"""A streamable-HTTP MCP server that requires OAuth, with its own authorization server (the SDK's).

Run ``python -m tests.support.mcp_oauth_server PORT [ACCESS_TTL [REFRESH_DELAY]]``; it prints ``ready`` when serving
``http://127.0.0.1:PORT/mcp``. Everything OAuth is the official ``mcp`` SDK's server side (protected
resource metadata, authorization server metadata, dynamic client registration, ``/authorize`` with PKCE,
``/token``, bearer checks with ``WWW-Authenticate``); only the storage is here, in memory, with
consent given at once (``/authorize`` redirects straight back, as a browser would after "Allow").
Refresh tokens rotate and a used one is refused; a refresh also ends the client's older access tokens.
One tool, ``whoami``, answers with the client id of
the token it was called with; ``/stats`` (no auth) reports what the server saw, as JSON.
"""

from __future__ import annotations

import secrets
import sys
import time
from typing import Any

import anyio
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    RefreshToken,
    construct_redirect_uri,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from starlette.requests import Request
from starlette.responses import JSONResponse

SCOPE = "mcp:tools"


class Provider:
    def __init__(self, access_ttl: int, refresh_delay: float = 0.0) -> None:
        self.access_ttl = access_ttl
        self.refresh_delay = refresh_delay
        self.clients: dict[str, OAuthClientInformationFull] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.stats: dict[str, Any] = {"registered": 0, "authorized": 0, "exchanged": 0, "refreshed": 0, "scopes": []}
        self.stats["revoked"] = []
        self.stats["resources"] = []

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        return self.clients.get(client_id)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        assert client_info.client_id is not None
        self.clients[client_info.client_id] = client_info
        self.stats["registered"] += 1

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthorizationCode(
            code=code,
            scopes=params.scopes or [],
            expires_at=time.time() + 300,
            client_id=client.client_id or "",
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource,
        )
        self.stats["authorized"] += 1
        self.stats["scopes"].append(params.scopes or [])
        self.stats["resources"].append(params.resource)
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state)

    async def load_authorization_code(self, client: OAuthClientInformationFull, code: str) -> AuthorizationCode | None:
        found = self.codes.get(code)
        return found if found is not None and found.client_id == client.client_id else None

    def _issue(self, client_id: str, scopes: list[str], resource: str | None) -> OAuthToken:
        access, refresh = "mcp-at-" + secrets.token_urlsafe(24), "mcp-rt-" + secrets.token_urlsafe(24)
        exp = int(time.time()) + self.access_ttl
        self.access[access] = AccessToken(
            token=access, client_id=client_id, scopes=scopes, expires_at=exp, resource=resource
        )
        self.refresh[refresh] = RefreshToken(token=refresh, client_id=client_id, scopes=scopes, resource=resource)
        return OAuthToken(
            access_token=access,
            token_type="Bearer",
            expires_in=self.access_ttl,
            refresh_token=refresh,
            scope=" ".join(scopes) or None,
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        del self.codes[authorization_code.code]
        self.stats["exchanged"] += 1
        return self._issue(client.client_id or "", authorization_code.scopes, authorization_code.resource)

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        found = self.refresh.get(refresh_token)
        return found if found is not None and found.client_id == client.client_id else None

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        del self.refresh[refresh_token.token]  # rotation: a used refresh token is gone
        for old in [k for k, v in self.access.items() if v.client_id == client.client_id]:
            del self.access[old]  # and so are the access tokens it replaces
        if self.refresh_delay:
            await anyio.sleep(self.refresh_delay)  # widens the window for racing clients
        self.stats["refreshed"] += 1
        return self._issue(client.client_id or "", scopes or refresh_token.scopes, refresh_token.resource)

    async def load_access_token(self, token: str) -> AccessToken | None:
        found = self.access.get(token)
        if found is None or (found.expires_at is not None and found.expires_at < time.time()):
            return None
        return found

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        self.stats["revoked"].append("refresh" if token.token in self.refresh else "access")
        self.access.pop(token.token, None)
        self.refresh.pop(token.token, None)


def build(port: int, access_ttl: int, refresh_delay: float = 0.0) -> Any:
    base = f"http://127.0.0.1:{port}"
    provider = Provider(access_ttl, refresh_delay)
    server = MCPServer(
        "secure-notes",
        auth_server_provider=provider,
        auth=AuthSettings(
            issuer_url=base,
            resource_server_url=f"{base}/mcp",
            client_registration_options=ClientRegistrationOptions(enabled=True, valid_scopes=[SCOPE, "extra"]),
            revocation_options=RevocationOptions(enabled=True),
            required_scopes=[SCOPE],
            validate_token_resource=False,
        ),
    )

    @server.tool()
    async def whoami(ctx: Context) -> str:
        """The OAuth client this call was authorized for."""
        from mcp.server.auth.middleware.auth_context import get_access_token

        token = get_access_token()
        return f"client={token.client_id if token else None}"

    async def stats(request: Request) -> JSONResponse:
        return JSONResponse(provider.stats)

    app = server.streamable_http_app()
    from starlette.routing import Route

    app.router.routes.append(Route("/stats", stats))
    return app


def main() -> None:
    import uvicorn

    port = int(sys.argv[1])
    ttl = int(sys.argv[2]) if len(sys.argv) > 2 else 3600
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    config = uvicorn.Config(build(port, ttl, delay), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    config.callback_notify = None
    print("ready", flush=True)
    server.run()


if __name__ == "__main__":
    main()
