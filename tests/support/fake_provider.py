"""A loopback fake model server speaking the OpenAI Responses, Chat Completions and Anthropic Messages wires.

Real HTTP/1.1 on 127.0.0.1 (keep-alive, chunked transfer encoding, ``text/event-stream``) served from a
background thread, so sync tests, async tests and subprocesses can all talk to it::

    with FakeProvider() as fake:
        fake.script(Reply(text="hi", tool_calls=[Call("shell", '{"command":["ls"]}')]))
        ...  # point a client at fake.base_url ("http://127.0.0.1:PORT/v1")
        assert fake.last_request.json["model"] == "gpt-fake"

Scripted entries are served FIFO, one per model request; when the queue is empty ``default`` answers
(a ``Reply``, ``HttpError`` or callable), or, if there is none, a 500 saying the script ran out.
Run ``python -m tests.support.fake_provider --port 0`` for a standalone server.
"""

from __future__ import annotations

import argparse
import functools
import json
import select
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support import wire_chat, wire_messages, wire_responses
from tests.support.replies import Call, Headers, HttpError, RateLimits, RecordedRequest, Reply, Script, StreamError
from tests.support.sse import Context, Rendered
from tests.support.wire_errors import id_headers, rate_limit_headers, render_http_error

__all__ = ["Call", "FakeProvider", "HttpError", "RateLimits", "RecordedRequest", "Reply", "StreamError"]

_RENDER = {"responses": wire_responses.render, "chat": wire_chat.render, "messages": wire_messages.render}
_BATCH = 64 * 1024
_DEFAULT_MODEL = {"responses": "gpt-fake", "chat": "gpt-fake", "messages": "claude-fake"}


def dialect_of(path: str) -> str:
    """Which wire a request path speaks (by suffix, so any base path works)."""
    if path.endswith("/chat/completions"):
        return "chat"
    if path.endswith("/responses"):
        return "responses"
    if path.endswith("/messages"):
        return "messages"
    if path.endswith("/models"):
        return "models"
    return "unknown"


class FakeProvider:
    """The fake server. Use as a context manager or call ``start()``/``close()``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        default: Script | None = None,
        models: Iterable[str] = ("gpt-fake", "claude-fake"),
    ) -> None:
        self.default: Script | None = default
        self.models = list(models)
        self._queue: deque[Script] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._closing = threading.Event()
        self._conns: set[socket.socket] = set()
        self._server = _Server((host, port), _Handler)
        self._server.fake = self
        self._thread: threading.Thread | None = None

    # --- lifecycle
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no path)."""
        host = self._server.server_address[0]
        return f"http://{host!s}:{self.port}"

    @property
    def base_url(self) -> str:
        """The provider base URL to configure: ``http://127.0.0.1:PORT/v1``."""
        return self.url + "/v1"

    def start(self) -> FakeProvider:
        """Start serving in a daemon thread (idempotent)."""
        if self._thread is None:
            serve = functools.partial(self._server.serve_forever, poll_interval=0.02)
            self._thread = threading.Thread(target=serve, name="fake-provider", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, end stalled streams and close every open connection."""
        self._closing.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- scripting
    def script(self, *entries: Script) -> FakeProvider:
        """Queue replies (``Reply``, ``HttpError`` or ``callable(request) -> Reply | HttpError``), FIFO."""
        with self._lock:
            self._queue.extend(entries)
        return self

    @property
    def pending(self) -> int:
        """How many scripted entries are still queued."""
        with self._lock:
            return len(self._queue)

    # --- recording
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent request; AssertionError if there was none."""
        with self._lock:
            if not self._requests:
                raise AssertionError("the fake provider has received no request yet")
            return self._requests[-1]

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Block until at least ``count`` requests arrived (for subprocess and concurrency tests)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._requests) >= count, timeout):
                raise AssertionError(f"expected {count} requests, got {len(self._requests)} within {timeout}s")
            return list(self._requests)

    # --- used by the handler
    def _record(self, request: RecordedRequest) -> int:
        with self._arrived:
            self._requests.append(request)
            self._arrived.notify_all()
            return len(self._requests)

    def _next(self) -> Script | None:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    fake: FakeProvider

    def server_activate(self) -> None:
        # A non-blocking listener: when a client connects and resets before accept(), the selector has already
        # said "readable" and a blocking accept() would wait forever, so close() (shutdown) would hang too.
        super().server_activate()
        self.socket.setblocking(False)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = self.socket.accept()  # BlockingIOError (an OSError) when the client is gone: skipped
        conn.setblocking(True)
        return conn, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that resets or drops its connection is normal here; anything else is a bug worth printing."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-provider/1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        fake = self.server.fake
        with fake._lock:
            fake._conns.add(self.connection)

    def finish(self) -> None:
        fake = self.server.fake
        with fake._lock:
            fake._conns.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``fake.requests`` instead of a log."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    # --- request side
    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        fake = self.server.fake
        received, mono = time.time(), time.monotonic()
        body = self._read_body()
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = None
        path, _, query = self.path.partition("?")
        dialect = dialect_of(path)
        seen = Headers(list(self.headers.items()))
        port = int(self.client_address[1])
        request = RecordedRequest(self.command, path, query, seen, body, parsed, received, mono, dialect, port)
        n = fake._record(request)
        if dialect == "models" and self.command == "GET":
            self._send_json(200, id_headers("responses", n), self._models_body(request))
        elif dialect in _RENDER and self.command == "POST":
            self._answer_model(fake, request, dialect, n)
        else:
            err = HttpError(404, message=f"fake provider: no route for {self.command} {path}")
            headers, data = render_http_error("responses", err, n)
            self._send_json(404, headers, data)

    def _models_body(self, request: RecordedRequest) -> bytes:
        models = self.server.fake.models
        if "anthropic-version" in request.headers:
            data: list[dict[str, Any]] = [
                {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"} for m in models
            ]
            first, last = (models[0], models[-1]) if models else (None, None)
            return json.dumps({"data": data, "has_more": False, "first_id": first, "last_id": last}).encode()
        data = [{"id": m, "object": "model", "created": 1735689600, "owned_by": "fake"} for m in models]
        return json.dumps({"object": "list", "data": data}).encode()

    # --- response side
    def _answer_model(self, fake: FakeProvider, request: RecordedRequest, dialect: str, n: int) -> None:
        entry = fake._next()
        try:
            answer = entry(request) if callable(entry) else entry
        except Exception as exc:  # a broken dynamic script must surface in the test, not hang it
            answer = HttpError(500, message=f"fake provider: script callable raised {exc!r}", should_retry=False)
        if answer is None:
            used = sum(1 for r in fake.requests if r.dialect in _RENDER)
            answer = HttpError(
                500,
                should_retry=False,
                message=(
                    f"fake provider: script ran out after {used - 1} model requests; queue more with fake.script(...) "
                    "or set fake.default"
                ),
            )
        if isinstance(answer, HttpError):
            headers, data = render_http_error(dialect, answer, n)
            self._send_json(answer.status, headers, data)
            return
        body = request.json if isinstance(request.json, dict) else {}
        model = str(body.get("model") or _DEFAULT_MODEL[dialect])
        try:
            rendered = _RENDER[dialect](answer, Context(n, model, body))
        except Exception as exc:  # e.g. a Call whose arguments are not JSON, sent to the Messages wire
            err = HttpError(
                500, message=f"fake provider: cannot render the reply as {dialect}: {exc!r}", should_retry=False
            )
            self._send_json(500, *render_http_error(dialect, err, n))
            return
        headers = id_headers(dialect, n)
        if answer.rate_limits is not None:
            headers.update(rate_limit_headers(dialect, answer.rate_limits))
        headers.update(answer.headers)
        if answer.start_delay and fake._closing.wait(answer.start_delay):
            return
        if request.stream:
            self._stream(answer, rendered, headers)
        else:
            self._send_json(200, headers, json.dumps(rendered.body).encode())

    def _send_json(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, reply: Reply, rendered: Rendered, headers: dict[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        events = rendered.events
        drop = reply.drop_after
        if drop is not None and drop < 0:
            drop = max(0, len(events) + drop)
        stop = len(events) if drop is None else min(drop, len(events))
        stall = reply.stall_after
        try:
            if reply.endless is not None:
                return self._endless(reply, events)
            if reply.delay:
                for i in range(stop):
                    if stall == i and not self._stall(reply.stall_seconds):
                        return self._abort()
                    if self.server.fake._closing.wait(reply.delay):
                        return self._abort()
                    self._write_chunk(events[i])
            else:
                if stall is not None and stall < stop:
                    self._write_batched(events, 0, stall)
                    if not self._stall(reply.stall_seconds):
                        return self._abort()
                    self._write_batched(events, stall, stop)
                else:
                    self._write_batched(events, 0, stop)
            if drop is not None:
                return self._abort()
            self.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client went away (cancellation): nothing more to send
            self.close_connection = True

    def _endless(self, reply: Reply, events: list[bytes]) -> None:
        """Send up to the first text delta, then never finish (see ``Reply.endless``)."""
        marker = json.dumps(reply.text_deltas()[0])[1:-1].encode()
        first = next(i for i, event in enumerate(events) if marker in event)
        if reply.endless == "line":
            self._write_batched(events, 0, first)
            self._write_chunk(b"data: ")
            piece = b"x" * _BATCH
        else:
            self._write_batched(events, 0, first + 1)
            piece = events[first] * max(1, _BATCH // len(events[first])) if reply.endless == "text" else b""
            if reply.endless == "keepalive":
                piece = b": keepalive\n\n"
        closing = self.server.fake._closing
        while not closing.is_set():
            if reply.endless_interval and closing.wait(reply.endless_interval):
                break
            self._write_chunk(piece)
        self._abort()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%b\r\n" % (len(data), data))

    def _write_batched(self, events: list[bytes], start: int, stop: int) -> None:
        batch: list[bytes] = []
        size = 0
        for i in range(start, stop):
            event = events[i]
            batch.append(event)
            size += len(event)
            if size >= _BATCH:
                self._write_chunk(b"".join(batch))
                batch.clear()
                size = 0
        if batch:
            self._write_chunk(b"".join(batch))

    def _stall(self, seconds: float | None) -> bool:
        """Send nothing for ``seconds`` (None: forever). False when the client left or the server closes."""
        deadline = None if seconds is None else time.monotonic() + seconds
        closing = self.server.fake._closing
        sock = self.connection
        while not closing.is_set():
            left = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if left <= 0:
                return True
            readable, _, _ = select.select([sock], [], [], left)
            if readable:
                try:
                    if not sock.recv(1, socket.MSG_PEEK):
                        return False
                except OSError:
                    return False
                time.sleep(left)
        return False

    def _abort(self) -> None:
        """Drop the connection mid-body, as a network failure would."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the loopback fake model provider.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--text", default="Hello from the fake provider.", help="the default reply text")
    parser.add_argument("--deltas", type=int, default=0, help="repeat the text as this many one-word deltas")
    parser.add_argument("--reasoning", default=None, help="reasoning text to include")
    args = parser.parse_args(argv)
    if args.deltas:
        default = Reply(text_chunks=[args.text.split()[0] + " "] * args.deltas, reasoning=args.reasoning)
    else:
        default = Reply(text=args.text, reasoning=args.reasoning)
    with FakeProvider(host=args.host, port=args.port, default=default) as fake:
        print(fake.base_url, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    _main()
