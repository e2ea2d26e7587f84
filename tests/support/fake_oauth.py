"""A real local authorization server (and a tiny header-recording model endpoint) for login tests.

It speaks HTTP on 127.0.0.1 in a background thread and enforces what the real servers enforce:
``/oauth/authorize`` redirects to ``redirect_uri`` with ``code`` and ``state`` (as a browser would after
consent, or with ``error=access_denied``); the token endpoint checks the grant type, ``client_id``,
``redirect_uri``, the PKCE ``code_verifier`` against the challenge, ``state`` (Claude) and the body
encoding (ChatGPT exchange: form; refresh and Claude: JSON); refresh tokens rotate and a reused one is
refused with ``refresh_token_reused``. ``/api/oauth/claude_cli/create_api_key`` mints an API key for
a valid Console access token. ``/backend-api/codex/responses``, ``/v1/responses`` and ``/v1/messages``
record request headers and accept only credentials this server issued.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CHATGPT_CLIENT = "app_test_chatgpt_client"
CLAUDE_CLIENT = "test-claude-console-client"
ACCOUNT_ID = "acct-1234"
EMAIL = "dev@example.com"
ORG = "Example Org"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt(claims: dict[str, Any]) -> str:
    head = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    return f"{head}.{b64url(json.dumps(claims).encode())}.{b64url(secrets.token_bytes(16))}"


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeOAuth:
    """Start with ``with FakeOAuth() as server:``; ``server.url`` is ``http://127.0.0.1:<port>``."""

    access_ttl: float = 3600.0
    refresh_delay: float = 0.0
    """Seconds the refresh grant takes (widens the window for racing processes)."""
    deny: bool = False
    tamper_state: bool = False
    cannot_create_keys: bool = False
    reject_backend: bool = False
    """The ChatGPT backend answers 401 to every request."""
    token_endpoint_down: bool = False
    """Token endpoint answers 503 (the server is up, the endpoint is not)."""
    refreshes: int = 0
    exchanges: int = 0
    errors: list[str] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    api_keys: set[str] = field(default_factory=set)
    _pending: dict[str, dict[str, str]] = field(default_factory=dict)
    _access: dict[str, float] = field(default_factory=dict)  # access token -> exp
    _refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> "live" | "used" | "revoked"
    _claude_access: set[str] = field(default_factory=set)
    device_enabled: bool = True
    """False: the device-code endpoints answer 404 (not enabled on this server)."""
    device_interval: str = "0"
    """The poll interval the usercode endpoint announces (a string, as the real server sends it)."""
    device_polls: int = 0
    _devices: dict[str, dict[str, Any]] = field(default_factory=dict)  # device_auth_id -> user_code, approved
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # ----- lifecycle -----
    def __enter__(self) -> FakeOAuth:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def config_toml(self) -> str:
        """config.toml pointing every login endpoint and the ChatGPT backend at this server."""
        return (
            f'chatgpt_base_url = "{self.url}/backend-api/codex"\n'
            f'[oauth.chatgpt]\nissuer = "{self.url}"\nclient_id = "{CHATGPT_CLIENT}"\n'
            f'[oauth.claude]\nauthorize_url = "{self.url}/oauth/authorize"\n'
            f'token_url = "{self.url}/v1/oauth/token"\n'
            f'api_key_url = "{self.url}/api/oauth/claude_cli/create_api_key"\n'
            f'client_id = "{CLAUDE_CLIENT}"\n'
            f'[model_providers.openai]\nbase_url = "{self.url}/v1"\n'
            f'[model_providers.anthropic]\nbase_url = "{self.url}/v1"\n'
        )

    # ----- token minting -----
    def issue_chatgpt(self, *, ttl: float | None = None, plan: str = "plus") -> dict[str, str]:
        """Mint a registered ChatGPT token set (``ttl`` < 0: already expired)."""
        exp = time.time() + (self.access_ttl if ttl is None else ttl)
        auth = {"chatgpt_account_id": ACCOUNT_ID, "chatgpt_plan_type": plan, "chatgpt_user_id": "user-1"}
        id_token = make_jwt({"email": EMAIL, "https://api.openai.com/auth": auth, "exp": int(exp)})
        access = make_jwt({"exp": int(exp), "jti": secrets.token_hex(8), "https://api.openai.com/auth": auth})
        refresh = "rt_" + secrets.token_urlsafe(24)
        with self._lock:
            self._access[access] = exp
            self._refresh[refresh] = "live"
        return {"id_token": id_token, "access_token": access, "refresh_token": refresh}

    def approve_device(self, user_code: str) -> None:
        """Play the user who entered ``user_code`` at {issuer}/codex/device and signed in."""
        with self._lock:
            for device in self._devices.values():
                if device["user_code"] == user_code:
                    device["approved"] = True
                    return
        raise AssertionError(f"no device code {user_code!r} was issued")

    def invalidate_access_tokens(self) -> None:
        """Make every issued access token fail with 401 (the next request must refresh)."""
        with self._lock:
            self._access.clear()

    def secrets_issued(self) -> list[str]:
        """Every token and key this server handed out (for "never printed" checks)."""
        with self._lock:
            return [*self._access, *self._refresh, *self._claude_access, *self.api_keys]

    def headers_for(self, path_suffix: str) -> list[dict[str, str]]:
        return [r.headers for r in self.requests if r.path.endswith(path_suffix)]


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOAuth
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    # ----- plumbing -----
    def _send(self, status: int, body: Any = None, *, location: str | None = None, html: str | None = None) -> None:
        payload = html.encode() if html is not None else (b"" if body is None else json.dumps(body).encode())
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html" if html is not None else "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _body(self) -> tuple[str, bytes]:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        return (self.headers.get("Content-Type") or "").split(";")[0].strip(), raw

    def _fail(self, status: int, error: str, why: str) -> None:
        self.fake.errors.append(f"{error}: {why}")
        self._send(status, {"error": error, "error_description": why})

    # ----- GET -----
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/oauth/authorize":
            self._authorize(q)
        elif url.path == "/oauth/code/callback":
            self._send(200, html=f"<p>Paste this code into codex-py:</p><code>{q.get('code')}#{q.get('state')}</code>")
        else:
            self._send(404, {"error": "not_found"})

    def _authorize(self, q: dict[str, str]) -> None:
        fake = self.fake
        problems = [
            name
            for name, ok in (
                ("response_type", q.get("response_type") == "code"),
                ("client_id", q.get("client_id") in (CHATGPT_CLIENT, CLAUDE_CLIENT)),
                ("redirect_uri", bool(q.get("redirect_uri"))),
                ("code_challenge", len(q.get("code_challenge", "")) >= 43),
                ("code_challenge_method", q.get("code_challenge_method") == "S256"),
                ("state", len(q.get("state", "")) >= 16 and q.get("state") != q.get("code_challenge")),
            )
            if not ok
        ]
        if problems:
            self._send(400, html=f"bad authorize request: {', '.join(problems)}")
            return
        target = q["redirect_uri"]
        if fake.deny:
            query = {"error": "access_denied", "error_description": "The user denied access", "state": q["state"]}
        else:
            code = "ac_" + secrets.token_urlsafe(16)
            with fake._lock:
                fake._pending[code] = q
            query = {"code": code, "state": "tampered-state-value" if fake.tamper_state else q["state"]}
        self._send(302, location=f"{target}?{urlencode(query)}")

    # ----- POST -----
    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        ctype, raw = self._body()
        self.fake.requests.append(Recorded(path, {k.lower(): v for k, v in self.headers.items()}, raw))
        if path in ("/oauth/token", "/v1/oauth/token"):
            if self.fake.token_endpoint_down:
                self._send(503, {"error": "temporarily_unavailable"})
                return
            form = (
                {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                if ctype == "application/x-www-form-urlencoded"
                else json.loads(raw or b"{}")
                if ctype == "application/json"
                else {}
            )
            self._token(ctype, form)
        elif path == "/oauth/revoke":
            token = json.loads(raw or b"{}").get("token", "")
            with self.fake._lock:
                self.fake.revoked.add(token)
                if token in self.fake._refresh:
                    self.fake._refresh[token] = "revoked"
            self._send(200)
        elif path.startswith("/api/accounts/deviceauth/"):
            self._device(path, json.loads(raw or b"{}") if ctype == "application/json" else {})
        elif path == "/api/oauth/claude_cli/create_api_key":
            self._create_key()
        elif path in ("/backend-api/codex/responses", "/v1/responses", "/v1/messages"):
            self._model(path)
        else:
            self._send(404, {"error": "not_found"})

    def _device(self, path: str, body: dict[str, Any]) -> None:
        """Codex's device-code endpoints: usercode issues a code, token answers 403 until approved, then the
        server-made PKCE pair and an authorization code for ``{issuer}/deviceauth/callback``."""
        fake = self.fake
        if not fake.device_enabled:
            return self._send(404, {"error": "not_found"})
        if path.endswith("/usercode"):
            if body.get("client_id") != CHATGPT_CLIENT:
                return self._fail(400, "invalid_client", "unknown client_id")
            device_id = "dev_" + secrets.token_hex(8)
            user_code = f"{secrets.token_hex(2).upper()}-{secrets.token_hex(3).upper()}"
            with fake._lock:
                fake._devices[device_id] = {"user_code": user_code, "approved": False}
            return self._send(
                200, {"device_auth_id": device_id, "user_code": user_code, "interval": fake.device_interval}
            )
        if path.endswith("/token"):
            with fake._lock:
                fake.device_polls += 1
                device = fake._devices.get(str(body.get("device_auth_id")))
            if device is None or device["user_code"] != body.get("user_code"):
                return self._fail(400, "invalid_request", "unknown device_auth_id or user_code")
            if not device["approved"]:
                return self._send(403, {"error": "authorization_pending"})
            verifier = secrets.token_urlsafe(48)
            challenge = b64url(hashlib.sha256(verifier.encode()).digest())
            code = "ac_" + secrets.token_urlsafe(16)
            with fake._lock:
                fake._devices.pop(str(body.get("device_auth_id")))
                fake._pending[code] = {
                    "client_id": CHATGPT_CLIENT,
                    "redirect_uri": f"{fake.url}/deviceauth/callback",
                    "code_challenge": challenge,
                }
            return self._send(200, {"authorization_code": code, "code_challenge": challenge, "code_verifier": verifier})
        return self._send(404, {"error": "not_found"})

    def _token(self, ctype: str, form: dict[str, Any]) -> None:
        grant = form.get("grant_type")
        if grant == "authorization_code":
            self._exchange(ctype, form)
        elif grant == "refresh_token":
            self._refresh_grant(ctype, form)
        else:
            self._fail(400, "unsupported_grant_type", f"grant_type {grant!r}")

    def _exchange(self, ctype: str, form: dict[str, Any]) -> None:
        fake = self.fake
        with fake._lock:
            pending = fake._pending.pop(str(form.get("code")), None)
        if pending is None:
            return self._fail(400, "invalid_grant", "unknown or reused code")
        claude = pending["client_id"] == CLAUDE_CLIENT
        want_type = "application/json" if claude else "application/x-www-form-urlencoded"
        verifier = str(form.get("code_verifier", ""))
        checks = (
            ("content type", ctype == want_type),
            ("client_id", form.get("client_id") == pending["client_id"]),
            ("redirect_uri", form.get("redirect_uri") == pending["redirect_uri"]),
            ("code_verifier", b64url(hashlib.sha256(verifier.encode()).digest()) == pending["code_challenge"]),
            ("state", not claude or form.get("state") == pending["state"]),
        )
        bad = [name for name, ok in checks if not ok]
        if bad:
            return self._fail(400, "invalid_grant", "bad " + ", ".join(bad))
        fake.exchanges += 1
        if not claude:
            return self._send(200, fake.issue_chatgpt())
        access = "sk-ant-oat01-" + secrets.token_urlsafe(24)
        with fake._lock:
            fake._claude_access.add(access)
        self._send(
            200,
            {
                "access_token": access,
                "refresh_token": "sk-ant-ort01-" + secrets.token_urlsafe(24),
                "expires_in": 3600,
                "scope": pending.get("scope", ""),
                "account": {"uuid": "acc-uuid", "email_address": EMAIL},
                "organization": {"uuid": "org-uuid", "name": ORG},
            },
        )

    def _refresh_grant(self, ctype: str, form: dict[str, Any]) -> None:
        fake = self.fake
        if ctype != "application/json":
            return self._fail(400, "invalid_request", "refresh must be JSON")
        if form.get("client_id") != CHATGPT_CLIENT:
            return self._fail(400, "invalid_client", "client_id")
        token = str(form.get("refresh_token"))
        with fake._lock:
            status = fake._refresh.get(token)
            if status == "live":
                fake._refresh[token] = "used"
                fake.refreshes += 1
        if status != "live":
            code = {"used": "refresh_token_reused", "revoked": "refresh_token_invalidated"}.get(
                status or "", "refresh_token_expired"
            )
            fake.errors.append(code)
            return self._send(401, {"error": {"code": code, "message": "Your refresh token cannot be used."}})
        if fake.refresh_delay:
            time.sleep(fake.refresh_delay)
        self._send(200, fake.issue_chatgpt())

    def _bearer(self) -> str:
        value = self.headers.get("Authorization", "")
        return value[7:] if value.startswith("Bearer ") else ""

    def _create_key(self) -> None:
        fake = self.fake
        if self._bearer() not in fake._claude_access:
            return self._send(401, {"error": {"type": "authentication_error", "message": "invalid token"}})
        if fake.cannot_create_keys:
            return self._send(403, {"error": {"type": "permission_error", "message": "no key role"}})
        key = "sk-ant-api03-" + secrets.token_urlsafe(32)
        with fake._lock:
            fake.api_keys.add(key)
        self._send(200, {"raw_key": key, "name": "codex-py"})

    def _model(self, path: str) -> None:
        fake = self.fake
        if path.startswith("/backend-api/"):
            exp = fake._access.get(self._bearer())
            ok = exp is not None and exp > time.time() and not fake.reject_backend
        elif path == "/v1/messages":
            ok = self.headers.get("x-api-key", "") in fake.api_keys or self.headers.get("x-api-key") == "sk-ant-test"
        else:
            ok = bool(self._bearer())
        if not ok:
            return self._send(401, {"error": {"type": "authentication_error", "message": "bad credentials"}})
        self._send(200, {"ok": True})
