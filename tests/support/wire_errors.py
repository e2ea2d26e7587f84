"""HTTP error answers and rate-limit headers in each dialect's real shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.support.replies import HttpError, RateLimits

# status -> (type, code, message) for OpenAI-shaped bodies
_OPENAI: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Request not allowed."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist or you do not have access to it."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests."),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    503: ("server_error", "server_is_overloaded", "The server is overloaded. Please try again later."),
    529: ("server_error", "server_is_overloaded", "The server is overloaded. Please try again later."),
}
# status -> (error.type, message) for Anthropic bodies
_ANTHROPIC: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low."),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "The requested resource could not be found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}
_CONTEXT_OPENAI = "Your input exceeds the context window of this model. Please adjust your input and try again."
_CONTEXT_ANTHROPIC = "prompt is too long: 210000 tokens > 200000 maximum"


def request_id(n: int) -> str:
    """A request id like the real services return (``req_…``)."""
    return f"req_fake{n:020d}"


def rate_limit_headers(dialect: str, limits: RateLimits) -> dict[str, str]:
    """``x-ratelimit-*`` (OpenAI wires) or ``anthropic-ratelimit-*`` (Messages) headers."""
    if dialect == "messages":
        reset = (datetime.now(UTC) + timedelta(seconds=limits.reset_seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
        out: dict[str, str] = {}
        for kind, limit, remaining in (
            ("requests", limits.requests_limit, limits.requests_remaining),
            ("tokens", limits.tokens_limit, limits.tokens_remaining),
            ("input-tokens", limits.tokens_limit, limits.tokens_remaining),
            ("output-tokens", limits.tokens_limit, limits.tokens_remaining),
        ):
            out[f"anthropic-ratelimit-{kind}-limit"] = str(limit)
            out[f"anthropic-ratelimit-{kind}-remaining"] = str(remaining)
            out[f"anthropic-ratelimit-{kind}-reset"] = reset
        return out
    reset_go = f"{limits.reset_seconds:g}s"
    return {
        "x-ratelimit-limit-requests": str(limits.requests_limit),
        "x-ratelimit-limit-tokens": str(limits.tokens_limit),
        "x-ratelimit-remaining-requests": str(limits.requests_remaining),
        "x-ratelimit-remaining-tokens": str(limits.tokens_remaining),
        "x-ratelimit-reset-requests": reset_go,
        "x-ratelimit-reset-tokens": reset_go,
    }


def id_headers(dialect: str, n: int) -> dict[str, str]:
    """The request-id header every response carries."""
    return {"request-id" if dialect == "messages" else "x-request-id": request_id(n)}


def render_http_error(dialect: str, err: HttpError, n: int) -> tuple[dict[str, str], bytes]:
    """Headers and JSON body for an error answer."""
    headers = id_headers(dialect, n)
    if err.retry_after is not None:
        headers["retry-after"] = f"{err.retry_after:g}"
    if err.retry_after_ms is not None:
        headers["retry-after-ms"] = str(err.retry_after_ms)
    if err.should_retry is not None:
        headers["x-should-retry"] = "true" if err.should_retry else "false"
    if err.rate_limits is not None:
        headers.update(rate_limit_headers(dialect, err.rate_limits))
    headers.update(err.headers)
    if isinstance(err.body, bytes):
        return headers, err.body
    if isinstance(err.body, str):
        return headers, err.body.encode()
    if err.body is not None:
        return headers, json.dumps(dict(err.body)).encode()
    context = err.code == "context_length_exceeded"
    if dialect == "messages":
        etype, message = _ANTHROPIC.get(err.status, ("api_error" if err.status >= 500 else "invalid_request_error",
                                                     f"Error {err.status}"))  # fmt: skip
        if context:
            etype, message = "invalid_request_error", _CONTEXT_ANTHROPIC
        body = {"type": "error", "error": {"type": err.type or etype, "message": err.message or message},
                "request_id": request_id(n)}  # fmt: skip
        return headers, json.dumps(body).encode()
    otype, code, message = _OPENAI.get(err.status, ("server_error" if err.status >= 500 else "invalid_request_error",
                                                    None, f"Error {err.status}"))  # fmt: skip
    if context:
        otype, message = "invalid_request_error", _CONTEXT_OPENAI
    if err.status == 429 and err.message is None and err.retry_after is not None:
        message = f"{message} Please try again in {err.retry_after:g}s."
    error = {"message": err.message or message, "type": err.type or otype, "param": None, "code": err.code or code}
    return headers, json.dumps({"error": error}).encode()
