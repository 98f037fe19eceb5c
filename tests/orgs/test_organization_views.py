"""Every org-scoped view, against staff, the org's admin, an org member and an outsider."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from orgs.models import OpState, SyncOperation
from tests.conftest import People, log_in

pytestmark = pytest.mark.django_db


def test_staff_see_every_organization(client: Client, people: People) -> None:
    log_in(client, people.staff)
    response = client.get("/orgs/")
    assert response.status_code == 200
    assert b"Acme" in response.content and b"Globex" in response.content


def test_customers_cannot_open_the_organization_list(client: Client, people: People) -> None:
    log_in(client, people.org_admin, people.organization)
    assert client.get("/orgs/").status_code == 404


def test_staff_open_any_organization(client: Client, people: People) -> None:
    log_in(client, people.staff)
    assert client.get(f"/orgs/{people.other_organization.pk}/").status_code == 200


def test_an_org_admin_opens_their_own_organization(client: Client, people: People) -> None:
    log_in(client, people.org_admin, people.organization)
    response = client.get(f"/orgs/{people.organization.pk}/")
    assert response.status_code == 200
    assert b"admin@acme.test" in response.content


def test_an_outsider_gets_404_for_another_organization(client: Client, people: People) -> None:
    log_in(client, people.outsider, people.other_organization)
    assert client.get(f"/orgs/{people.organization.pk}/").status_code == 404


def test_a_member_without_a_pinned_organization_sees_nothing(
    client: Client, people: People
) -> None:
    log_in(client, people.org_member)
    assert client.get(f"/orgs/{people.organization.pk}/").status_code == 404
    assert client.get("/").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client: Client, people: People) -> None:
    response = client.get(f"/orgs/{people.organization.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def _failed_op(org: Any) -> SyncOperation:
    return SyncOperation.objects.create(
        kind="organization.update",
        organization=org,
        target_type="organization",
        target_id=org.pk,
        idempotency_key=f"k{org.pk}",
        state=OpState.FAILED,
        last_error="Auth0 400: bad",
        attempts=3,
    )


def test_an_org_admin_retries_a_failed_operation(
    client: Client, people: People, django_capture_on_commit_callbacks: Any
) -> None:
    op = _failed_op(people.organization)
    log_in(client, people.org_admin, people.organization)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/orgs/{people.organization.pk}/operations/{op.pk}/retry/")
    assert response.status_code == 302
    op.refresh_from_db()
    assert op.state == OpState.QUEUED and op.attempts == 0
    assert len(callbacks) == 1  # enqueued only once the transaction committed


def test_an_outsider_cannot_retry_another_orgs_operation(client: Client, people: People) -> None:
    op = _failed_op(people.organization)
    log_in(client, people.outsider, people.other_organization)
    url = f"/orgs/{people.organization.pk}/operations/{op.pk}/retry/"
    assert client.post(url).status_code == 404
    url = f"/orgs/{people.other_organization.pk}/operations/{op.pk}/retry/"
    assert client.post(url).status_code == 404
    op.refresh_from_db()
    assert op.state == OpState.FAILED
