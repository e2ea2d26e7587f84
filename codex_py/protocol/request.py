"""A model request, provider-neutral."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from codex_py.protocol.items import Item


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool offered to the model.

    ``kind="function"`` tools carry a JSON schema in ``parameters``. ``kind="custom"`` is a
    freeform tool (raw text input, e.g. Responses' freeform ``apply_patch``) with an
    optional grammar in ``parameters``. ``native`` names a vendor-native form a provider may
    use instead (``"anthropic_bash"``, ``"anthropic_text_editor"``).
    """

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)
    kind: Literal["function", "custom"] = "function"
    native: str | None = None


@dataclass(frozen=True, slots=True)
class WebSearchOptions:
    """The provider's own web search tool, offered with the request (``web_search`` config, ``--search``).

    Responses: the hosted ``web_search`` tool (``live`` False: cached results only). Messages: the
    ``web_search`` server tool. Chat Completions has none (the session says so)."""

    live: bool = True
    allowed_domains: tuple[str, ...] = ()
    blocked_domains: tuple[str, ...] = ()
    """Messages only (mutually exclusive with ``allowed_domains``)."""
    max_uses: int | None = None
    """Messages only: searches allowed per request."""
    context_size: str | None = None
    """Responses only: ``low`` / ``medium`` / ``high``."""
    location: tuple[tuple[str, str], ...] = ()
    """Approximate user location: (key, value) pairs of country, region, city, timezone."""


@dataclass(slots=True)
class ModelRequest:
    model: str
    instructions: str
    items: list[Item]
    tools: list[ToolSpec] = field(default_factory=list)
    reasoning_effort: str | None = None
    """none|minimal|low|medium|high|xhigh, or None for the model's default."""
    reasoning_summary: str = "auto"
    max_output_tokens: int | None = None
    session_id: str = ""
    parallel_tool_calls: bool = False
    web_search: WebSearchOptions | None = None
    """Offer the provider's web search tool (None: no search)."""
    tool_choice: Literal["auto", "none"] = "auto"
    """``none`` keeps the tools in the request (prompt-cache prefix; Messages rejects tool blocks in a
    request without tools) but lets the model answer only in text, e.g. for a compaction summary."""
    output_schema: dict[str, Any] | None = None
    """A JSON schema the final answer must follow (``exec --output-schema``): Responses ``text.format``,
    Chat ``response_format`` (json_schema, strict), Messages ``output_config.format``."""
