"""Test support: the loopback fake model provider and its scripting vocabulary.

Exports are lazy, so ``python -m tests.support.fake_provider`` runs without importing the module twice and
importing the package for a benchmark does not import pytest (only ``fake_provider``, the fixture, does).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.fake_provider import FakeProvider
    from tests.support.plugin import fake_provider
    from tests.support.replies import (
        Call,
        Headers,
        HttpError,
        RateLimits,
        RecordedRequest,
        Reply,
        Search,
        StreamError,
        Usage,
    )

_HOMES = {
    "FakeProvider": "tests.support.fake_provider",
    "fake_provider": "tests.support.plugin",
    **dict.fromkeys(
        ("Call", "Headers", "HttpError", "RateLimits", "RecordedRequest", "Reply", "Search", "StreamError", "Usage"),
        "tests.support.replies",
    ),
}

__all__ = [
    "Call",
    "FakeProvider",
    "Headers",
    "HttpError",
    "RateLimits",
    "RecordedRequest",
    "Reply",
    "Search",
    "StreamError",
    "Usage",
    "fake_provider",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'tests.support' has no attribute {name!r}")
    return getattr(import_module(home), name)
