"""Races the engine must win (issue 7, items 1, 2 and 4), run with real threads against
the sandbox: each worker thread has its own database connection, so these tests commit."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from orgs.auth0.operations import clients
from orgs.models import (
    ApplicationURL,
    OpState,
    Organization,
    OrganizationConnection,
    SyncOperation,
    SyncState,
)
from orgs.models.applications import UrlKind
from orgs.services.applications import application_url_add, application_url_remove
from orgs.services.connections import (
    organization_connection_disable,
    organization_connection_enable,
)
from orgs.services.organizations import organization_update
from orgs.sync.runner import run_operation
from orgs.sync.sweeper import sweep
from portal.coordination import coordination_store
from tests.orgs.engine import drain
from tests.orgs.services import demo_app, remote_org, settle, shared_connection

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 15.0
URL = "https://shared.example.com/callback"


class Worker:
    """`run_operation(op_id)` in its own thread, with its own database connection."""

    def __init__(self, op_id: int, name: str = "worker-1") -> None:
        self.result: str | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(op_id,), name=name, daemon=True)
        self.thread.start()

    def _run(self, op_id: int) -> None:
        try:
            self.result = run_operation(op_id)
        except BaseException as exc:  # reported by join()
            self.error = exc
        finally:
            connection.close()

    def join(self) -> str | None:
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "the worker thread never finished"
        if self.error is not None:
            raise self.error
        return self.result


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _fault_matched(tenant: Any, rule_id: str) -> Callable[[], bool]:
    def matched() -> bool:
        rules = tenant.control("GET", "/faults")["faults"]
        return any(rule["id"] == rule_id and rule["matched"] >= 1 for rule in rules)

    return matched


def _queued(**filters: Any) -> SyncOperation:
    return SyncOperation.objects.filter(state=OpState.QUEUED, **filters).latest("pk")


def _acme() -> Organization:
    return Organization.objects.get(name="acme")


def test_a_connection_disabled_then_enabled_again_while_the_disable_is_in_flight_ends_enabled(
    imported_tenant: Any,
) -> None:
    acme, shared = _acme(), shared_connection()
    link = OrganizationConnection.objects.get(organization=acme, connection=shared)
    fault = imported_tenant.add_fault(
        action="delay", delay=1.5, method="DELETE", path=r"/enabled_connections/", times=1
    )
    organization_connection_disable(actor=None, link=link)
    disable = _queued(kind="organization_connection.sync")

    worker = Worker(disable.pk)
    _wait_until(_fault_matched(imported_tenant, fault["id"]), "the DELETE to be in flight")
    organization_connection_enable(actor=None, organization=acme, connection=shared)
    enable = SyncOperation.objects.exclude(pk=disable.pk).get(state=OpState.QUEUED)

    enabling = run_operation(enable.pk)
    assert worker.join() == "succeeded"
    drain()

    state = imported_tenant.state()
    assert shared.auth0_id in remote_org(state, "acme")["connections"]  # type: ignore[index]
    relinked = OrganizationConnection.objects.get(organization=acme, connection=shared)
    assert relinked.sync_state == SyncState.IN_SYNC, relinked.sync_error
    # Same natural target (organization + connection): it waited for the disable's lock.
    assert enabling == "retrying"


@pytest.fixture
def held_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """(entered, go): `change_client_urls` called from the thread named "held" signals
    `entered` and waits for `go` before doing anything."""
    entered, go = threading.Event(), threading.Event()
    real = clients.change_client_urls

    def held(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "held":
            entered.set()
            assert go.wait(WAIT), "never released"
        return real(*args, **kwargs)

    monkeypatch.setattr(clients, "change_client_urls", held)
    yield entered, go
    go.set()  # never leave a thread hanging


def test_a_url_one_organization_removes_stays_when_another_adds_it_meanwhile(
    imported_tenant: Any, held_in: tuple[threading.Event, threading.Event]
) -> None:
    entered, go = held_in
    app = demo_app()
    globex = Organization.objects.get(name="globex")
    a_row = application_url_add(
        actor=None, organization=_acme(), application=app, kind=UrlKind.CALLBACK, url=URL
    )
    settle(imported_tenant)
    assert URL in imported_tenant.state()["clients"]["sandbox-demo-app"][UrlKind.CALLBACK]

    application_url_remove(actor=None, row=a_row)
    removal = _queued(kind="application_urls.sync")
    worker = Worker(removal.pk, name="held")
    assert entered.wait(WAIT), "the removal never reached the client's lock"

    b_row = application_url_add(
        actor=None, organization=globex, application=app, kind=UrlKind.CALLBACK, url=URL
    )
    addition = _queued(kind="application_urls.sync", organization=globex)
    assert run_operation(addition.pk) == "succeeded"
    b_row.refresh_from_db()
    assert b_row.sync_state == SyncState.IN_SYNC

    go.set()
    assert worker.join() == "succeeded"

    assert URL in imported_tenant.state()["clients"]["sandbox-demo-app"][UrlKind.CALLBACK]
    b_row.refresh_from_db()
    assert b_row.sync_state == SyncState.IN_SYNC, b_row.sync_error
    assert not ApplicationURL.objects.filter(pk=a_row.pk).exists()


def _organization_patches(tenant: Any) -> int:
    routes = tenant.control("GET", "/stats")["routes"]
    return sum(
        sum(statuses.values())
        for route, statuses in routes.items()
        if re.fullmatch(r"PATCH /api/v2/organizations/[^/]+", route)
    )


def test_a_worker_stalled_past_its_lease_is_refused_and_only_the_new_worker_writes(
    imported_tenant: Any,
) -> None:
    acme = _acme()
    organization_update(actor=None, organization=acme, display_name="Acme Renamed")
    op = _queued(kind="organization.update")
    fault = imported_tenant.add_fault(
        action="delay", delay=2, method="GET", path=r"^/api/v2/organizations/org_", times=1
    )
    patches_before = _organization_patches(imported_tenant)

    stalled = Worker(op.pk)
    _wait_until(_fault_matched(imported_tenant, fault["id"]), "worker 1 to stall on its read")
    # Its lease and locks run out; the sweeper gives the operation to worker 2.
    SyncOperation.objects.filter(pk=op.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    store = coordination_store()
    for pattern in ("lock:op-target:*", "lock:organization:*"):
        for key in list(store.scan_iter(pattern)):
            store.delete(key)
    assert sweep()["recovered"] == 1
    assert run_operation(op.pk) == "succeeded"

    assert stalled.join() == "lease-lost"
    assert _organization_patches(imported_tenant) - patches_before == 1
    op.refresh_from_db()
    assert op.state == OpState.SUCCEEDED
    remote = remote_org(imported_tenant.state(), "acme")
    assert remote is not None and remote["display_name"] == "Acme Renamed"
