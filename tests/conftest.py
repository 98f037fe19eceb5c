"""Shared fixtures: the real services (PostgreSQL, Redis) and the coordination store.

Under CI (`CI` set) a missing service is a failure, never a skip: the suite must prove
it ran on the real parts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import redis

IN_CI = bool(os.environ.get("CI"))
DEFAULT_TEST_REDIS = "redis://127.0.0.1:6379/15"


def require_service(reason: str) -> None:
    """Skip locally, fail under CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    coordination = "redis " + settings.REDIS_URL if settings.REDIS_URL else "embedded"
    return [f"database vendor: {engine}; coordination: {coordination}; CI={IN_CI}"]


def pytest_sessionstart(session: pytest.Session) -> None:
    if IN_CI:
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError(f"CI must run on PostgreSQL, DATABASE_URL gives {engine}")
        if not settings.REDIS_URL:
            raise pytest.UsageError("CI must run with REDIS_URL set")


def _test_redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or DEFAULT_TEST_REDIS


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A real Redis server, emptied before and after the test."""
    url = _test_redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        require_service(f"Redis at {url} is not reachable: {exc}")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture(params=["embedded", "redis"])
def coordination(request: pytest.FixtureRequest, settings: object) -> Iterator[str]:
    """Run a test against both coordination backends: the in-process one and real Redis."""
    from portal.coordination import coordination_store, reset_cached_clients

    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings.COORDINATION_URL = url  # type: ignore[attr-defined]
    else:
        settings.COORDINATION_URL = "embedded://"  # type: ignore[attr-defined]
    reset_cached_clients()
    coordination_store().flushdb()
    yield request.param
    coordination_store().flushdb()
    reset_cached_clients()


# --- the sandbox tenant, live ------------------------------------------------------------


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Any]:
    from tests.tenant import start_sandbox

    server = start_sandbox(rate=1000, burst=1000, endpoint_buckets=False)
    yield server
    server.stop()


@pytest.fixture
def tenant(sandbox_server: Any, settings: Any) -> Iterator[Any]:
    """The demo tenant, fresh for this test, with the portal pointed at it."""
    from orgs.auth0.client import forget_clients
    from portal.coordination import coordination_store
    from tests.tenant import FAST_LIMITS

    sandbox_server.reset()
    settings.AUTH0_DOMAIN = sandbox_server.url
    settings.AUTH0_RATE_OVERRIDES = FAST_LIMITS
    forget_clients()
    coordination_store().flushdb()
    yield sandbox_server
    forget_clients()


@pytest.fixture
def imported_tenant(tenant: Any, db: None) -> Any:
    """The demo tenant imported into the portal's database."""
    from orgs.tenant_import import import_tenant

    import_tenant()
    return tenant
