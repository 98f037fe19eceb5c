"""Reconcile at scale: beat fans out one bulk task per organization (and per shared
connection); each task marks its own findings, and a rate-limit refusal reschedules it at
`retry_at` without losing what it found. Tasks are called directly (`Task.apply`); what
they would send is read from the on-commit callbacks, never sent to a broker."""

from __future__ import annotations

import time
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from celery.result import EagerResult
from django.core.management import call_command

from orgs import tasks
from orgs.auth0.client import auth0_call, management_client
from orgs.models import (
    ApplicationURL,
    Connection,
    ConnectionApplication,
    Organization,
    OrgStatus,
    Priority,
    SyncOperation,
    SyncState,
)
from orgs.reconcile import CONNECTION_TASK, ORGANIZATION_TASK, Send
from orgs.services.organizations import organization_create
from tests.orgs.engine import drain
from tests.orgs.test_reconcile import CALLBACK, DEMO_APP, Provisioned, provision

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]  # django_capture_on_commit_callbacks


@pytest.fixture
def provisioned(imported_tenant: Any) -> Provisioned:
    return provision(imported_tenant)


def _rename_in_auth0(org: Organization, display_name: str) -> None:
    with auth0_call():
        management_client().organizations.update(org.auth0_id, display_name=display_name)


def _sends(callbacks: list[Any]) -> list[Send]:
    return [callback for callback in callbacks if isinstance(callback, Send)]


def _run(send: Send) -> EagerResult:
    """What a worker would do with the message: run the task in this process."""
    result: EagerResult = getattr(tasks, send.task).apply(args=send.args)
    return result


def _state(row: Any) -> str:
    row.refresh_from_db()
    return str(row.sync_state)


def _run_beat(capture: Capture) -> list[EagerResult]:
    """Beat's reconcile, then every task it fanned out (their repairs are not run)."""
    with capture() as callbacks:
        tasks.reconcile_all.apply()
    sends = _sends(callbacks)
    assert sends, "beat checks nothing itself: it fans out"
    with capture():
        results = [_run(send) for send in sends]
    assert all(result.successful() for result in results)
    return results


def test_a_rate_limit_part_way_keeps_the_findings_and_reschedules_the_refused_organization(
    provisioned: Provisioned, django_capture_on_commit_callbacks: Capture
) -> None:
    initech, umbrella = provisioned.initech, provisioned.umbrella
    _rename_in_auth0(initech, "Initrode")
    _rename_in_auth0(umbrella, "Umbrella Corp")
    provisioned.tenant.add_fault(
        action="status",
        status=429,
        method="GET",
        path=rf"^/api/v2/organizations/{umbrella.auth0_id}/enabled_connections",
        times=1,
    )

    first = tasks.reconcile_organization.apply(args=(initech.pk, False))
    with django_capture_on_commit_callbacks() as callbacks:
        refused = tasks.reconcile_organization.apply(args=(umbrella.pk, False))

    assert first.successful() and refused.successful(), "a refusal is waiting, not failing"
    assert _state(initech) == SyncState.DRIFTED
    # Found before the refusal (the organization's own fields), and kept.
    assert _state(umbrella) == SyncState.DRIFTED
    assert umbrella.drift["diff"] == {
        "display_name": {"portal": "Umbrella", "auth0": "Umbrella Corp"}
    }
    (again,) = _sends(callbacks)
    assert again.task == ORGANIZATION_TASK and again.args == (umbrella.pk, False)
    assert again.eta is not None
    assert again.eta.timestamp() == pytest.approx(refused.result["retry_at"])
    assert time.time() - 5 < again.eta.timestamp() < time.time() + 60

    with django_capture_on_commit_callbacks() as later:
        finished = _run(again)

    assert finished.successful() and "retry_at" not in finished.result
    assert finished.result["drifted"] == 1 and _sends(later) == []


def test_beat_fans_out_one_bulk_task_per_live_organization_without_calling_auth0(
    provisioned: Provisioned, django_capture_on_commit_callbacks: Capture, settings: Any
) -> None:
    tenant = provisioned.tenant
    Organization.objects.filter(pk=provisioned.umbrella.pk).update(status=OrgStatus.DELETED)
    pending = organization_create(actor=None, name="hooli", display_name="Hooli")
    live = sorted(
        set(Organization.objects.values_list("pk", flat=True))
        - {provisioned.umbrella.pk, pending.pk}
    )
    assert provisioned.initech.pk in live and len(live) >= 3
    shared = sorted(Connection.objects.filter(organization=None).values_list("pk", flat=True))
    calls_before = tenant.control("GET", "/stats")["total"]

    with django_capture_on_commit_callbacks() as callbacks:
        result = tasks.reconcile_all.apply()

    assert result.successful()
    assert result.result == {"organizations": len(live), "connections": len(shared)}
    sends = _sends(callbacks)
    assert len(sends) == len(callbacks) == len(live) + len(shared)
    assert [s.args for s in sends if s.task == ORGANIZATION_TASK] == [(pk, False) for pk in live]
    assert [s.args for s in sends if s.task == CONNECTION_TASK] == [(pk, False) for pk in shared]
    # Sent now, and dropped if still waiting when the next beat run sends its own.
    assert {(s.eta, s.expires) for s in sends} == {(None, settings.RECONCILE_SECONDS)}
    assert tasks.reconcile_organization.queue == tasks.reconcile_connection.queue == "auth0-bulk"
    assert tenant.control("GET", "/stats")["total"] == calls_before, "fan-out calls no Auth0"


def test_an_organizations_drift_shows_on_its_rows_as_soon_as_its_own_task_finishes(
    provisioned: Provisioned,
) -> None:
    initech, umbrella = provisioned.initech, provisioned.umbrella
    _rename_in_auth0(initech, "Initrode")
    _rename_in_auth0(umbrella, "Umbrella Corp")
    callbacks = provisioned.tenant.state()["clients"][DEMO_APP]["callbacks"]
    with auth0_call():
        management_client().clients.update(
            DEMO_APP, callbacks=[url for url in callbacks if url != CALLBACK]
        )

    result = tasks.reconcile_organization.apply(args=(initech.pk, False))

    assert result.successful() and result.result["drifted"] == 2
    assert _state(initech) == SyncState.DRIFTED
    assert _state(ApplicationURL.objects.get(url=CALLBACK)) == SyncState.DRIFTED
    assert _state(umbrella) == SyncState.IN_SYNC, "its own task has not run yet"

    tasks.reconcile_organization.apply(args=(umbrella.pk, False))

    assert _state(umbrella) == SyncState.DRIFTED


def test_a_shared_connection_is_checked_by_a_task_of_its_own(provisioned: Provisioned) -> None:
    link = ConnectionApplication.objects.select_related("connection").get(
        connection__organization=None, application__client_id=DEMO_APP
    )
    with auth0_call():
        management_client().connections.clients.update(
            link.connection.auth0_id, request=[{"client_id": DEMO_APP, "status": False}]
        )
    tasks.reconcile_organization.apply(args=(provisioned.initech.pk, False))
    assert _state(link) == SyncState.IN_SYNC, "organizations check only what they own"

    result = tasks.reconcile_connection.apply(args=(link.connection.pk, False))

    assert result.successful() and result.result["drifted"] == 1
    assert _state(link) == SyncState.DRIFTED
    assert link.drift["diff"] == {"missing": [DEMO_APP], "extra": []}


def test_with_reconcile_fix_off_beat_only_marks_drift(
    provisioned: Provisioned, django_capture_on_commit_callbacks: Capture, settings: Any
) -> None:
    settings.RECONCILE_FIX = False
    _rename_in_auth0(provisioned.initech, "Initrode")
    last_op = SyncOperation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    _run_beat(django_capture_on_commit_callbacks)

    assert _state(provisioned.initech) == SyncState.DRIFTED
    assert not SyncOperation.objects.filter(pk__gt=last_op).exists()
    organization = provisioned.tenant.state()["organizations"][provisioned.initech.auth0_id]
    assert organization["display_name"] == "Initrode"


def test_with_reconcile_fix_on_beat_records_bulk_priority_repairs(
    provisioned: Provisioned, django_capture_on_commit_callbacks: Capture, settings: Any
) -> None:
    settings.RECONCILE_FIX = True
    _rename_in_auth0(provisioned.initech, "Initrode")
    last_op = SyncOperation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    _run_beat(django_capture_on_commit_callbacks)

    (repair,) = SyncOperation.objects.filter(pk__gt=last_op)
    assert repair.kind == "organization.update" and repair.target_id == provisioned.initech.pk
    assert repair.priority == Priority.BULK
    assert set(drain()) == {"succeeded"}
    organization = provisioned.tenant.state()["organizations"][provisioned.initech.auth0_id]
    assert organization["display_name"] == "Initech"
    assert _state(provisioned.initech) == SyncState.IN_SYNC


def test_the_command_with_async_fans_out_instead_of_checking(
    provisioned: Provisioned, django_capture_on_commit_callbacks: Capture
) -> None:
    out = StringIO()
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("auth0_reconcile", "--async", "--fix", "--org", "umbrella", stdout=out)

    assert [(s.task, s.args) for s in _sends(callbacks)] == [
        (ORGANIZATION_TASK, (provisioned.umbrella.pk, True))
    ]
    assert out.getvalue().startswith("Queued 1 organization and 0 connection checks (repairing)")
