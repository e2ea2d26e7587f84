"""What a session spends: estimated cost per response and turn, the ``max_session_cost_usd`` stop,
and warnings when a subscription usage window fills up.

Costs are list prices (``providers/pricing.py``) times the usage each response reported. They are
estimated only for pay-per-token logins (``billed``): a ChatGPT subscription pays no per-token price, so
its cost is None and its usage windows are what matters. A response whose model has no price makes the
session's total unknown (None) from then on; the budget then counts what is known and says so once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from codex_py.protocol.events import Usage

if TYPE_CHECKING:
    from codex_py.config import Config
    from codex_py.protocol.events import RateLimits


@dataclass(slots=True)
class TurnCost:
    """One turn's responses, for ``/cost``."""

    index: int
    model: str
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = 0.0
    responses: int = 0


class CostMeter:
    def __init__(self, config: Config, *, billed: bool = True) -> None:
        self.config = config
        self.billed = billed
        """False for subscription logins (no per-token price)."""
        self.turns: list[TurnCost] = []
        self.known_usd = 0.0
        """Sum of the responses whose price is known."""
        self.unpriced: set[str] = set()
        """Models that had usage but no price."""
        self._warned_limits: dict[str, float] = {}
        self._budget_note_given = False
        self._turn_key: object = None

    @property
    def session_usd(self) -> float | None:
        """The session's estimated cost; None when not billed per token or a model had no price."""
        if not self.billed or self.unpriced:
            return None
        return self.known_usd

    @property
    def turn_usd(self) -> float | None:
        if not self.billed or not self.turns:
            return None
        return self.turns[-1].cost_usd

    def add(self, usage: Usage, turn: object, model: str | None = None) -> float | None:
        """Account one response's usage; ``turn`` identifies its turn (the same object for every response
        of one turn, e.g. the turn's usage accumulator); ``model`` answered it (default: the configured one).
        Returns its cost (None: unknown or not billed)."""
        from codex_py.providers.pricing import cost_usd, model_price

        model = model or self._model()
        if turn is not self._turn_key or not self.turns:
            self._turn_key = turn
            self.turns.append(TurnCost(len(self.turns) + 1, model))
        current = self.turns[-1]
        current.usage.accumulate(usage)
        current.responses += 1
        price = model_price(model, self.config.model_prices)
        if price is None:
            self.unpriced.add(model)
            current.cost_usd = None
            return None
        cost = cost_usd(usage, price)
        self.known_usd += cost
        if current.cost_usd is not None:
            current.cost_usd += cost
        return cost if self.billed else None

    def over_budget(self) -> tuple[str, str] | None:
        """(message, hint) when the next request must not start: the known cost reached
        ``max_session_cost_usd``. None otherwise (also when there is no limit or nothing is billed)."""
        from codex_py.providers.pricing import format_usd

        limit = self.config.max_session_cost_usd
        if limit is None or not self.billed or self.known_usd < limit:
            return None
        return (
            f"stopped: the session's estimated cost {format_usd(self.known_usd)} reached "
            f"max_session_cost_usd = {limit:g}",
            "raise max_session_cost_usd (config.toml or -c max_session_cost_usd=N) to continue",
        )

    def budget_note(self) -> str | None:
        """Said once: the budget cannot count a model without a price."""
        if self.config.max_session_cost_usd is None or not self.billed or not self.unpriced:
            return None
        if self._budget_note_given:
            return None
        self._budget_note_given = True
        names = ", ".join(sorted(self.unpriced))
        return (
            f"max_session_cost_usd counts only priced models: no price for {names}; "
            f'add [model_prices."{sorted(self.unpriced)[0]}"] to config.toml'
        )

    def limit_warnings(self, rate_limits: RateLimits) -> list[str]:
        """Warnings for usage windows that passed 75% or 90% since the last response."""
        from codex_py.providers.ratelimits import crossed, usage_limits

        limits = usage_limits(rate_limits.limits)
        return crossed(limits, self._warned_limits) if limits is not None else []

    def _model(self) -> str:
        return self.config.model or self.config.provider.default_model


USAGE_COUNTS = tuple(f.name for f in fields(Usage))


def usage_record(usage: Usage, model: str, turn: int) -> dict[str, Any]:
    """The rollout's ``token_count`` record of one response: its usage, the model and the meter's turn."""
    return {"model": model, "turn": turn, "usage": {name: getattr(usage, name) for name in USAGE_COUNTS}}


def replay(meter: CostMeter, records: list[dict[str, Any]]) -> tuple[Usage, Usage | None]:
    """Account recorded responses (``usage_record``) again, e.g. when a session is resumed; returns the
    usage total and the last response's usage. Records that are not well formed are skipped."""
    total = Usage()
    last: Usage | None = None
    turns: dict[object, object] = {}
    for record in records:
        counts = record.get("usage")
        model = record.get("model")
        if not isinstance(counts, dict) or not isinstance(model, str) or not model:
            continue
        values = [counts.get(name, 0) for name in USAGE_COUNTS]
        if not all(type(v) is int and v >= 0 for v in values):
            continue
        usage = Usage(*values)
        key = turns.setdefault(record.get("turn") if isinstance(record.get("turn"), int) else len(turns), object())
        meter.add(usage, key, model)
        total.accumulate(usage)
        last = usage
    return total, last
