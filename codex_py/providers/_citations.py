"""Citations from a provider's web search: the pages an answer cites, kept with the answer.

The answer's text stays exactly what the model wrote (its deltas add up to it); the cited pages ride in
``AssistantMessage.provider_data[wire]["citations"]`` as ``[{"url", "title"}]`` (our shape, not a wire's),
which ``AssistantMessage.citations`` reads for the front ends."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def citations_json(cited: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """``[{"url", "title"}]`` in first-cited order, one entry per URL."""
    out: dict[str, dict[str, Any]] = {}
    for url, title in cited:
        if url and url not in out:
            out[url] = {"url": url, "title": title}
    return list(out.values())


def unique(urls: Iterable[str]) -> tuple[str, ...]:
    """URLs in first-seen order, without repeats or blanks."""
    return tuple(dict.fromkeys(u for u in urls if u))
