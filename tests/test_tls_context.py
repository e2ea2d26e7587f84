"""One verifying TLS context per process (issue 17 item 10): every https client shares it, and it still
refuses a server whose certificate it cannot verify. Real TLS on 127.0.0.1 with a certificate made by
the openssl command line tool; the clients run in a child process so its environment picks the CA."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support import wire_responses
from tests.support.replies import Reply
from tests.support.sse import Context

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import asyncio, json, sys
from codex_py.config.model import ProviderInfo
from codex_py.protocol import ModelRequest, StreamError, TextDelta, UserMessage
from codex_py.providers import open_client
from codex_py.providers._http import tls_context

async def main() -> None:
    out = {"texts": [], "errors": [], "shared": []}
    for _ in range(2):
        provider = ProviderInfo(
            name="tls", base_url=sys.argv[1], wire_api="responses", request_max_retries=0, stream_max_retries=0
        )
        client = open_client(provider)
        out["shared"].append(client._client._transport._pool._ssl_context is tls_context())
        text = ""
        async for event in client.stream(ModelRequest("gpt-fake", "x", [UserMessage.of("hi")])):
            if isinstance(event, TextDelta):
                text += event.text
            elif isinstance(event, StreamError):
                out["errors"].append(event.message)
        await client.aclose()
        out["texts"].append(text)
    print(json.dumps(out))

asyncio.run(main())
"""


def _certificate(folder: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line tool is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    names = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", *names, *files],
        check=True,
        capture_output=True,
    )
    return cert, key


class TlsSseServer:
    """Answers every POST over TLS with one Responses stream saying ``text``."""

    def __init__(self, cert: Path, key: Path, text: str) -> None:
        reply = Reply(text=text)
        self.body = b"".join(wire_responses.render(reply, Context(1, "gpt-fake", {})).events)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, raw: socket.socket) -> None:
        try:
            with self.context.wrap_socket(raw, server_side=True) as conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, rest = data.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                while len(rest) < length:
                    rest += conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                    + f"content-length: {len(self.body)}\r\nconnection: close\r\n\r\n".encode()
                    + self.body
                )
        except (OSError, ssl.SSLError):  # the client refused our certificate
            return

    def close(self) -> None:
        self.sock.close()


def _run_child(base_url: str, **env: str) -> dict[str, list[object]]:
    environ = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")} | env
    out = subprocess.run(
        [sys.executable, "-c", CHILD, base_url], capture_output=True, text=True, cwd=ROOT, env=environ, timeout=60
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, list[object]] = json.loads(out.stdout)
    return result


def test_https_clients_share_one_context_that_still_verifies(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    server = TlsSseServer(cert, key, "hello over TLS")
    try:
        base_url = f"https://127.0.0.1:{server.port}/v1"
        trusted = _run_child(base_url, SSL_CERT_FILE=str(cert))  # httpx's rule: SSL_CERT_FILE names the CAs
        assert trusted["texts"] == ["hello over TLS", "hello over TLS"], trusted
        assert trusted["shared"] == [True, True], "each client built its own TLS context"
        untrusted = _run_child(base_url)  # certifi's bundle: a self-signed certificate is refused
        assert untrusted["texts"] == ["", ""] and len(untrusted["errors"]) == 2, untrusted
    finally:
        server.close()


def test_exec_on_an_https_provider(tmp_path: Path, isolated_home: Path) -> None:
    """exec streams over real TLS with the shared context; a certificate it cannot verify ends the run with
    one error line (exit 1), never an answer."""
    cert, key = _certificate(tmp_path)
    server = TlsSseServer(cert, key, "exec over TLS")
    try:
        (isolated_home / "config.toml").write_text(
            'model = "gpt-fake"\nmodel_provider = "tls"\n[model_providers.tls]\nname = "TLS"\n'
            f'base_url = "https://127.0.0.1:{server.port}/v1"\nwire_api = "responses"\nrequest_max_retries = 0\n'
        )
        work = tmp_path / "work"
        (work / ".git").mkdir(parents=True)
        argv = [sys.executable, "-m", "codex_py", "exec", "-s", "danger-full-access", "-a", "never", "hi"]
        environ = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
        out = subprocess.run(
            argv, capture_output=True, text=True, cwd=work, env=environ | {"SSL_CERT_FILE": str(cert)}, timeout=60
        )
        assert out.returncode == 0, out.stderr
        assert "exec over TLS" in out.stdout
        out = subprocess.run(argv, capture_output=True, text=True, cwd=work, env=environ, timeout=60)
        assert out.returncode == 1 and "exec over TLS" not in out.stdout, out.stderr
        assert "certificate verify failed" in out.stderr and "Traceback" not in out.stderr, out.stderr
    finally:
        server.close()
