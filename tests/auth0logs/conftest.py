"""Fixtures of the Auth0 log archive's tests: the live sandbox tenant, and helpers that
write tenant log entries and read what the tenant holds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from orgs.auth0 import ratelimit


@pytest.fixture
def tenant_logs(tenant: Any, db: None) -> Iterator[Any]:
    """The demo tenant with the limiter's state forgotten, so a 429 an earlier test
    provoked does not pause this one's reads."""
    ratelimit.reset()
    yield tenant
    ratelimit.reset()


def write_entries(tenant: Any, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    written: list[dict[str, Any]] = []
    for start in range(0, len(entries), 1000):
        written += tenant.control("POST", "/logs", json={"entries": entries[start : start + 1000]})
    return written


def tenant_log_ids(tenant: Any) -> list[str]:
    """Every log id the tenant holds, in log id order."""
    with tenant.app.state.lock:
        return [entry.log_id for entry in tenant.app.state.logs]
