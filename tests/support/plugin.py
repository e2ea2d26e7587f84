"""Pytest fixture for the loopback fake provider: ``pytest_plugins = ["tests.support.plugin"]``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_provider import FakeProvider


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    """A running fake model server for one test; closed (with its connections) afterwards."""
    with FakeProvider() as fake:
        yield fake
