"""What the session costs, for the status bar, ``/status`` and ``/cost``.

Pay-per-token logins show the estimated cost (list prices, ``providers/prices.json`` and
``[model_prices]``); subscription logins show their usage windows (``5h 42% · weekly 10%``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codex_py.agent.events import TokenUsage
    from codex_py.agent.session import Session
    from codex_py.tui.screens.chat import ChatScreen


def spend_text(event: TokenUsage | None) -> str:
    """The status bar's part: ``$0.0421`` or ``5h 42% · weekly 10%`` ("" before the first response)."""
    if event is None:
        return ""
    from codex_py.providers.pricing import format_usd
    from codex_py.providers.ratelimits import usage_limits

    if event.cost_usd is not None:
        return format_usd(event.cost_usd)
    limits = usage_limits(event.rate_limits.limits) if event.rate_limits is not None else None
    if limits is not None:
        return " · ".join(f"{w.label} {w.used_percent:.0f}%" for w in limits.windows())
    return ""


def session_spend_text(session: Session | None) -> str:
    """The status bar's part before this run's first response: what a resumed session's recorded responses
    cost (``$0.0421``), "" when nothing is known."""
    if session is None or not session.cost.turns or session.cost.session_usd is None:
        return ""
    from codex_py.providers.pricing import format_usd

    return format_usd(session.cost.session_usd)


def status_lines(session: Session) -> list[str]:
    """``Cost:`` and ``Usage:`` rows of /status."""
    from codex_py.providers.pricing import format_usd
    from codex_py.providers.ratelimits import usage_limits

    cost = session.cost
    lines: list[str] = []
    if not cost.billed:
        lines.append("Cost:        subscription (no per-token price)")
    elif cost.unpriced:
        lines.append(
            f"Cost:        unknown (no price for {', '.join(sorted(cost.unpriced))}; "
            f"priced part {format_usd(cost.known_usd)})"
        )
    else:
        lines.append(f"Cost:        ~{format_usd(cost.known_usd)} (list prices; /cost per turn)")
    if cost.config.max_session_cost_usd is not None:
        lines.append(f"Budget:      max_session_cost_usd = {cost.config.max_session_cost_usd:g}")
    limits = usage_limits(session.rate_limits.limits) if session.rate_limits is not None else None
    if limits is not None:
        lines.append(f"Usage:       {limits.describe()}")
    return lines


def cost_lines(session: Session) -> list[str]:
    """/cost: one row per turn (tokens and estimated cost), then the total and the price source."""
    from codex_py.providers.pricing import format_usd, model_price
    from codex_py.tui.widgets.status_bar import short_tokens

    cost = session.cost
    if not cost.turns:
        return ["No model responses yet."]
    lines = ["turn  model                     input (cached / written)   output   cost"]
    for turn in cost.turns:
        u = turn.usage
        amount = format_usd(turn.cost_usd) if cost.billed else "subscription"
        tokens = f"{short_tokens(u.input_tokens)} ({short_tokens(u.cached_input_tokens)} / "
        tokens += f"{short_tokens(u.cache_write_tokens)})"
        lines.append(
            f"{turn.index:>4}  {turn.model[:24]:<24}  {tokens:<25}  {short_tokens(u.output_tokens):>6}   {amount}"
        )
    if cost.billed:
        total = format_usd(cost.session_usd) if cost.session_usd is not None else "unknown"
        lines.append(f"total: {total}" + (f" (priced part {format_usd(cost.known_usd)})" if cost.unpriced else ""))
        price = model_price(cost.turns[-1].model, cost.config.model_prices)
        if price is not None:
            lines.append(
                f"prices per 1M tokens: input ${price.input:g} · cached ${price.cached_input:g} · "
                f"cache write ${price.cache_write:g} · output ${price.output:g} ({price.source})"
            )
        else:
            lines.append(f'no price for {cost.turns[-1].model}: add [model_prices."{cost.turns[-1].model}"]')
    return lines


async def cmd_cost(screen: ChatScreen, args: str) -> None:
    """/cost: tokens and estimated cost of each turn."""
    session = screen.codex.session
    if session is None:
        screen.notice("not connected yet", "error", "wait for the session to start")
        return
    screen.notice("\n".join(cost_lines(session)), "info")
