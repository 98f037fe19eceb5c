"""Suspend, reactivate and delete an organization from its page (staff): a confirmation
that says what happens, the change on POST, and delete's impact preview and typed slug."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from orgs.auth0.client import forget_clients
from orgs.models import (
    ApplicationURL,
    Connection,
    Invitation,
    MembershipModel,
    Organization,
    OrganizationConnection,
    OrgStatus,
    SyncOperation,
)
from orgs.models.applications import UrlKind
from orgs.services.organizations import organization_create
from portal.devstack import free_port
from tests.conftest import People, log_in
from tests.factories import ApplicationFactory, ConnectionFactory
from tests.orgs.services import demo_app, settle, staff_user

pytestmark = pytest.mark.django_db


def _url(org: Organization, action: str) -> str:
    return f"/orgs/{org.pk}/{action}/"


@pytest.fixture
def staff(client: Client, people: People) -> Client:
    return log_in(client, people.staff)


@pytest.fixture
def acme(people: People) -> Organization:
    """Acme with the shared connection enabled, so suspending has something to turn off."""
    org: Organization = people.organization
    OrganizationConnection.objects.create(organization=org, connection=ConnectionFactory())
    return org


# --- suspend and reactivate ----------------------------------------------------------------


def test_suspend_asks_first_and_says_what_happens(staff: Client, acme: Organization) -> None:
    page = staff.get(f"/orgs/{acme.pk}/").content.decode()
    assert f'href="{_url(acme, "suspend")}">Suspend</a>' in page

    html = staff.get(_url(acme, "suspend")).content.decode()

    assert f"Suspend {acme}?" in html and "Suspend organization" in html
    assert "Nobody can sign in to Acme: each of its connections (1) is turned off" in html
    assert "Members, their roles and invitations stay as they are." in html
    assert f'action="{_url(acme, "suspend")}"' in html
    acme.refresh_from_db()
    assert acme.status == OrgStatus.ACTIVE  # looking changes nothing


def test_staff_suspend_then_reactivate_an_organization(staff: Client, acme: Organization) -> None:
    response = staff.post(_url(acme, "suspend"), follow=True)

    acme.refresh_from_db()
    assert acme.status == OrgStatus.SUSPENDED
    html = response.content.decode()
    assert "Acme is suspended. Its connections are being turned off." in html
    assert (
        f'href="{_url(acme, "reactivate")}">Reactivate</a>' in html and ">Suspend</a>" not in html
    )
    op = SyncOperation.objects.get(kind="organization_connection.sync")
    assert op.payload["intent"] == "suspend"

    confirm = staff.get(_url(acme, "reactivate")).content.decode()
    assert "Reactivate Acme?" in confirm and "Reactivate organization" in confirm
    response = staff.post(_url(acme, "reactivate"), follow=True)

    acme.refresh_from_db()
    assert acme.status == OrgStatus.ACTIVE
    assert "Acme is active again." in response.content.decode()


def test_a_refused_suspend_is_a_message_not_an_error_page(
    staff: Client, acme: Organization
) -> None:
    Organization.objects.filter(pk=acme.pk).update(status=OrgStatus.PENDING)

    response = staff.post(_url(acme, "suspend"), follow=True)

    assert response.status_code == 200
    assert "Only active organizations can be suspended; this one is pending." in (
        response.content.decode()
    )
    response = staff.post(_url(acme, "reactivate"), follow=True)
    assert "Only suspended organizations can be reactivated." in response.content.decode()
    assert not SyncOperation.objects.exists()


# --- delete ---------------------------------------------------------------------------------


def test_the_delete_page_previews_what_goes_with_it(
    staff: Client, acme: Organization, people: People
) -> None:
    app = ApplicationFactory(name="Demo")
    Invitation.objects.create(organization=acme, email="new@acme.test", application=app)
    for owner, url in [
        (acme, "https://acme.test/cb"),
        (acme, "https://shared.test/cb"),
        (people.other_organization, "https://shared.test/cb"),
    ]:
        ApplicationURL.objects.create(
            organization=owner, application=app, kind=UrlKind.CALLBACK, url=url
        )
    Connection.objects.create(name="acme-users", strategy="auth0", organization=acme)

    html = staff.get(_url(acme, "delete")).content.decode()

    assert "Delete Acme?" in html and "Delete organization" in html
    assert "Acme is removed from Auth0, with its 2 members" in html
    assert "1 open invitation can no longer be accepted." in html
    assert "Callback URL https://acme.test/cb on Demo is removed." in html
    assert "Callback URL https://shared.test/cb on Demo stays: another organization" in html
    assert "Its own database connection acme-users is deleted (it was never created" in html
    assert "Type <code>acme</code> to confirm" in html


def test_the_preview_counts_the_users_of_its_own_connection_in_auth0(
    client: Client, imported_tenant: Any
) -> None:
    org = organization_create(
        actor=None,
        name="initech",
        display_name="Initech",
        membership_model=MembershipModel.OWN_DATABASE,
        first_admin_email="boss@initech.test",
        application=demo_app(),
    )
    settle(imported_tenant)  # the connection exists in Auth0, holding the invited admin
    log_in(client, staff_user())

    html = client.get(_url(org, "delete")).content.decode()

    assert "Its own database connection initech-users is deleted, with the 1 user it" in html
    assert "Initech is removed from Auth0 (it has no members)." in html
    assert "1 open invitation can no longer be accepted." in html


def test_the_preview_says_when_auth0_cannot_count_the_users(
    staff: Client, acme: Organization, settings: Any
) -> None:
    ConnectionFactory(name="acme-users", organization=acme, auth0_id="con_acmeusers0001")
    settings.AUTH0_DOMAIN = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.AUTH0_TIMEOUT = 2.0
    forget_clients()
    try:
        html = staff.get(_url(acme, "delete")).content.decode()
    finally:
        forget_clients()

    assert "with all its users (they could not be counted: Auth0 did not answer)." in html


def test_a_wrong_slug_deletes_nothing(staff: Client, acme: Organization) -> None:
    response = staff.post(_url(acme, "delete"), {"confirm": "acme-corp"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and "Type acme exactly to confirm." in html
    assert 'value="acme-corp"' in html
    acme.refresh_from_db()
    assert acme.status == OrgStatus.ACTIVE and not SyncOperation.objects.exists()


def test_staff_delete_an_organization_by_typing_its_slug(staff: Client, acme: Organization) -> None:
    response = staff.post(_url(acme, "delete"), {"confirm": " acme "})

    assert response.status_code == 302 and response["Location"] == "/orgs/"
    acme.refresh_from_db()
    assert acme.status == OrgStatus.DELETING
    assert SyncOperation.objects.filter(kind="organization.delete").count() == 1
    listing = staff.get("/orgs/").content.decode()
    assert "Acme is being deleted. The portal keeps its audit trail." in listing


def test_the_staff_organization_cannot_be_deleted(staff: Client, people: People) -> None:
    crew = people.other_organization
    Organization.objects.filter(pk=crew.pk).update(is_staff_organization=True)

    page = staff.get(f"/orgs/{crew.pk}/").content.decode()
    assert ">Delete</a>" not in page
    response = staff.post(_url(crew, "delete"), {"confirm": crew.name}, follow=True)

    assert "The staff organization cannot be deleted from the portal." in (
        response.content.decode()
    )
    crew.refresh_from_db()
    assert crew.status == OrgStatus.ACTIVE


# --- who may ----------------------------------------------------------------------------

ACTIONS = ["suspend", "reactivate", "delete"]


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_visitors_are_sent_to_sign_in(
    client: Client, acme: Organization, action: str
) -> None:
    for response in (client.get(_url(acme, action)), client.post(_url(acme, action))):
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("action", ACTIONS)
def test_customers_get_404_even_for_their_own_organization(
    client: Client, people: People, acme: Organization, action: str
) -> None:
    for user, pinned in [
        (people.org_admin, acme),
        (people.outsider, people.other_organization),
        (people.org_member, None),
    ]:
        log_in(client, user, pinned)
        assert client.get(_url(acme, action)).status_code == 404
        assert client.post(_url(acme, action), {"confirm": "acme"}).status_code == 404
    acme.refresh_from_db()
    assert acme.status == OrgStatus.ACTIVE and not SyncOperation.objects.exists()
