"""Test support: the loopback fake model provider and its scripting vocabulary.

``fake_provider`` (the pytest fixture) is exported lazily so that importing this package for a standalone
server or a benchmark does not import pytest.
"""

from __future__ import annotations

from typing import Any

from tests.support.fake_provider import FakeProvider
from tests.support.replies import Call, Headers, HttpError, RateLimits, RecordedRequest, Reply, StreamError, Usage

__all__ = [
    "Call",
    "FakeProvider",
    "Headers",
    "HttpError",
    "RateLimits",
    "RecordedRequest",
    "Reply",
    "StreamError",
    "Usage",
    "fake_provider",
]


def __getattr__(name: str) -> Any:
    if name == "fake_provider":
        from tests.support.plugin import fake_provider

        return fake_provider
    raise AttributeError(name)
