"""Error taxonomy: HTTP statuses, error bodies and in-stream error events -> ``StreamError``.

::

    StreamError.kind
    ├── authentication   401                         -> hint names the `codex-py login` to run
    ├── permission       403
    ├── not_found        404                         -> check the model / base_url
    ├── bad_request      400, 413, 422, other 4xx
    ├── context_window   context_length_exceeded, "prompt is too long", ...
    ├── quota            402, insufficient_quota, usage_limit_reached, billing_error
    ├── rate_limit       429                         retryable (honours Retry-After)
    ├── overloaded       529, overloaded_error, server_is_overloaded, slow_down   retryable
    ├── server           5xx, 409, api_error         retryable
    ├── timeout          408, idle stream            retryable
    ├── network          connect / read failures     retryable
    └── stream           dropped or undecodable stream, a 2xx that is not a stream   retryable

For an HTTP error the status decides whether it is retried (408, 409, 429, 5xx, 529) and the body's code or
type only refines the wording within that: a proxy that relays every upstream failure with a generic
``api_error`` body (claude-code-router) still gets a 401 read as authentication and a 404 as a missing
model, and a 429 always reads as rate limiting. Only a quota (``insufficient_quota``) or context-window
body is never retried, whatever the status.

The provider's own message and request id are always kept; the credentials in use and anything that
looks like one are masked before they reach a message (``config.redaction``: ``sk-proj-A***``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from codex_py.config.model import ProviderInfo
from codex_py.config.redaction import redact
from codex_py.protocol.events import Completed, StreamError
from codex_py.protocol.types import ErrorKind

_CONTEXT_MARKERS = ("prompt is too long", "context_length_exceeded", "maximum context length", "context window")

_CODE_KINDS: dict[str, ErrorKind] = {
    "context_length_exceeded": ErrorKind.CONTEXT_WINDOW,
    "insufficient_quota": ErrorKind.QUOTA,
    "usage_limit_reached": ErrorKind.QUOTA,
    "usage_not_included": ErrorKind.QUOTA,
    "billing_error": ErrorKind.QUOTA,
    "rate_limit_exceeded": ErrorKind.RATE_LIMIT,
    "rate_limit_error": ErrorKind.RATE_LIMIT,
    "server_is_overloaded": ErrorKind.OVERLOADED,
    "slow_down": ErrorKind.OVERLOADED,
    "overloaded_error": ErrorKind.OVERLOADED,
    "api_error": ErrorKind.SERVER,
    "server_error": ErrorKind.SERVER,
    "timeout_error": ErrorKind.TIMEOUT,
    "authentication_error": ErrorKind.AUTHENTICATION,
    "invalid_api_key": ErrorKind.AUTHENTICATION,
    "permission_error": ErrorKind.PERMISSION,
    "not_found_error": ErrorKind.NOT_FOUND,
    "model_not_found": ErrorKind.NOT_FOUND,
    "invalid_request_error": ErrorKind.BAD_REQUEST,
    "invalid_prompt": ErrorKind.BAD_REQUEST,
    "request_too_large": ErrorKind.BAD_REQUEST,
}

RETRYABLE_KINDS = frozenset(
    {
        ErrorKind.RATE_LIMIT,
        ErrorKind.OVERLOADED,
        ErrorKind.SERVER,
        ErrorKind.TIMEOUT,
        ErrorKind.NETWORK,
        ErrorKind.STREAM,
    }
)
_TAG = re.compile(r"<[^>]*>")
_HIDDEN_HTML = re.compile(r"(?is)<(head|script|style)\b.*?</\1\s*>")
_TRY_AGAIN = re.compile(r"(?i)try again in\s*(\d+(?:\.\d+)?)\s*(s|ms|seconds?)")


def login_hint(provider: ProviderInfo, backend: str = "api") -> str:
    """The next step after a 401: which `codex-py login` to run (or which variable to set)."""
    if provider.auth == "openai":
        if backend == "chatgpt":
            return "run `codex-py login --provider chatgpt` to sign in again"
        return "run `codex-py login --provider openai` (API key) or `codex-py login --provider chatgpt`"
    if provider.auth == "anthropic":
        return "run `codex-py login --provider anthropic` (API key) or `codex-py login --provider claude`"
    if provider.env_key:
        extra = f" ({provider.env_key_instructions})" if provider.env_key_instructions else ""
        return f"set {provider.env_key} to a valid key{extra}"
    return f"check the credentials configured for provider `{provider.id or provider.name}`"


def _hint(kind: ErrorKind, provider: ProviderInfo, backend: str) -> str:
    if kind is ErrorKind.AUTHENTICATION:
        return login_hint(provider, backend)
    if kind is ErrorKind.PERMISSION:
        return "your key or account lacks access to this model; pick another with -m or check the account"
    if kind is ErrorKind.NOT_FOUND:
        return f"check the model name (-m) and the base_url of provider `{provider.id or provider.name}`"
    if kind is ErrorKind.CONTEXT_WINDOW:
        return "the conversation is too long for this model: start a new session or pick a larger model with -m"
    if kind is ErrorKind.QUOTA:
        return "check the plan, billing or spend limit of this account"
    if kind is ErrorKind.RATE_LIMIT:
        return "wait a moment and try again"
    if kind is ErrorKind.OVERLOADED or kind is ErrorKind.SERVER:
        return "the provider is having trouble; try again shortly"
    if kind is ErrorKind.NETWORK:
        return f"check the network and the base_url of provider `{provider.id or provider.name}`"
    if kind is ErrorKind.TIMEOUT:
        return "the provider stopped responding; try again (stream_idle_timeout_ms sets the limit)"
    if kind is ErrorKind.STREAM:
        where = provider.id or provider.name
        return f"the answer was cut off; try again, or if it keeps happening check the base_url of provider `{where}`"
    return ""


def with_context(
    error: Completed | StreamError, provider: ProviderInfo, backend: str = "api"
) -> Completed | StreamError:
    """Name the provider in an error raised without it (a decoder's "stream closed before ...")
    and give it the next step of its kind when it has none; a ``Completed`` passes unchanged."""
    if not isinstance(error, StreamError):
        return error
    name = provider.name or provider.id or "provider"
    if name not in error.message:
        error.message = f"{name}: {error.message}"
    if not error.hint:
        error.hint = _hint(error.kind, provider, backend)
    return error


FrontEnd = Literal["cli", "tui"]

_APP_WORDS = (
    ("start a new session", "start a new session (/new)"),
    ("with -m", "with /model"),
    ("(-m)", "(/model)"),
)
"""The hints above name command-line flags; the app says the same with its slash commands."""


def hint_for(hint: str, front_end: FrontEnd) -> str:
    """A hint worded for ``front_end``: as written for ``cli``; slash commands (/model, /new, /login)
    for ``tui``, where a `codex-py login` stays as the alternative in another terminal."""
    if front_end == "cli" or not hint:
        return hint
    for cli_words, app_words in _APP_WORDS:
        hint = hint.replace(cli_words, app_words)
    if "codex-py login" in hint:
        return f"type /login to sign in again (or {hint})"
    return hint


def _wait_hint(seconds: float) -> str:
    """For a Retry-After too long to wait out: how long the provider asked for."""
    if seconds < 90:
        wait = f"{seconds:.0f} s"
    elif seconds < 90 * 60:
        wait = f"{seconds / 60:.0f} min"
    else:
        wait = f"{seconds / 3600:.1f} h".replace(".0 h", " h")
    return f"the provider asks to wait {wait}; try again then"


_STATUS_KINDS = {
    401: ErrorKind.AUTHENTICATION,
    402: ErrorKind.QUOTA,
    403: ErrorKind.PERMISSION,
    404: ErrorKind.NOT_FOUND,
    408: ErrorKind.TIMEOUT,
    409: ErrorKind.SERVER,
    429: ErrorKind.RATE_LIMIT,
    529: ErrorKind.OVERLOADED,
}


def _status_kind(status: int) -> ErrorKind:
    kind = _STATUS_KINDS.get(status)
    if kind is not None:
        return kind
    return ErrorKind.SERVER if status >= 500 else ErrorKind.BAD_REQUEST


def status_retryable(status: int) -> bool:
    """Whether an HTTP error status is worth another attempt: 408, 409, 429, 5xx (529 included)."""
    return status in (408, 409, 429) or status >= 500


def _http_kind(status: int, code: str, etype: str, message: str) -> ErrorKind:
    """The kind of an HTTP error: the status's, refined by the body's code/type/message only where the
    refinement keeps the status's retryability (a relayed 401 with a generic ``api_error`` body stays
    authentication). Context-window and quota bodies win everywhere; a 429 is otherwise rate limiting."""
    status_kind = _status_kind(status)
    kind = kind_of(code, message, status_kind)
    if kind is status_kind:
        kind = kind_of(etype, message, status_kind)
    if kind is status_kind or kind is ErrorKind.CONTEXT_WINDOW or kind is ErrorKind.QUOTA:
        return kind
    if status == 429 or (kind in RETRYABLE_KINDS) is not status_retryable(status):
        return status_kind
    return kind


def kind_of(code: str, message: str, default: ErrorKind) -> ErrorKind:
    """Refine a kind from the provider's error code/type and message."""
    lowered = message.lower()
    if any(marker in lowered for marker in _CONTEXT_MARKERS):
        return ErrorKind.CONTEXT_WINDOW
    found = _CODE_KINDS.get(code)
    if found is None:
        return default
    if found is ErrorKind.BAD_REQUEST and default is not ErrorKind.BAD_REQUEST and default is not ErrorKind.STREAM:
        return default  # e.g. Anthropic uses invalid_request_error for 404-ish statuses too
    return found


def retry_after_from_headers(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` first, then ``retry-after``)."""
    raw = headers.get("retry-after-ms")
    if raw:
        try:
            return float(raw) / 1000.0
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw:
        try:
            return float(raw)
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                import time

                return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
            except (TypeError, ValueError):
                return None
    return None


def _retry_after_from_message(message: str) -> float | None:
    match = _TRY_AGAIN.search(message)
    if match is None:
        return None
    value = float(match.group(1))
    return value / 1000.0 if match.group(2).lower() == "ms" else value


def _sse_json(text: str) -> Any:
    """The first JSON object in an error body framed as SSE (``data: {"error": ...}`` then
    ``data: [DONE]``, as some proxies send it to a streaming request), else None."""
    for line in text.splitlines():
        if line.startswith("data:"):
            try:
                obj = json.loads(line[5:])
            except ValueError:
                continue
            if isinstance(obj, dict):
                return obj
    return None


def parse_error_body(body: bytes) -> tuple[str, str, str]:
    """(code, type, message) from an OpenAI / Anthropic / generic JSON error body, also one framed as
    SSE; for a non-JSON body (an HTML page from a proxy) the message is its first 200 characters."""
    text = body.decode("utf-8", "replace")
    try:
        obj: Any = json.loads(text)
    except ValueError:
        stripped = text.lstrip()
        if stripped.startswith(("data:", "event:", ":")):
            obj = _sse_json(stripped)
            if obj is not None:
                return parse_error_body(json.dumps(obj).encode())
        if stripped.startswith("<"):  # an HTML page from a proxy or gateway: its words, not its markup
            text = _TAG.sub(" ", _HIDDEN_HTML.sub(" ", text))
        return "", "", " ".join(text.split())[:200]
    if isinstance(obj, dict):
        err = obj.get("error", obj)
        if isinstance(err, dict):
            message = err.get("message") or err.get("detail") or ""
            code, etype = str(err.get("code") or ""), str(err.get("type") or "")
            return code, etype if etype != "error" else "", str(message) if message else json.dumps(err)[:300]
        if isinstance(err, str):
            return "", "", err
        if "detail" in obj:
            return "", "", str(obj["detail"])
    return "", "", text[:300]


def error_from_response(
    status: int, body: bytes, headers: Mapping[str, str], provider: ProviderInfo, backend: str = "api"
) -> StreamError:
    """The ``StreamError`` for a non-2xx HTTP response (or a 2xx that was not an event stream)."""
    if status < 300:
        return _not_a_stream(status, body, headers, provider, backend)
    code, etype, message = parse_error_body(body)
    message = " ".join(message.split())  # one line: gateways wrap the upstream's message in their own lines
    kind = _http_kind(status, code, etype, message)
    retryable = status_retryable(status) and kind is not ErrorKind.QUOTA and kind is not ErrorKind.CONTEXT_WINDOW
    should = headers.get("x-should-retry")
    if should == "false":
        retryable = False
    elif should == "true" and kind not in (ErrorKind.QUOTA, ErrorKind.CONTEXT_WINDOW):
        retryable = True
    request_id = headers.get("x-request-id") or headers.get("request-id")
    label = " ".join(c for c in (etype, f"({code})" if code and etype else code) if c)
    name = provider.name or provider.id or "provider"
    head = f"{name} returned HTTP {status}" + (f" {label}" if label else "")
    retry_after = retry_after_from_headers(headers)
    hint = _hint(kind, provider, backend)
    if kind is ErrorKind.RATE_LIMIT and retry_after is not None and retry_after > 60:
        hint = _wait_hint(retry_after)
    return StreamError(
        kind,
        redact(f"{head}: {message}" if message else f"{head} (empty body)", partial=True),
        retryable=retryable,
        status=status,
        request_id=request_id,
        retry_after_s=retry_after,
        hint=hint,
    )


def _not_a_stream(
    status: int, body: bytes, headers: Mapping[str, str], provider: ProviderInfo, backend: str
) -> StreamError:
    """A 2xx answer to ``stream: true`` that is not an event stream: an error object (reported as the
    error it is), one whole JSON response (the server ignored streaming) or something else entirely
    (a web page: base_url does not point at the API). Never retried: it would answer the same."""
    name = provider.name or provider.id or "provider"
    where = provider.id or provider.name
    request_id = headers.get("x-request-id") or headers.get("request-id")
    text = body.decode("utf-8", "replace")
    obj: Any = None
    try:
        obj = json.loads(text)
    except ValueError:
        if text.lstrip().startswith(("data:", "event:")):
            obj = _sse_json(text.lstrip())
    if isinstance(obj, dict) and "error" in obj:
        code, etype, message = parse_error_body(json.dumps(obj).encode())
        kind = kind_of(code or etype, message, ErrorKind.SERVER)
        label = f"{code or etype}: " if code or etype else ""
        message = " ".join(message.split())
        head, hint = f"{name} answered HTTP {status} with an error: {label}{message}", _hint(kind, provider, backend)
    elif isinstance(obj, dict):
        what = obj.get("object") or obj.get("type")
        shape = f"one whole JSON `{what}` object" if isinstance(what, str) and what else "one whole JSON response"
        kind = ErrorKind.STREAM
        head = f"{name} ignored `stream: true` and answered with {shape}"
        hint = (
            f"the server at the base_url of provider `{where}` does not stream on this wire API: check wire_api "
            f'(now "{provider.wire_api}") and base_url, and that no proxy in between buffers or rewrites the stream'
        )
    else:
        kind = ErrorKind.STREAM
        if text.lstrip().startswith("<"):
            text = _TAG.sub(" ", _HIDDEN_HTML.sub(" ", text))
        preview = " ".join(text.split())[:200]
        head = f"{name} answered HTTP {status} but not with an event stream" + (f": {preview}" if preview else "")
        hint = f"check the base_url of provider `{where}`: it should be the API's URL (usually ending in /v1)"
    return StreamError(
        kind, redact(head, partial=True), retryable=False, status=status, request_id=request_id, hint=hint
    )


def error_from_chunk(chunk: Mapping[str, Any], provider: ProviderInfo, backend: str = "api") -> StreamError:
    """The ``StreamError`` for a type-less ``{"error": {...} | "text"}`` chunk inside a 200 stream (a
    proxy's way to report a failure after the headers went out, on any wire)."""
    raw = chunk.get("error")
    error: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {"message": str(raw or "")}
    code = str(error.get("code") or "")
    if not code or code.isdigit():  # LiteLLM puts the HTTP status in `code`: the type says more
        code = str(error.get("type") or code)
    return error_from_event(code, str(error.get("message") or ""), provider, backend)


def error_from_event(
    code: str, message: str, provider: ProviderInfo, backend: str = "api", request_id: str | None = None
) -> StreamError:
    """The ``StreamError`` for an error reported inside a 200 stream (``error`` event,
    ``response.failed``, a Chat ``{"error": ...}`` chunk)."""
    kind = kind_of(code, message, ErrorKind.STREAM)
    if kind is ErrorKind.STREAM and code:
        kind = ErrorKind.SERVER  # an unknown server-side failure: worth retrying
    label = f"{code}: " if code else ""
    name = provider.name or provider.id or "provider"
    return StreamError(
        kind,
        redact(f"{name} reported an error: {label}{' '.join(message.split()) or 'no message'}", partial=True),
        retryable=kind in RETRYABLE_KINDS,
        request_id=request_id,
        retry_after_s=_retry_after_from_message(message) if kind is ErrorKind.RATE_LIMIT else None,
        hint=_hint(kind, provider, backend),
    )


def transport_error(exc: Exception, provider: ProviderInfo, *, timeout_ms: int | None = None) -> StreamError:
    """A network failure (connect, read, idle timeout) as a retryable ``StreamError``."""
    import httpx

    name = provider.name or provider.id or "provider"
    if timeout_ms is not None and isinstance(exc, httpx.ReadTimeout):
        kind = ErrorKind.TIMEOUT
        message = f"idle timeout waiting for SSE from {name} ({timeout_ms} ms without data)"
    elif isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        kind = ErrorKind.NETWORK
        message = f"could not connect to {name} at {provider.base_url}: {exc or type(exc).__name__}"
    elif isinstance(exc, httpx.TimeoutException):
        kind = ErrorKind.TIMEOUT
        message = f"{name} timed out: {type(exc).__name__}"
    else:
        kind = ErrorKind.STREAM
        message = f"the stream from {name} broke: {exc or type(exc).__name__}"
    return StreamError(kind, redact(message, partial=True), retryable=True, hint=_hint(kind, provider, "api"))
