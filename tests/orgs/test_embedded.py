"""The embedded stack (`make run`: an in-process fakeredis store) runs the same code as
production on Redis: the same provisioning flow succeeds on both, and on both every
Management API call took its rate-limit token, the token cache and the locks from the
chosen store."""

from __future__ import annotations

from typing import Any

import fakeredis
import pytest
import redis

from orgs.auth0 import ratelimit
from orgs.auth0.locks import lock_key
from orgs.auth0.tokens import TOKEN_KEY
from orgs.models import (
    Application,
    Invitation,
    InvitationStatus,
    OpState,
    OrgStatus,
    SyncOperation,
    SyncState,
)
from orgs.models.applications import UrlKind
from orgs.services.applications import application_url_add
from orgs.services.organizations import organization_create
from orgs.sync.runner import run_operation
from portal.coordination import coordination_store, is_embedded
from tests.orgs.engine import drain

pytestmark = pytest.mark.django_db

CALLBACK = "https://initech.example.com/callback"


def _api_calls(tenant: Any) -> int:
    routes = tenant.control("GET", "/stats")["routes"]
    return sum(
        sum(statuses.values())
        for route, statuses in routes.items()
        if route.split(" ", 1)[1].startswith("/api/v2/")
    )


def _keys(store: redis.Redis, pattern: str) -> set[str]:
    return {key.decode() for key in store.keys(pattern)}


def test_the_provisioning_flow_runs_the_same_on_either_coordination_store(
    coordination: str, imported_tenant: Any, request: pytest.FixtureRequest
) -> None:
    store = coordination_store()
    assert is_embedded() == (coordination == "embedded")
    assert isinstance(store, fakeredis.FakeRedis) == (coordination == "embedded")
    app = Application.objects.get(client_id="sandbox-demo-app")
    org = organization_create(
        actor=None,
        name="initech",
        display_name="Initech",
        first_admin_email="boss@initech.test",
        application=app,
    )
    application_url_add(
        actor=None, organization=org, application=app, kind=UrlKind.CALLBACK, url=CALLBACK
    )

    # Another worker holds the organization's lock in this store: ours waits its turn.
    create = SyncOperation.objects.get(kind="organization.create")
    held = lock_key("op-target", create.target_key)
    store.set(held, "another-worker", px=30_000)
    assert run_operation(create.pk) == "retrying"
    create.refresh_from_db()
    assert create.last_error_code == "lock_busy" and create.attempts == 0
    store.delete(held)

    outcomes = drain()

    assert set(outcomes) == {"succeeded"}, outcomes
    assert set(SyncOperation.objects.values_list("state", flat=True)) == {OpState.SUCCEEDED}
    org.refresh_from_db()
    assert org.status == OrgStatus.ACTIVE and org.sync_state == SyncState.IN_SYNC
    state = imported_tenant.state()
    assert state["organizations"][org.auth0_id]["metadata"]["portal_id"] == str(org.portal_id)
    assert Invitation.objects.get(organization=org).status == InvitationStatus.SENT
    assert CALLBACK in state["clients"]["sandbox-demo-app"]["callbacks"]

    # Every Management API call (the import's and the flow's) took a token from this store.
    assert ratelimit.stats()["granted"] == _api_calls(imported_tenant)
    assert {"rate:bucket:global", "rate:stats"} <= _keys(store, "rate:*")
    assert store.exists(TOKEN_KEY)
    assert _keys(store, "lock:*") == set(), "every lock taken was released"
    if coordination == "redis":
        # Really in the Redis server, as other processes would see it.
        server = redis.Redis.from_url(request.getfixturevalue("redis_url"))
        assert server.exists("rate:bucket:global", "rate:stats", TOKEN_KEY) == 3
        server.close()
