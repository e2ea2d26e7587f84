"""The one HTTP client behind every wire API: connection reuse, request retries, stream
restarts, idle timeout, rate-limit headers, cancellation.

A wire module supplies a :class:`Dialect` (the path, the request body, per-request headers
and a fresh :class:`Decoder` per attempt); everything else lives here, once.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, Protocol

import httpx

from codex_py.config.model import ProviderInfo
from codex_py.errors import CodexPyError
from codex_py.protocol.events import Completed, Event, RateLimits, StreamError, StreamRestart
from codex_py.protocol.request import ModelRequest
from codex_py.protocol.types import ErrorKind
from codex_py.providers._errors import error_from_response, transport_error, with_context
from codex_py.providers._sse import MAX_EVENT_BYTES, StreamLimitError, iter_sse_data

if TYPE_CHECKING:
    import ssl

Backend = Literal["api", "chatgpt"]

BACKOFF_BASE_S = 0.2
"""First retry delay; doubled per attempt, jittered by +-10%, capped at ``BACKOFF_CAP_S``."""
BACKOFF_CAP_S = 10.0
MAX_RETRY_AFTER_S = 60.0
"""A server-requested delay longer than this is not waited for: the error is reported instead."""
DRAIN_S = 1.0
_RATE_PREFIXES = ("x-ratelimit-", "anthropic-ratelimit-", "x-codex-primary-", "x-codex-secondary-", "x-codex-credits-")


class Decoder(Protocol):
    """Turns one response's SSE data into events. Fresh per attempt."""

    extra: list[Event]
    """Events produced beside the return value of ``feed`` (drained by the driver)."""
    terminal: Completed | StreamError | None
    """Set once the wire's terminal event has been decoded."""

    def feed(self, data: bytes) -> Event | None: ...

    def finish(self) -> Completed | StreamError:
        """Called at end of body when no terminal event arrived: complete or report a drop."""
        ...


class Dialect(Protocol):
    path: str

    def prepare(self, request: ModelRequest) -> tuple[dict[str, Any], dict[str, str]]:
        """The request body and per-request headers."""
        ...

    def decoder(self, request: ModelRequest) -> Decoder: ...


class RequestFailed(Exception):
    def __init__(self, error: StreamError) -> None:
        super().__init__(error.message)
        self.error = error


async def _drain(sse: AsyncIterator[bytes]) -> None:
    """Read what follows the terminal event (``[DONE]``, the chunked-body end) so the
    connection goes back to the pool for the next request; give up after ``DRAIN_S``."""
    try:
        async with asyncio.timeout(DRAIN_S):
            async for _ in sse:
                pass
    except (TimeoutError, httpx.TransportError, StreamLimitError):
        pass


def backoff_delay(attempt: int, base_s: float = BACKOFF_BASE_S) -> float:
    """Exponential backoff with +-10% jitter for retry number ``attempt`` (1-based), capped."""
    return float(min(base_s * (2 ** (attempt - 1)), BACKOFF_CAP_S) * random.uniform(0.9, 1.1))


def rate_limit_snapshot(headers: httpx.Headers) -> dict[str, str]:
    """The rate-limit headers of a response (OpenAI, Anthropic, ChatGPT backend)."""
    return {k: v for k, v in headers.items() if k.startswith(_RATE_PREFIXES)}


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context every client of this process shares: httpx's default (certifi's CA
    bundle, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``). Loading the bundle takes ~15 ms; it happens once,
    not for each client (a new session, a /model switch, a /models listing)."""
    return httpx.create_ssl_context()


def build_static_headers(
    provider: ProviderInfo, auth: httpx.Auth | None, extra_headers: Mapping[str, str] | None
) -> dict[str, str]:
    """Headers sent on every request: provider headers, env headers, extra headers and, when
    no ``auth`` was supplied, the provider's ``env_key`` as the wire's auth header."""
    from codex_py import __version__

    headers = {"accept": "text/event-stream", "user-agent": f"codex-py/{__version__}"}
    headers.update(provider.http_headers)
    for name, var in provider.env_http_headers.items():
        value = os.environ.get(var, "").strip()
        if value:
            headers[name] = value
    if auth is None and provider.env_key:
        key = os.environ.get(provider.env_key, "").strip()
        if key:
            if provider.wire_api == "messages":
                headers["x-api-key"] = key
            else:
                headers["authorization"] = f"Bearer {key}"
    if extra_headers:
        headers.update(extra_headers)
    _register_header_secrets(provider, headers)
    return headers


_SECRET_HEADER_WORDS = ("auth", "key", "token", "secret", "cookie", "signature", "password")


def _register_header_secrets(provider: ProviderInfo, headers: Mapping[str, str]) -> None:
    """Register with the redactor every header value taken from the environment and every credential-like
    header (``authorization``, ``x-api-key``, ``*-token`` ...), so a provider echoing one never shows it."""
    from codex_py.config.redaction import register_secret

    from_env = {name.lower() for name in provider.env_http_headers}
    register_secret(
        *(
            value.removeprefix("Bearer ")
            for name, value in headers.items()
            if name.lower() in from_env or any(word in name.lower() for word in _SECRET_HEADER_WORDS)
        )
    )


def limit_error(exc: StreamLimitError, provider: ProviderInfo) -> StreamError:
    """A broken stream limit (``_sse.StreamLimitError``) as a one-line ``StreamError`` naming the provider
    and the setting. Only the idle timeout is retried (a stall, as in Codex); the others would repeat."""
    name = provider.name or provider.id or "provider"
    key = f"model_providers.{provider.id}." if provider.id else ""
    mib = f"{exc.limit / 1048576:g} MiB"
    if exc.kind == "idle":
        return StreamError(
            ErrorKind.TIMEOUT,
            f"idle timeout waiting for SSE from {name} ({provider.stream_idle_timeout_ms} ms without an event; "
            "keepalive comments do not count)",
            retryable=True,
            hint=f"try again; {key}stream_idle_timeout_ms sets the limit",
        )
    if exc.kind == "deadline":
        ms = provider.stream_max_duration_ms
        took = f"{ms / 1000:g} s" if ms < 120_000 else f"{ms / 60000:g} min"
        return StreamError(
            ErrorKind.TIMEOUT,
            f"the response from {name} was stopped: still streaming after {took}",
            hint=f"try again or ask for less; {key}stream_max_duration_ms sets the limit",
        )
    if exc.kind == "body":
        return StreamError(
            ErrorKind.STREAM,
            f"the response from {name} was stopped: it passed {mib}",
            hint=f"try again or ask for a shorter answer; {key}stream_max_response_bytes sets the limit",
        )
    return StreamError(
        ErrorKind.STREAM,
        f"the response from {name} was stopped: one event passed {mib} (a line that never ends?)",
        hint="try again; if it repeats, the server (or a proxy before it) is misbehaving: report it",
    )


class HttpModelClient:
    """A ``ModelClient`` speaking one wire API over one pooled ``httpx.AsyncClient``."""

    def __init__(
        self,
        provider: ProviderInfo,
        dialect: Dialect,
        *,
        auth: httpx.Auth | None = None,
        base_url: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        backend: Backend = "api",
    ) -> None:
        self.provider = provider
        self.dialect = dialect
        self.backend: Backend = backend
        self.backoff_base_s = BACKOFF_BASE_S
        self.url = (base_url or provider.base_url).rstrip("/") + "/" + dialect.path
        idle_s = max(provider.stream_idle_timeout_ms, 1) / 1000.0
        self._client = httpx.AsyncClient(
            auth=auth,
            headers=build_static_headers(provider, auth, extra_headers),
            params=provider.query_params or None,
            timeout=httpx.Timeout(connect=30.0, read=idle_s, write=60.0, pool=60.0),
            limits=httpx.Limits(max_keepalive_connections=4, keepalive_expiry=120.0),
            follow_redirects=False,
            # no TLS on plain http (local servers, tests): skip loading the CA bundle (~18 ms at start-up)
            verify=False if self.url.startswith("http://") else tls_context(),
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def stream(self, request: ModelRequest) -> AsyncIterator[Event]:
        """Stream one model response as protocol events (see ``protocol/events.py``)."""
        if not request.model:
            request = replace(request, model=self.provider.default_model)
        body, headers = self.dialect.prepare(request)
        content = json.dumps(body, ensure_ascii=False).encode()
        static_beta = self._client.headers.get("anthropic-beta")
        if static_beta and "anthropic-beta" in headers:
            headers["anthropic-beta"] = f"{static_beta},{headers['anthropic-beta']}"
        max_restarts = max(self.provider.stream_max_retries, 0)
        restarts = 0
        provider = self.provider
        idle_s = max(provider.stream_idle_timeout_ms, 1) / 1000.0
        deadline = time.monotonic() + max(provider.stream_max_duration_ms, 1) / 1000.0
        max_body = max(provider.stream_max_response_bytes, 1)
        max_event = min(MAX_EVENT_BYTES, max_body)
        while True:
            response: httpx.Response | None = None
            try:
                async for step in self._send(content, headers):
                    if isinstance(step, StreamRestart):
                        yield step  # a request retry is announced too, not waited out in silence
                    else:
                        response = step
            except RequestFailed as failed:
                yield failed.error
                return
            assert response is not None
            decoder = self.dialect.decoder(request)
            outcome: Completed | StreamError | None = None
            try:
                limits = rate_limit_snapshot(response.headers)
                if limits:
                    yield RateLimits(limits)
                extra = decoder.extra
                feed = decoder.feed
                sse = iter_sse_data(
                    response.aiter_bytes(),
                    max_event_bytes=max_event,
                    max_body_bytes=max_body,
                    idle_s=idle_s,
                    deadline=deadline,
                )
                async for data in sse:
                    event = feed(data)
                    if event is not None:
                        yield event
                    if extra:
                        for event in extra:
                            yield event
                        extra.clear()
                    if decoder.terminal is not None:
                        await _drain(sse)
                        break
                outcome = decoder.terminal or with_context(decoder.finish(), self.provider, self.backend)
            except httpx.TransportError as exc:
                outcome = transport_error(exc, self.provider, timeout_ms=self.provider.stream_idle_timeout_ms)
            except StreamLimitError as exc:
                outcome = limit_error(exc, self.provider)
            except (KeyError, TypeError, AttributeError, IndexError) as exc:  # valid JSON, unexpected shape
                message = f"could not decode an event from {self.provider.name or self.provider.id}: {exc!r}"
                outcome = StreamError(ErrorKind.STREAM, message, hint="report this with the provider and model")
            finally:
                await response.aclose()
            if type(outcome) is Completed:
                for event in decoder.extra:  # what finish() completed (a body that ended without its terminal event)
                    yield event
                yield outcome
                return
            assert isinstance(outcome, StreamError)
            if not outcome.retryable or restarts >= max_restarts:
                yield outcome
                return
            restarts += 1
            delay = self._delay(restarts, outcome.retry_after_s)
            if delay is not None and time.monotonic() + delay >= deadline:
                outcome = limit_error(StreamLimitError("deadline", deadline), self.provider)
                delay = None
            if delay is None:
                yield outcome
                return
            yield StreamRestart(restarts, max_restarts, outcome.message, delay)
            await asyncio.sleep(delay)

    def _delay(self, attempt: int, retry_after_s: float | None) -> float | None:
        if retry_after_s is not None and retry_after_s > 0:
            return retry_after_s if retry_after_s <= MAX_RETRY_AFTER_S else None
        return backoff_delay(attempt, self.backoff_base_s)

    async def _send(self, content: bytes, headers: dict[str, str]) -> AsyncIterator[StreamRestart | httpx.Response]:
        """POST with retries on connect errors and retryable statuses: yields a ``StreamRestart`` before
        each wait, then the 2xx event stream response (open, body not read); or raises ``RequestFailed``."""
        max_retries = max(self.provider.request_max_retries, 0)
        attempt = 0
        while True:
            request = self._client.build_request("POST", self.url, content=content, headers=headers)
            request.headers["content-type"] = "application/json"
            try:
                response = await self._client.send(request, stream=True)
            except CodexPyError as exc:  # the auth flow could not produce a credential (e.g. a revoked login)
                kind = ErrorKind.AUTHENTICATION if exc.exit_code == 3 else ErrorKind.NETWORK
                raise RequestFailed(StreamError(kind, str(exc), hint=exc.hint)) from None
            except httpx.TransportError as exc:
                error = transport_error(exc, self.provider)
                if attempt < max_retries:
                    attempt += 1
                    backoff = backoff_delay(attempt, self.backoff_base_s)
                    yield StreamRestart(attempt, max_retries, error.message, backoff)
                    await asyncio.sleep(backoff)
                    continue
                raise RequestFailed(error) from None
            ctype = response.headers.get("content-type", "")
            if response.is_success and ctype.startswith("text/event-stream"):
                yield response
                return
            try:
                body = await response.aread()
            except httpx.TransportError:
                body = b""
            finally:
                await response.aclose()
            if response.is_success:
                error = error_from_response(response.status_code, body, response.headers, self.provider, self.backend)
                error.message = f"{error.message} (expected an event stream, got {ctype or 'no content type'})"
                raise RequestFailed(error)
            error = error_from_response(response.status_code, body, response.headers, self.provider, self.backend)
            if error.retryable and attempt < max_retries:
                attempt += 1
                delay = self._delay(attempt, error.retry_after_s)
                if delay is not None:
                    yield StreamRestart(attempt, max_retries, error.message, delay)
                    await asyncio.sleep(delay)
                    continue
            raise RequestFailed(error)
