"""``codex-py mcp login|logout`` against a real OAuth-protected streamable-HTTP MCP server on 127.0.0.1.

The server (tests/support/mcp_oauth_server.py) is the official SDK's server side: protected resource
metadata, authorization server metadata, dynamic client registration, PKCE, bearer checks. The login runs
as the user runs it (a subprocess); the test is the browser. Nothing issued may be printed, the tokens sit
in the 0600 credentials file, a session then calls the tool with them, refreshes them when they are about
to expire, and after logout the server is reported as needing a login.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from codex_py.config import CliOverrides, load_config
from codex_py.mcp.manager import McpManager
from tests.conftest import REPO_ROOT

pytest.importorskip("uvicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    def __init__(self, ttl: int, refresh_delay: float = 0.0) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/mcp"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.mcp_oauth_server", str(self.port), str(ttl), str(refresh_delay)],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.base}/stats", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.proc.kill()
        pytest.fail("the OAuth MCP server did not start")

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = httpx.get(f"{self.base}/stats", timeout=5).json()
        return data

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    srv = Server(*getattr(request, "param", (3600,)))
    yield srv
    srv.close()


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    out["PYTHONPATH"] = str(REPO_ROOT)
    return out


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codex_py", *args], capture_output=True, text=True, env=env(), timeout=60
    )


def login(name: str) -> tuple[int, str]:
    """``codex-py mcp login NAME``, with this test as the user's browser."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "codex_py", "mcp", "login", name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    assert proc.stdout is not None
    shown: list[str] = []
    while not shown or not shown[-1].startswith("  http"):
        line = proc.stdout.readline()
        if not line:
            break
        shown.append(line)
    if shown and shown[-1].startswith("  http"):
        page = httpx.get(shown[-1].strip(), follow_redirects=True, timeout=10)  # consent, redirect, callback
        assert page.status_code == 200 and "Signed in" in page.text
    out, err = proc.communicate(timeout=60)
    return proc.returncode, "".join(shown) + out + err


def write_config(home: Path, server: Server, extra: str = "", top: str = "") -> None:
    (home / "config.toml").write_text(
        f'# my servers\n{top}[mcp_servers.notes]\nurl = "{server.url}"\n{extra}\n'
        '[mcp_servers.time]\ncommand = "mcp-server-time"\n'
    )


async def call_whoami() -> tuple[str, str]:
    """A session's manager with the stored login: (state or error, tool result text)."""
    config = load_config(CliOverrides(provider="ollama"))
    servers = {"notes": config.mcp_servers["notes"]}
    manager = McpManager(servers, cwd=Path.cwd(), credentials_store=config.credentials_store)
    manager.start()
    try:
        await manager.wait()
        [status] = manager.statuses()
        if status.state != "ready":
            return status.error, ""
        [tool] = manager.tools()
        result = await manager.call(tool, {})
        return status.state, result.content[0].text
    finally:
        await manager.aclose()


def records(home: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((home / "credentials.json").read_text())["records"]
    return data


async def test_login_stores_tokens_the_session_sends_them_and_logout_removes_them(
    isolated_home: Path, server: Server
) -> None:
    write_config(isolated_home, server)
    before = run("mcp", "list", "--json")
    assert [e["auth_status"] for e in json.loads(before.stdout)] == ["not_logged_in", "unsupported"]
    state, _ = await call_whoami()
    assert state.startswith("failed to start") and "401" in state

    code, printed = login("notes")
    assert code == 0, printed
    assert "Authorize `notes` by opening this URL in your browser:" in printed
    assert printed.rstrip().endswith("Successfully logged in to MCP server 'notes'.")
    stats = server.stats()
    assert (stats["registered"], stats["authorized"], stats["exchanged"]) == (1, 1, 1)  # DCR, then PKCE code

    creds = isolated_home / "credentials.json"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    [(key, record)] = records(isolated_home).items()
    assert key.startswith("mcp_oauth:notes|") and record["server_url"] == server.url
    assert record["access_token"].startswith("mcp-at-") and record["refresh_token"].startswith("mcp-rt-")
    client_id = record["client_info"]["client_id"]
    issued = [record["access_token"], record["refresh_token"]]
    listed = run("mcp", "list")
    assert "OAuth" in listed.stdout
    assert not any(secret in printed + listed.stdout + listed.stderr for secret in issued)

    state, text = await call_whoami()
    assert (state, text) == ("ready", f"client={client_id}")

    assert record["revocation_endpoint"] == f"{server.base}/revoke"
    out = run("mcp", "logout", "notes")
    assert out.stdout == "Removed OAuth credentials for 'notes'.\n" and "not revoked" not in out.stderr
    assert server.stats()["revoked"] == ["refresh", "access"], "logout did not revoke the tokens (RFC 7009)"
    assert records(isolated_home) == {}
    assert run("mcp", "logout", "notes").stdout == "No OAuth credentials stored for 'notes'.\n"
    assert json.loads(run("mcp", "list", "--json").stdout)[0]["auth_status"] == "not_logged_in"
    state, _ = await call_whoami()
    assert state.startswith("failed to start") and "401" in state
    assert "# my servers" in (isolated_home / "config.toml").read_text()


def age(home: Path, seconds_left: float) -> dict[str, Any]:
    """Make the stored token expire in ``seconds_left`` (time passing); return the record."""
    path = home / "credentials.json"
    data = json.loads(path.read_text())
    [record] = data["records"].values()
    record["expires_at"] = time.time() + seconds_left
    path.write_text(json.dumps(data))
    return dict(record)


async def test_a_token_about_to_expire_is_refreshed_and_the_rotated_one_stored(
    isolated_home: Path, server: Server
) -> None:
    write_config(isolated_home, server)
    code, printed = login("notes")
    assert code == 0, printed
    state, _ = await call_whoami()
    assert state == "ready" and server.stats()["refreshed"] == 0  # a fresh token is just sent
    old = age(isolated_home, 10)  # within the 30 s margin

    state, text = await call_whoami()
    assert state == "ready" and text.startswith("client=")
    assert server.stats()["refreshed"] == 1
    [new] = records(isolated_home).values()
    assert new["access_token"] != old["access_token"] and new["refresh_token"] != old["refresh_token"]
    assert new["expires_at"] > old["expires_at"]

    age(isolated_home, 10)
    state, _ = await call_whoami()  # the rotated refresh token works again (the old one is gone)
    assert state == "ready" and server.stats()["refreshed"] == 2

    path = isolated_home / "credentials.json"  # a login the server no longer knows (revoked, server reset)
    [current] = records(isolated_home).values()
    path.write_text(path.read_text().replace(current["refresh_token"], "mcp-rt-gone").replace("mcp-at-", "mcp-at-x"))
    age(isolated_home, 10)
    state, _ = await call_whoami()
    assert state == "failed to start: the OAuth login has expired; run `codex-py mcp login notes`"
    assert server.stats()["authorized"] == 1, "no new authorization is started from a session"


async def test_configured_scopes_and_resource_are_asked_for(isolated_home: Path, server: Server) -> None:
    port = _free_port()
    scopes = 'scopes = ["mcp:tools", "extra"]\noauth_resource = "urn:notes"\n'
    write_config(isolated_home, server, scopes, top=f"mcp_oauth_callback_port = {port}\n")
    code, printed = login("notes")
    assert code == 0, printed
    assert f"redirect_uri=http%3A%2F%2F127.0.0.1%3A{port}%2Fcallback" in printed
    stats = server.stats()
    assert stats["scopes"] == [["mcp:tools", "extra"]]  # not only the discovered mcp:tools
    assert stats["resources"] == ["urn:notes"]


def test_login_is_only_for_http_servers(isolated_home: Path, server: Server) -> None:
    write_config(isolated_home, server)
    out = run("mcp", "login", "time")
    assert out.returncode == 2
    assert out.stderr.splitlines()[0] == "error: OAuth login is only supported for streamable HTTP servers."
    missing = run("mcp", "login", "nope")
    assert missing.returncode == 2 and "No MCP server named 'nope' found." in missing.stderr


@pytest.mark.parametrize("server", [(3600, 1.0)], indirect=True)  # each refresh takes a second at the server
async def test_two_processes_refresh_once_under_the_store_lock(isolated_home: Path, server: Server) -> None:
    """Refresh tokens rotate: without the cross-process lock both would refresh and one would be locked out."""
    write_config(isolated_home, server)
    code, printed = login("notes")
    assert code == 0, printed
    age(isolated_home, 10)
    script = "import asyncio\nfrom tests.test_mcp_oauth import call_whoami\nprint(asyncio.run(call_whoami())[0])"
    procs = [
        subprocess.Popen([sys.executable, "-c", script], cwd=REPO_ROOT, env=env(), stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    states = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert states == ["ready", "ready"]
    assert server.stats()["refreshed"] == 1


def test_add_detects_oauth_support(isolated_home: Path, server: Server) -> None:
    out = run("mcp", "add", "notes", "--url", server.url)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "Added global MCP server 'notes'.",
        "Detected OAuth support. Run `codex-py mcp login notes` to log in.",  # no terminal: no browser flow
    ]
    plain = run("mcp", "add", "plain", "--url", "http://127.0.0.1:9/mcp")  # nothing listens there
    assert plain.stdout.splitlines()[-1] == (
        "MCP server may or may not require login. Run `codex-py mcp login plain` to login."
    )
