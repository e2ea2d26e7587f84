"""Wire APIs: one module per API (``responses``, ``chat``, ``messages``) turning protocol items
into requests and SSE into protocol events. Nothing above this package knows a wire format.

Importing this package is cheap: httpx and the wire modules load on first ``open_client``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    import httpx

    from codex_py.config.model import ProviderInfo
    from codex_py.protocol.events import Event
    from codex_py.protocol.request import ModelRequest

__all__ = ["ModelClient", "open_client"]


class ModelClient(Protocol):
    """What the agent talks to. ``stream`` yields deltas, ``ItemDone`` per authoritative item,
    ``RateLimits``, ``StreamRestart`` on a retried drop, and exactly one terminal ``Completed``
    or ``StreamError``. Closing the iterator (or cancelling its task) closes the HTTP stream."""

    def stream(self, request: ModelRequest) -> AsyncIterator[Event]: ...

    async def aclose(self) -> None: ...


def open_client(
    provider: ProviderInfo,
    *,
    auth: httpx.Auth | None = None,
    base_url: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    backend: Literal["api", "chatgpt"] = "api",
) -> ModelClient:
    """A client for ``provider``'s wire API with one pooled HTTP connection set.

    ``auth`` (from the login package) sets the credentials and may refresh them; without it the
    provider's ``env_key`` is used if set. ``base_url`` overrides ``provider.base_url`` (the
    ChatGPT backend); ``backend="chatgpt"`` shapes Responses requests for that backend.
    """
    from codex_py.providers._http import Dialect as _Dialect
    from codex_py.providers._http import HttpModelClient

    dialect: _Dialect
    if provider.wire_api == "responses":
        from codex_py.providers.responses import ResponsesDialect

        dialect = ResponsesDialect(provider, backend)
    elif provider.wire_api == "messages":
        from codex_py.providers.messages import MessagesDialect

        dialect = MessagesDialect(provider)
    else:
        from codex_py.providers.chat import ChatDialect

        dialect = ChatDialect(provider)
    headers = extra_headers
    return HttpModelClient(provider, dialect, auth=auth, base_url=base_url, extra_headers=headers, backend=backend)
