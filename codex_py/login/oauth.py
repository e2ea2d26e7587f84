"""One POST to an OAuth endpoint, with failures turned into one-line errors that never echo secrets."""

from __future__ import annotations

import json
from typing import Any

import httpx

from codex_py.login.callback import LoginError

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class OAuthEndpointError(LoginError):
    """The endpoint answered with an error status (``status`` > 0) or could not be reached (0)."""

    def __init__(self, message: str, hint: str = "", *, status: int = 0, code: str = "") -> None:
        super().__init__(message, hint)
        self.status = status
        self.code = code


def error_code(response: httpx.Response) -> tuple[str, str]:
    """``(code, description)`` from an OAuth or API error body: ``{"error": "x"}``,
    ``{"error": {"code"|"type": "x", "message": ...}}`` or ``{"code": "x"}``; ("", "") otherwise."""
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    err = body.get("error")
    if isinstance(err, dict):
        code = err.get("code") or err.get("type") or ""
        desc = err.get("message") or err.get("error_description") or ""
    else:
        code = err or body.get("code") or ""
        desc = body.get("error_description") or body.get("message") or ""
    from codex_py.config.redaction import redact

    return str(code)[:80], redact(" ".join(str(desc).split()), partial=True)[:160]


async def post(
    url: str,
    *,
    what: str,
    hint: str,
    form: dict[str, str] | None = None,
    json_body: dict[str, Any] | None = None,
    bearer: str | None = None,
    client: httpx.AsyncClient | None = None,
    allow_empty: bool = False,
) -> dict[str, Any]:
    """POST ``form`` (urlencoded) or ``json_body`` to ``url`` and return the JSON object answered.

    ``what`` names the step in messages ("the ChatGPT token endpoint"); ``hint`` is the next step.
    With ``allow_empty`` an empty 2xx body gives ``{}``.
    """
    headers = {"accept": "application/json"}
    if bearer:
        headers["authorization"] = f"Bearer {bearer}"
    owned = client is None
    client = client or httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False)
    try:
        response = await client.post(url, data=form, json=json_body, headers=headers)
        content = await response.aread()
    except httpx.HTTPError as exc:
        raise OAuthEndpointError(f"cannot reach {what} ({_host(url)}): {_net_reason(exc)}", hint) from None
    finally:
        if owned:
            await client.aclose()
    if response.status_code >= 400:
        code, desc = error_code(response)
        detail = ": ".join(x for x in (code, desc) if x) or response.reason_phrase
        raise OAuthEndpointError(
            f"{what} refused the request (HTTP {response.status_code}: {detail})",
            hint,
            status=response.status_code,
            code=code,
        )
    if allow_empty and not content.strip():
        return {}
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise OAuthEndpointError(f"{what} answered with something that is not a JSON object", hint)
    return data


def _host(url: str) -> str:
    return httpx.URL(url).host or url


def _net_reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or host not found"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return type(exc).__name__
