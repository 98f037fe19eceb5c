"""A 429 storm converging: the tenant's buckets are far smaller than the portal believes,
so the portal learns the real limits only from 429s and rate-limit headers. Everything
must still arrive exactly once, without failures and without spending attempts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from orgs.auth0 import ratelimit
from orgs.auth0.client import auth0_call, management_client
from orgs.auth0.errors import RateLimited
from orgs.auth0.plans import buckets_for_plan
from orgs.auth0.ratelimit import RateLimiter
from orgs.models import Application, Invitation, OpState, Organization, SyncOperation
from orgs.models.applications import UrlKind
from orgs.services.applications import application_url_add
from orgs.services.organizations import organization_create
from orgs.sync.runner import run_operation
from portal.coordination import coordination_store

pytestmark = pytest.mark.django_db

ORGS = 10
# What the tenant really allows (the portal is told 1000/s: tests.tenant.FAST_LIMITS).
TENANT_BUCKETS = {"global": {"burst": 3, "rate": 8}, "organization_writes": {"burst": 2, "rate": 3}}


@pytest.fixture
def small_tenant(imported_tenant: Any) -> Iterator[Any]:
    """The tenant with small buckets; the session's server gets its own back afterwards."""
    before = imported_tenant.control("GET", "/ratelimits")
    imported_tenant.control(
        "POST",
        "/ratelimits",
        json={"buckets": TENANT_BUCKETS, "endpoint_buckets": True, "refill": True},
    )
    imported_tenant.control("DELETE", "/stats")
    ratelimit.reset()
    yield imported_tenant
    imported_tenant.control(
        "POST",
        "/ratelimits",
        json={
            "buckets": {
                name: {"burst": bucket["burst"], "rate": bucket["rate"]}
                for name, bucket in before["buckets"].items()
            },
            "endpoint_buckets": before["endpoint_buckets"],
            "refill": True,
        },
    )


def settle(timeout: float) -> list[str]:
    """Run operations like one worker would: each when it is due, sleeping in between."""
    outcomes: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runnable = SyncOperation.objects.filter(state=OpState.QUEUED).filter(
            Q(depends_on__isnull=True) | Q(depends_on__state=OpState.SUCCEEDED)
        )
        now = timezone.now()
        due = list(
            runnable.filter(next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)
        )
        if due:
            outcomes += [run_operation(op_id) for op_id in due]
            continue
        earliest = (
            runnable.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
        )
        if earliest is None:
            return outcomes
        time.sleep(min(0.5, max(0.01, (earliest - now).total_seconds())))
    raise AssertionError(f"operations did not settle in {timeout}s: {outcomes[-10:]}")


def test_a_429_storm_converges_with_everything_created_exactly_once(small_tenant: Any) -> None:
    app = Application.objects.get(client_id="sandbox-demo-app")
    names = [f"storm-{n:02d}" for n in range(ORGS)]
    for name in names:
        org = organization_create(
            actor=None,
            name=name,
            display_name=name.title(),
            first_admin_email=f"admin@{name}.test",
            application=app,
        )
        application_url_add(
            actor=None,
            organization=org,
            application=app,
            kind=UrlKind.CALLBACK,
            url=f"https://{name}.example.com/callback",
        )

    outcomes = settle(timeout=30)

    assert "retrying" in outcomes, "the tenant never pushed back: the storm did not happen"
    assert small_tenant.control("GET", "/stats")["throttled"] > 0
    assert ratelimit.stats()["http_429"] > 0
    ops = SyncOperation.objects.all()
    assert {op.state for op in ops} == {OpState.SUCCEEDED}
    # Waiting for a reset is not a failed attempt: every operation took exactly one.
    # Each ran once (429 waits don't count), or never: enabling a connection on a new
    # organization rides along in its create call.
    assert {op.attempts for op in ops if "covered_by" not in op.result} == {1}
    assert {op.attempts for op in ops if "covered_by" in op.result} <= {0}
    state = small_tenant.state()
    for name in names:
        org = Organization.objects.get(name=name)
        remote = [o for o in state["organizations"].values() if o["name"] == name]
        assert [o["id"] for o in remote] == [org.auth0_id]
        assert len(remote[0]["connections"]) == 1
        invitations = list(remote[0]["invitations"].values())
        assert [i["invitee_email"] for i in invitations] == [f"admin@{name}.test"]
        assert Invitation.objects.get(organization=org).auth0_id == invitations[0]["id"]
    callbacks = state["clients"]["sandbox-demo-app"]["callbacks"]
    assert all(f"https://{name}.example.com/callback" in callbacks for name in names)


def test_a_429_from_the_tenant_pauses_the_bucket_for_every_worker(small_tenant: Any) -> None:
    organizations = management_client().organizations
    with pytest.raises(RateLimited) as throttled, auth0_call():
        for _ in range(10):  # the tenant's global burst is 3
            list(organizations.list(take=1))
    assert throttled.value.status == 429 and throttled.value.retry_at is not None

    # Another worker's limiter, built afresh on the same store, sees the pause...
    other_worker = RateLimiter(
        coordination_store(),
        buckets_for_plan(settings.AUTH0_RATE_PLAN, settings.AUTH0_RATE_OVERRIDES),
    )
    paused_until = other_worker.level("global").paused_until
    assert paused_until == pytest.approx(throttled.value.retry_at, abs=0.01)
    assert other_worker.try_acquire("GET", "/api/v2/organizations") > 0
    # ...so the next call waits for the reset instead of knocking again.
    throttled_before = small_tenant.control("GET", "/stats")["throttled"]
    list(organizations.list(take=1))
    assert time.time() >= paused_until - 0.05
    assert small_tenant.control("GET", "/stats")["throttled"] == throttled_before
