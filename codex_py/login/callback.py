"""The OAuth redirect listener: a tiny HTTP server on 127.0.0.1 that waits for ``?code=...&state=...``.

It serves one callback path, ``/cancel`` (a newer login stops this one, as Codex does) and answers
everything else with 404. The browser's callback request is held open until the login finishes, so
the page it shows says whether signing in worked. Only loopback is ever bound.

Any local process or web page can send requests here, so none of them can end a login: a request
whose ``Host`` is not ``localhost:PORT`` / ``127.0.0.1:PORT`` gets 421 (DNS rebinding), a callback
whose ``state`` is not the login's gets 400 and the login keeps waiting, and ``/cancel`` needs the
token this listener wrote to a 0600 file in codex-py's state folder (which a newer codex-py login
reads); a bare ``/cancel`` gets 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from codex_py.errors import CodexPyError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
_MAX_REQUEST = 16 * 1024
_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>codex-py</title></head>"
    "<body style='font-family:sans-serif;margin:4em'><h2>{title}</h2><p>{body}</p></body></html>"
)


class LoginError(CodexPyError):
    """A sign-in that could not complete; the message is one line, the hint the next step."""


@dataclass(slots=True)
class Callback:
    """One request to the callback path; :meth:`respond` answers the waiting browser."""

    params: dict[str, str]
    _writer: asyncio.StreamWriter | None = field(default=None, repr=False)

    async def respond(self, ok: bool, message: str) -> None:
        """Show the success or failure page and close the connection (a no-op for pasted URLs)."""
        writer, self._writer = self._writer, None
        if writer is None:
            return
        title = "Signed in to codex-py" if ok else "Sign-in failed"
        body = html.escape(message) + ("<br>You can close this tab and return to the terminal." if ok else "")
        await _answer(writer, 200 if ok else 400, _PAGE.format(title=title, body=body))


def parse_callback_url(text: str) -> dict[str, str]:
    """The query parameters of a pasted redirect URL (or of a bare ``code=...&state=...`` string)."""
    text = text.strip()
    query = urlsplit(text).query if "://" in text or text.startswith("/") else text.lstrip("?")
    return {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}


class CallbackListener:
    """Listen on ``127.0.0.1:<port>`` for the redirect to ``path``. Use as an async context manager."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.port = 0
        self.expected_state: str | None = None
        """Set by the login flow: a callback with another ``state`` is refused and waiting goes on."""
        self._server: asyncio.Server | None = None
        self._queue: asyncio.Queue[Callback | LoginError] = asyncio.Queue()
        self._cancel_token = secrets.token_urlsafe(24)
        self._cancel_file: Path | None = None

    @property
    def redirect_uri(self) -> str:
        """``http://localhost:<port><path>``: what the authorization server sends the browser to."""
        return f"http://localhost:{self.port}{self.path}"

    async def bind(self, ports: tuple[int, ...] | list[int] = (0,), *, cancel_stale: bool = False) -> int:
        """Bind the first free port of ``ports`` (0: any free port) and start serving.

        With ``cancel_stale`` a busy port first gets ``GET /cancel`` (stopping an earlier codex-py login
        still waiting there) and up to ten more tries, 200 ms apart.
        """
        for port in ports:
            tries = 11 if cancel_stale and port else 1
            for attempt in range(tries):
                try:
                    self._server = await asyncio.start_server(self._handle, HOST, port, reuse_address=True)
                except OSError:
                    if attempt == 0 and cancel_stale and port:
                        await _send_cancel(port)
                    if attempt + 1 < tries:
                        await asyncio.sleep(0.2)
                    continue
                self.port = self._server.sockets[0].getsockname()[1]
                if port:  # a well-known port: a newer login may need to stop this one
                    self._cancel_file = _write_cancel_token(self.port, self._cancel_token)
                return self.port
        shown = " and ".join(f"{HOST}:{p}" for p in ports)
        raise LoginError(
            f"cannot listen for the sign-in redirect: {shown} {'is' if len(ports) == 1 else 'are'} already in use",
            "close the program using the port (another login waiting?) and run the login again",
        )

    async def wait(self) -> Callback:
        """The next callback request; raises :class:`LoginError` when a newer login cancelled this one."""
        item = await self._queue.get()
        if isinstance(item, LoginError):
            raise item
        return item

    async def close(self) -> None:
        """Stop listening."""
        if self._cancel_file is not None:
            with contextlib.suppress(OSError):
                if self._cancel_file.read_text() == self._cancel_token:  # not a newer login's
                    self._cancel_file.unlink()
            self._cancel_file = None
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> CallbackListener:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10.0)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
            writer.close()
            return
        request_line, *header_lines = head[: min(len(head), _MAX_REQUEST)].decode("latin-1").split("\r\n")
        parts = request_line.split(" ")
        target = parts[1] if len(parts) >= 2 else "/"
        url = urlsplit(target)
        host = next((line[5:].strip().lower() for line in header_lines if line[:5].lower() == "host:"), "")
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if parts[0] != "GET":
            await _answer(writer, 405, _PAGE.format(title="Method not allowed", body=""))
        elif host not in (f"localhost:{self.port}", f"{HOST}:{self.port}"):
            log.warning("sign-in listener: refused a request for host %r", host[:100])
            await _answer(writer, 421, _PAGE.format(title="Wrong host", body="This address does not serve sign-ins."))
        elif url.path == self.path:
            state = params.get("state", "")
            if self.expected_state is not None and not hmac.compare_digest(
                state.encode(), self.expected_state.encode()
            ):
                log.warning("sign-in listener: refused a reply with a state that is not this login's")
                body = "State mismatch: this reply does not belong to the login that is waiting."
                await _answer(writer, 400, _PAGE.format(title="Sign-in failed", body=body))
                return  # the login keeps waiting for its own reply
            self._queue.put_nowait(Callback(params, writer))  # answered by the login flow
        elif url.path == "/cancel":
            if not hmac.compare_digest(params.get("token", "").encode(), self._cancel_token.encode()):
                await _answer(writer, 403, _PAGE.format(title="Forbidden", body=""))
                return
            await _answer(writer, 200, _PAGE.format(title="Login cancelled", body=""))
            self._queue.put_nowait(
                LoginError("this sign-in was cancelled by a newer `codex-py login`", "finish the newer login")
            )
        else:
            await _answer(writer, 404, _PAGE.format(title="Not found", body=""))


async def _answer(writer: asyncio.StreamWriter, status: int, page: str) -> None:
    reason = {
        200: "OK",
        400: "Bad Request",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        421: "Misdirected Request",
    }.get(status, "OK")
    body = page.encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n"
    )
    try:
        writer.write(head.encode("ascii") + body)
        await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


def _cancel_path(port: int) -> Path:
    from codex_py.config.home import resolve_paths

    return resolve_paths().state_dir / f"login-{port}.cancel"


def _write_cancel_token(port: int, token: str) -> Path | None:
    """Leave the token that stops this listener where only this user (a newer login) can read it."""
    path = _cancel_path(port)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(token)
    except OSError as exc:  # the login still works; only a newer login cannot stop this one
        log.debug("cannot write the sign-in cancel token: %s", exc)
        return None
    return path


async def _send_cancel(port: int) -> None:
    """Ask whatever listens on ``port`` to stop (a stale codex-py login with the token it left, or Codex)."""
    try:
        token = _cancel_path(port).read_text().strip()
    except (OSError, UnicodeDecodeError):
        token = ""
    query = f"?token={token}" if token else ""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 2.0)
    except (OSError, TimeoutError):
        return
    try:
        writer.write(f"GET /cancel{query} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(reader.read(4096), 0.5)
    except (OSError, TimeoutError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
