"""Model prices (``prices.json``, package data, over which ``[model_prices]`` wins) and cost estimates.

``model_price(model, overrides)`` is None for a model nobody priced: its cost is unknown, never guessed.
``cost_usd(usage, price)`` prices one normalized ``Usage`` (``input_tokens`` includes cached and
cache-write tokens, ``output_tokens`` includes reasoning).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codex_py.config.model import ModelPrice
    from codex_py.protocol.events import Usage

_MTOK = 1_000_000


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens."""

    input: float
    cached_input: float
    cache_write: float
    output: float
    source: str
    """``catalog (checked YYYY-MM-DD)`` or ``config``."""


@cache
def _table() -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    from codex_py.providers.catalog import _norm

    raw = json.loads(Path(__file__).with_name("prices.json").read_text("utf-8"))
    entries = [(_norm(p["slug"]), p) for p in raw["prices"]]
    entries.sort(key=lambda pair: len(pair[0]), reverse=True)
    return str(raw["checked"]), entries


def checked_date() -> str:
    """When the built-in prices were last compared with the vendors' price pages."""
    return _table()[0]


def model_price(model: str, overrides: dict[str, ModelPrice] | None = None) -> Price | None:
    """The price of ``model``: a ``[model_prices]`` entry first, else the built-in table, else None."""
    from codex_py.providers.catalog import _norm, best_match

    if not model:
        return None
    if overrides:
        pairs = sorted(((_norm(k), {"v": v}) for k, v in overrides.items()), key=lambda p: len(p[0]), reverse=True)
        hit = best_match(model, pairs)
        if hit is not None:
            o: ModelPrice = hit["v"]
            base = o.input_per_mtok
            return Price(
                base,
                base if o.cached_input_per_mtok is None else o.cached_input_per_mtok,
                base if o.cache_write_per_mtok is None else o.cache_write_per_mtok,
                o.output_per_mtok,
                "config",
            )
    checked, entries = _table()
    entry = best_match(model, entries)
    if entry is None:
        return None
    base = float(entry["input"])
    cached = entry.get("cached_input")
    write = entry.get("cache_write")
    return Price(
        base,
        base if cached is None else float(cached),
        base if write is None else float(write),
        float(entry["output"]),
        f"catalog (checked {checked})",
    )


def cost_usd(usage: Usage, price: Price) -> float:
    """The list-price cost of ``usage`` in US dollars."""
    cached = min(usage.cached_input_tokens, usage.input_tokens)
    written = min(usage.cache_write_tokens, usage.input_tokens - cached)
    fresh = usage.input_tokens - cached - written
    return (
        fresh * price.input
        + cached * price.cached_input
        + written * price.cache_write
        + usage.output_tokens * price.output
    ) / _MTOK


def format_usd(amount: float | None) -> str:
    """``$0.0123`` (4 decimals under a dollar, 2 above), ``unknown`` for None."""
    if amount is None:
        return "unknown"
    return f"${amount:,.4f}" if amount < 1 else f"${amount:,.2f}"
