from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal.coordination import coordination_store


@pytest.fixture(autouse=True)
def coordination_flushed() -> Iterator[None]:
    """Sign-up tests count attempts in the coordination store (rate limits): each test
    starts from none and leaves none."""
    coordination_store().flushdb()
    yield
    coordination_store().flushdb()
