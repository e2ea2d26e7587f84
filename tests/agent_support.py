"""Helpers for agent tests: a Session wired to the loopback fake through the real provider client."""

from __future__ import annotations

import json
import random
import socket
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from codex_py.agent.events import AgentEvent, ApprovalRequest, ApprovalResult, Decision
from codex_py.agent.session import Session
from codex_py.config import CliOverrides, load_config
from codex_py.providers import open_client
from tests.support.fake_provider import FakeProvider


class RawServer:
    """Answers each request on a fresh connection with a canned HTTP response, written whole or in
    random small pieces, then closes the connection. ``body`` may be a sequence: the n-th request
    gets the n-th body (the last one repeats). Request bodies are kept, parsed, in ``requests``."""

    def __init__(
        self,
        status: int,
        content_type: str,
        body: bytes | Sequence[bytes],
        *,
        chunked: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status, self.content_type, self.chunked = status, content_type, chunked
        self.bodies = [body] if isinstance(body, bytes) else list(body)
        self.headers = headers or {}
        self.requests: list[Any] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _serve(self) -> None:
        rng = random.Random(1234)
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
                self.requests.append(json.loads(rest) if rest else None)
                body = self.bodies[min(len(self.requests), len(self.bodies)) - 1]
                extra = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
                conn.sendall(
                    f"HTTP/1.1 {self.status} X\r\ncontent-type: {self.content_type}\r\n{extra}"
                    f"connection: close\r\n\r\n".encode()
                )
                if not self.chunked:
                    conn.sendall(body)
                else:
                    i = 0
                    while i < len(body):
                        n = rng.randint(1, 7)
                        conn.sendall(body[i : i + n])
                        i += n

    def close(self) -> None:
        self.sock.close()


def sse(*events: dict[str, Any]) -> bytes:
    """An SSE body with one ``event:``/``data:`` pair per JSON event (named by its ``type``)."""
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


class Sink:
    """Collects agent events; answers approval requests with ``decide``."""

    def __init__(self, decide: Callable[[ApprovalRequest], ApprovalResult] | None = None) -> None:
        self.events: list[AgentEvent] = []
        self.decide = decide or (lambda _req: ApprovalResult(Decision.APPROVE))

    def __call__(self, event: AgentEvent) -> None:
        self.events.append(event)
        if isinstance(event, ApprovalRequest) and event.future is not None:
            event.future.set_result(self.decide(event))

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def make_session(
    fake: FakeProvider | RawServer,
    workspace: Path,
    wire_api: str,
    *,
    model: str = "test-model",
    overrides: list[str] | None = None,
    sink: Sink | None = None,
    interactive: bool = True,
    sandbox: str | None = None,
    approval: str | None = "never",
) -> tuple[Session, Sink]:
    config = load_config(
        CliOverrides(
            provider="fake",
            model=model,
            cd=workspace,
            sandbox=sandbox,
            approval=approval,
            config=[
                f'model_providers.fake.base_url="{fake.base_url}"',
                f'model_providers.fake.wire_api="{wire_api}"',
                "model_providers.fake.request_max_retries=0",
                "model_providers.fake.stream_max_retries=1",
                *(overrides or []),
            ],
        )
    )
    sink = sink or Sink()
    client = open_client(config.provider, extra_headers={"x-api-key": "test"} if wire_api == "messages" else None)
    session = Session(
        config, client, sink, session_id="sess-1", instructions="You are a test agent.", interactive=interactive
    )
    return session, sink
