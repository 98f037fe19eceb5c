"""Shared fixtures: the real services (PostgreSQL, Redis) and the coordination store.

Under CI (`CI` set) a missing service is a failure, never a skip: the suite must prove
it ran on the real parts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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


def _with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def _redis_db(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def _isolate_xdist_worker() -> None:
    """`make test` runs on two pytest-xdist workers. pytest-django gives each its own test
    database; this gives each its own Redis databases too (coordination and broker count
    up from REDIS_URL's, the tests' own Redis counts down from TEST_REDIS_URL's), so one
    worker's flushdb never empties the other's locks and buckets. Worker gw0 keeps the
    configured ones. Django's settings are loaded before this module, hence the edits."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    if index == 0:
        return
    from django.conf import settings

    if settings.REDIS_URL:
        own = _with_redis_db(settings.REDIS_URL, _redis_db(settings.REDIS_URL) + index)
        if settings.CELERY_BROKER_URL == settings.REDIS_URL:
            settings.CELERY_BROKER_URL = own
        settings.REDIS_URL = settings.COORDINATION_URL = own
        os.environ["REDIS_URL"] = own
    test_url = _test_redis_url()
    os.environ["TEST_REDIS_URL"] = _with_redis_db(test_url, (_redis_db(test_url) - index) % 16)


_isolate_xdist_worker()


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


# --- named people: staff, org admin, org member, outsider ---------------------------------


@dataclass
class People:
    organization: Any
    other_organization: Any
    staff: Any
    org_admin: Any
    org_member: Any
    outsider: Any


@pytest.fixture
def people(db: None) -> People:
    from tests.factories import MemberFactory, OrganizationFactory, RoleFactory, UserFactory

    acme, globex = OrganizationFactory(name="acme"), OrganizationFactory(name="globex")
    admin_role, member_role = RoleFactory(name="org-admin"), RoleFactory(name="org-member")
    staff = UserFactory(sub="auth0|staff", email="staff@portal.test", is_staff=True)
    org_admin = UserFactory(sub="auth0|acme-admin", email="admin@acme.test")
    org_member = UserFactory(sub="auth0|acme-member", email="member@acme.test")
    outsider = UserFactory(sub="auth0|globex-admin", email="admin@globex.test")
    MemberFactory(organization=acme, user_id=org_admin.sub, email=org_admin.email).roles.add(
        admin_role
    )
    MemberFactory(organization=acme, user_id=org_member.sub, email=org_member.email).roles.add(
        member_role
    )
    MemberFactory(organization=globex, user_id=outsider.sub, email=outsider.email).roles.add(
        admin_role
    )
    return People(acme, globex, staff, org_admin, org_member, outsider)


def log_in(client: Any, user: Any, organization: Any = None) -> Any:
    """Log a user in as the OIDC callback would (pinning customer admins to their org)."""
    client.force_login(user)
    if organization is not None:
        session = client.session
        session["org_pk"] = organization.pk
        session.save()
    return client
