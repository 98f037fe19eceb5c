"""Retry and cancel of sync operations: a customer admin acts only on what a customer admin
started; staff and system work (a suspension's connection disables) is staff-only."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client

from orgs.models import OpState, Organization, SyncOperation
from orgs.services.sync_ops import sync_operation_cancel, sync_operation_retry
from tests.conftest import People, log_in
from tests.orgs.services import refused

pytestmark = pytest.mark.django_db

_keys = itertools.count()
# orgs.models.Origin's values, spelt out so this file loads on code without the field.
STAFF, CUSTOMER, SYSTEM = "staff", "customer", "system"
STAFF_WORK = [STAFF, SYSTEM]
STATE_FOR = {"retry": OpState.FAILED, "cancel": OpState.QUEUED}


def _op(org: Organization, origin: str, state: str) -> SyncOperation:
    return SyncOperation.objects.create(
        kind="organization_connection.sync",
        organization=org,
        target_type="organization",
        target_id=org.pk,
        idempotency_key=f"test-op-{next(_keys)}",
        origin=origin,
        state=state,
        attempts=3 if state == OpState.FAILED else 0,
    )


def _post(client: Client, op: SyncOperation, action: str) -> str:
    """Press the button; the page the portal lands on."""
    url = f"/orgs/{op.organization_id}/operations/{op.pk}/{action}/"
    response = client.post(url, follow=True)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("action", ["retry", "cancel"])
@pytest.mark.parametrize("origin", STAFF_WORK)
def test_a_customer_admin_cannot_retry_or_cancel_staff_or_system_work(
    client: Client, people: People, origin: str, action: str
) -> None:
    op = _op(people.organization, origin, STATE_FOR[action])
    log_in(client, people.org_admin, people.organization)
    page = _post(client, op, action)
    assert f"Only staff can {action} this change" in page
    op.refresh_from_db()
    assert op.state == STATE_FOR[action] and op.attempts == (3 if action == "retry" else 0)


def test_a_customer_admin_cancels_an_operation_they_started(client: Client, people: People) -> None:
    op = _op(people.organization, CUSTOMER, OpState.QUEUED)
    log_in(client, people.org_admin, people.organization)
    assert f"Operation #{op.pk} cancelled." in _post(client, op, "cancel")
    op.refresh_from_db()
    assert op.state == OpState.CANCELLED


def test_a_customer_admin_retries_an_operation_they_started(client: Client, people: People) -> None:
    op = _op(people.organization, CUSTOMER, OpState.FAILED)
    log_in(client, people.org_admin, people.organization)
    assert f"Operation #{op.pk} queued again." in _post(client, op, "retry")
    op.refresh_from_db()
    assert op.state == OpState.QUEUED and op.attempts == 0


@pytest.mark.parametrize("action", ["retry", "cancel"])
@pytest.mark.parametrize("origin", [STAFF, SYSTEM, CUSTOMER])
def test_staff_retry_and_cancel_operations_whoever_started_them(
    client: Client, people: People, origin: str, action: str
) -> None:
    op = _op(people.organization, origin, STATE_FOR[action])
    log_in(client, people.staff)
    _post(client, op, action)
    op.refresh_from_db()
    assert op.state == (OpState.QUEUED if action == "retry" else OpState.CANCELLED)


@pytest.mark.parametrize("origin", STAFF_WORK)
def test_the_service_refuses_a_customer_admin_whatever_the_view_allowed(
    people: People, origin: str
) -> None:
    failed = _op(people.organization, origin, OpState.FAILED)
    with refused("Only staff can retry this change"):
        sync_operation_retry(actor=people.org_admin, operation=failed)
    with refused("Only staff can cancel this change"):
        sync_operation_cancel(actor=people.org_admin, operation=failed)


def test_the_service_refuses_a_customer_admin_of_another_organization(people: People) -> None:
    op = _op(people.organization, CUSTOMER, OpState.FAILED)
    with refused("Only an administrator of this organization can cancel this change"):
        sync_operation_cancel(actor=people.outsider, operation=op)
    with refused("Only an administrator of this organization can retry this change"):
        sync_operation_retry(actor=people.org_member, operation=op)


def test_a_customer_admin_sees_buttons_only_for_operations_they_may_act_on(
    client: Client, people: People
) -> None:
    staff_failed = _op(people.organization, STAFF, OpState.FAILED)
    system_queued = _op(people.organization, SYSTEM, OpState.QUEUED)
    own_failed = _op(people.organization, CUSTOMER, OpState.FAILED)
    log_in(client, people.org_admin, people.organization)
    page = client.get(f"/orgs/{people.organization.pk}/").content.decode()
    base = f"/orgs/{people.organization.pk}/operations"
    assert f"{base}/{staff_failed.pk}/retry/" not in page
    assert f"{base}/{staff_failed.pk}/cancel/" not in page
    assert f"{base}/{system_queued.pk}/cancel/" not in page
    assert f"{base}/{own_failed.pk}/retry/" in page
    assert f"{base}/{own_failed.pk}/cancel/" in page


def test_staff_see_the_buttons_of_every_operation(client: Client, people: People) -> None:
    staff_failed = _op(people.organization, STAFF, OpState.FAILED)
    system_queued = _op(people.organization, SYSTEM, OpState.QUEUED)
    log_in(client, people.staff)
    page = client.get(f"/orgs/{people.organization.pk}/").content.decode()
    base = f"/orgs/{people.organization.pk}/operations"
    assert f"{base}/{staff_failed.pk}/retry/" in page
    assert f"{base}/{staff_failed.pk}/cancel/" in page
    assert f"{base}/{system_queued.pk}/cancel/" in page


def test_an_outsider_cannot_act_on_another_organizations_operation(
    client: Client, people: People
) -> None:
    op = _op(people.organization, CUSTOMER, OpState.QUEUED)
    log_in(client, people.outsider, people.other_organization)
    assert (
        client.post(f"/orgs/{people.organization.pk}/operations/{op.pk}/cancel/").status_code == 404
    )
    url = f"/orgs/{people.other_organization.pk}/operations/{op.pk}/cancel/"
    assert client.post(url).status_code == 404
    op.refresh_from_db()
    assert op.state == OpState.QUEUED
