"""The model catalog: what codex-py knows about each model (``catalog.json``, package data).

``model_info(provider_or_wire_api, model)`` never fails: unknown models get safe defaults.
``list_models`` asks a provider's ``/models`` endpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from codex_py.config.model import ProviderInfo

_NATIVE_WIRE = {
    "freeform_apply_patch": "responses",
    "anthropic_bash": "messages",
    "anthropic_text_editor": "messages",
}
_BOUNDARY = "-:_/@ "


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Facts about one model as served on one wire API."""

    slug: str
    """The model name asked for."""
    context_window: int
    """Tokens of context (input + output)."""
    max_output_tokens: int
    """The most output tokens one response may use (Messages' ``max_tokens`` default)."""
    supports_reasoning: bool
    reasoning_efforts: tuple[str, ...]
    default_reasoning_effort: str | None
    supports_parallel_tool_calls: bool
    native_tools: frozenset[str]
    """Vendor-native tool forms usable on this wire API: ``freeform_apply_patch`` (Responses
    custom tool), ``anthropic_bash`` and ``anthropic_text_editor`` (Messages tool types)."""
    supports_images: bool
    thinking: str
    """Messages thinking form: ``enabled`` (budget_tokens), ``adaptive`` or ``none``."""
    known: bool
    """False when the catalog had no entry and these are the defaults."""
    supports_structured_output: bool = True
    """Messages: the model takes ``output_config.format`` (JSON-schema structured output). When False,
    ``--output-schema`` falls back to a forced ``final_answer`` tool. Unknown models: True (every Claude
    model since Opus 4.1 / Sonnet 4.5 / Haiku 4.5 has it)."""


def _norm(name: str) -> str:
    return name.lower().replace(".", "-")


@cache
def _catalog() -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    raw = json.loads(Path(__file__).with_name("catalog.json").read_text("utf-8"))  # not importlib.resources: ~5 ms
    entries = [(_norm(m["slug"]), m) for m in raw["models"]]
    entries.sort(key=lambda pair: len(pair[0]), reverse=True)  # longest prefix first
    return raw["defaults"], entries


def _lookup(model: str) -> dict[str, Any] | None:
    return best_match(model, _catalog()[1])


def best_match(model: str, entries: list[tuple[str, dict[str, Any]]]) -> dict[str, Any] | None:
    """The entry for ``model`` among ``(normalized slug, entry)`` pairs sorted longest slug first: an
    exact slug, else the longest slug prefixing the name at a boundary (after dropping ``vendor/``)."""
    candidates = [_norm(model)]
    if "/" in model:
        candidates.append(_norm(model.rsplit("/", 1)[1]))
    for name in candidates:
        for slug, entry in entries:
            if name == slug or (name.startswith(slug) and name[len(slug)] in _BOUNDARY):
                return entry
    return None


@cache
def _info(wire_api: str, model: str) -> ModelInfo:
    defaults, _ = _catalog()
    entry = _lookup(model) if model else None
    merged = {**defaults, **(entry or {})}
    natives = frozenset(t for t in merged["native_tools"] if _NATIVE_WIRE.get(t) == wire_api)
    return ModelInfo(
        slug=model,
        context_window=int(merged["context_window"]),
        max_output_tokens=int(merged["max_output_tokens"]),
        supports_reasoning=bool(merged["supports_reasoning"]),
        reasoning_efforts=tuple(merged["reasoning_efforts"]),
        default_reasoning_effort=merged["default_reasoning_effort"],
        supports_parallel_tool_calls=bool(merged["supports_parallel_tool_calls"]),
        native_tools=natives,
        supports_images=bool(merged["supports_images"]),
        thinking=str(merged["thinking"]) if wire_api == "messages" else "none",
        known=entry is not None,
        supports_structured_output=bool(merged.get("supports_structured_output", True)),
    )


def model_info(provider: ProviderInfo | str, model: str) -> ModelInfo:
    """Catalog facts for ``model`` on ``provider`` (a ``ProviderInfo`` or a wire API name).
    An empty ``model`` means the provider's default model. Unknown models get safe defaults."""
    if isinstance(provider, str):
        return _info(provider, model)
    return _info(provider.wire_api, model or provider.default_model)


async def list_models(provider: ProviderInfo, auth: httpx.Auth | None, base_url: str | None = None) -> list[str]:
    """Model ids from the provider's ``GET {base_url}/models`` (OpenAI, Anthropic, ChatGPT
    backend and OpenAI-compatible shapes), sorted. Raises ``httpx.HTTPError`` on failure."""
    import httpx

    from codex_py.providers._http import build_static_headers, tls_context

    headers = build_static_headers(provider, auth, None)
    headers["accept"] = "application/json"
    params: dict[str, str] = dict(provider.query_params)
    if provider.wire_api == "messages":
        headers["anthropic-version"] = "2023-06-01"
        params.setdefault("limit", "1000")
    url = (base_url or provider.base_url).rstrip("/") + "/models"
    verify = False if url.startswith("http://") else tls_context()
    async with httpx.AsyncClient(auth=auth, headers=headers, timeout=30.0, verify=verify) as client:
        response = await client.get(url, params=params)
        response.raise_for_status()
        body: Any = response.json()
    rows = (body.get("data") or body.get("models") or []) if isinstance(body, dict) else body
    ids = {str(row.get("id") or row.get("slug") or row.get("name")) for row in rows if isinstance(row, dict)}
    ids.discard("None")
    return sorted(ids)
