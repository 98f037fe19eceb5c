"""Fixtures the orgs tests share."""

from __future__ import annotations

import pytest

from tests.orgs.services import demo_rows


@pytest.fixture
def demo(db: None) -> None:
    """The demo tenant's rows without the sandbox: refusals never reach Auth0."""
    demo_rows()
