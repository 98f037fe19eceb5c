"""Operator actions on sync operations: retry a failed one, cancel one and its dependents."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.models import (
    Invitation,
    OpState,
    Organization,
    OrganizationConnection,
    OrgStatus,
    SyncOperation,
    SyncState,
)
from orgs.services.organizations import organization_create
from orgs.services.sync_ops import sync_operation_cancel, sync_operation_retry
from tests.orgs.engine import drain, sent_ops
from tests.orgs.services import (
    assert_in_sync,
    audited,
    demo_app,
    refused,
    remote_org,
    settle,
    staff_user,
)

pytestmark = pytest.mark.django_db


def _failed_creation(tenant: Any) -> Organization:
    """An organization whose creation Auth0 refused (400); its dependents wait."""
    tenant.add_fault(
        method="POST",
        path=r"^/api/v2/organizations$",
        status=400,
        message="Payload validation error",
    )
    org = organization_create(
        actor=None,
        name="initech",
        display_name="Initech",
        first_admin_email="boss@initech.test",
        application=demo_app(),
    )
    assert drain() == ["failed"]
    tenant.control("DELETE", "/faults")
    return org


def _create_op() -> SyncOperation:
    return SyncOperation.objects.get(kind="organization.create")


def test_a_refused_creation_fails_visibly_and_holds_its_dependents(imported_tenant: Any) -> None:
    org = _failed_creation(imported_tenant)

    op = _create_op()
    assert op.state == OpState.FAILED and op.attempts == 1  # a 400 is not retried
    assert "Payload validation error" in op.last_error, op.last_error
    org.refresh_from_db()
    assert org.status == OrgStatus.PENDING and org.sync_state == SyncState.FAILED
    assert "Payload validation error" in org.sync_error
    assert set(SyncOperation.objects.exclude(pk=op.pk).values_list("state", flat=True)) == {
        OpState.QUEUED
    }
    assert remote_org(imported_tenant.state(), "initech") is None


def test_retrying_a_failed_operation_runs_it_and_its_dependents(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    org = _failed_creation(imported_tenant)

    with django_capture_on_commit_callbacks() as callbacks:
        op = sync_operation_retry(actor=staff_user(), operation=_create_op())

    assert len(sent_ops(callbacks)) == 1  # enqueued once the retry commits
    assert op.state == OpState.QUEUED and op.attempts == 0
    org.refresh_from_db()
    assert org.sync_state == SyncState.PENDING
    assert audited()[-1] == "sync_operation.retry"

    state = settle(imported_tenant)

    remote = remote_org(state, "initech")
    assert remote is not None and len(remote["invitations"]) == 1
    org.refresh_from_db()
    assert org.status == OrgStatus.ACTIVE
    assert_in_sync(
        org,
        OrganizationConnection.objects.get(organization=org),
        Invitation.objects.get(organization=org),
    )


def test_it_refuses_to_retry_an_operation_that_has_not_failed(imported_tenant: Any) -> None:
    organization_create(actor=None, name="initech", display_name="Initech")
    with refused("Only failed operations can be retried; this one is queued."):
        sync_operation_retry(actor=None, operation=_create_op())


def test_cancelling_a_failed_operation_cancels_what_waits_on_it(imported_tenant: Any) -> None:
    org = _failed_creation(imported_tenant)

    sync_operation_cancel(actor=staff_user(), operation=_create_op())

    states = dict(SyncOperation.objects.values_list("kind", "state"))
    assert states == {
        "organization.create": OpState.CANCELLED,
        "organization_connection.sync": OpState.CANCELLED,
        "invitation.send": OpState.CANCELLED,
    }
    invitation = Invitation.objects.get(organization=org)
    assert invitation.sync_state == SyncState.FAILED
    assert "(organization.create) was cancelled" in invitation.sync_error
    assert audited()[-1] == "sync_operation.cancel"
    assert drain() == []
    assert remote_org(imported_tenant.state(), "initech") is None


def test_cancelling_a_queued_operation_stops_the_whole_chain(imported_tenant: Any) -> None:
    organization_create(actor=None, name="initech", display_name="Initech")

    sync_operation_cancel(actor=None, operation=_create_op())

    assert set(SyncOperation.objects.values_list("state", flat=True)) == {OpState.CANCELLED}
    assert drain() == []
    assert remote_org(imported_tenant.state(), "initech") is None


def test_it_refuses_to_cancel_a_finished_operation(imported_tenant: Any) -> None:
    organization_create(actor=None, name="initech", display_name="Initech")
    settle(imported_tenant)
    with refused("A succeeded operation cannot be cancelled."):
        sync_operation_cancel(actor=None, operation=_create_op())
