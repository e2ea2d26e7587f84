"""Conversation items: what a session's history is made of.

Items are small frozen dataclasses. Provider-specific data that must be echoed back
verbatim (an Anthropic thinking signature, OpenAI ``encrypted_content``) rides along in
``Reasoning.payload`` tagged with the ``provider`` (wire API) that produced it; other
providers drop it or keep only the plain text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str
    type: Literal["text"] = "text"


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image, as a ``data:`` URL (base64) or an http(s) URL."""

    url: str
    media_type: str = "image/png"
    type: Literal["image"] = "image"
    path: str = ""
    """The file it was read from (``-i``, a pasted path, ``view_image``); rollouts keep this and ``sha256``
    instead of the bytes, and a resumed session reads the file again."""
    sha256: str = ""
    """Hex SHA-256 of the file's bytes when it was attached."""


@dataclass(frozen=True, slots=True)
class UserMessage:
    content: tuple[TextPart | ImagePart, ...]
    type: Literal["user"] = "user"

    @classmethod
    def of(cls, text: str) -> UserMessage:
        return cls((TextPart(text),))

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


@dataclass(frozen=True, slots=True)
class AssistantMessage:
    text: str
    provider_data: dict[str, Any] = field(default_factory=dict)
    """Wire-specific extras to echo back (e.g. a Responses ``phase``); keyed by wire API."""
    type: Literal["assistant"] = "assistant"

    @property
    def citations(self) -> list[tuple[str, str]]:
        """(url, title) of the pages a web-search answer cites (``provider_data[wire]["citations"]``)."""
        out: list[tuple[str, str]] = []
        for data in self.provider_data.values():
            for cite in data.get("citations", ()) if isinstance(data, dict) else ():
                if isinstance(cite, dict) and isinstance(cite.get("url"), str):
                    out.append((cite["url"], str(cite.get("title") or "")))
        return out


@dataclass(frozen=True, slots=True)
class Reasoning:
    """The model's thinking.

    ``text`` is what users may see (summary or thinking text). ``payload`` is opaque,
    provider-tagged data sent back unmodified on the same wire API: for ``"responses"``
    the reasoning item (``id``, ``summary``, ``encrypted_content``); for ``"messages"``
    ``{"signature": ...}`` or ``{"redacted": data}``.
    """

    text: str
    provider: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    type: Literal["reasoning"] = "reasoning"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model asked for. ``arguments`` is the raw string the model produced
    (JSON for function tools, free text for freeform/custom tools)."""

    call_id: str
    name: str
    arguments: str
    kind: Literal["function", "custom"] = "function"
    provider_data: dict[str, Any] = field(default_factory=dict)
    type: Literal["tool_call"] = "tool_call"


@dataclass(frozen=True, slots=True)
class ToolResult:
    call_id: str
    output: str
    is_error: bool = False
    type: Literal["tool_result"] = "tool_result"
    images: tuple[ImagePart, ...] = ()
    """Images the tool returns to the model (``view_image``), after ``output``."""


@dataclass(frozen=True, slots=True)
class WebSearch:
    """A web search the provider ran on its side (a hosted / server tool), with what it found.

    ``query``/``urls`` are for display (``urls``: the result and cited pages, in order, no duplicates).
    ``payload`` is provider-tagged data sent back unmodified on the same wire API so the next request
    stays valid: for ``"responses"`` the ``web_search_call`` item; for ``"messages"`` ``{"blocks": [...]}``,
    the ``server_tool_use`` and ``web_search_tool_result`` blocks (encrypted content included). Other
    wires drop it.
    """

    call_id: str
    query: str = ""
    urls: tuple[str, ...] = ()
    action: str = "search"
    """``search``, ``open_page``, ``find_in_page`` or ``other`` (Codex's action types)."""
    provider: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    """The provider's error code when the search failed (e.g. ``max_uses_exceeded``)."""
    type: Literal["web_search"] = "web_search"


Item = UserMessage | AssistantMessage | Reasoning | ToolCall | ToolResult | WebSearch
