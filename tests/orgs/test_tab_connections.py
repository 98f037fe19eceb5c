"""The organization page's Connections tab: enabled connections with their flags, enable,
change, disable (after a confirmation), and the applications an organization's own
connection serves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from orgs.models import (
    AuditEvent,
    Connection,
    ConnectionApplication,
    OrganizationConnection,
    Origin,
    SyncOperation,
    SyncState,
)
from orgs.services.connections import MAX_ENABLED_CONNECTIONS
from tests.conftest import People, log_in
from tests.factories import ApplicationFactory, ConnectionFactory
from tests.orgs.engine import sent_ops
from tests.orgs.services import rows

pytestmark = pytest.mark.django_db


@dataclass
class Setup:
    people: People
    shared: Connection  # a database connection every organization may use, enabled on acme
    enterprise: Connection  # a shared SAML connection, not enabled yet
    own: Connection  # acme's own database connection, enabled on acme
    foreign: Connection  # globex's own connection
    link: OrganizationConnection
    own_link: OrganizationConnection
    app: Any
    other_app: Any

    @property
    def org(self) -> Any:
        return self.people.organization

    def url(self, suffix: str = "") -> str:
        return f"/orgs/{self.org.pk}/connections/{suffix}"


@pytest.fixture
def setup(people: People) -> Setup:
    acme, globex = people.organization, people.other_organization
    shared = ConnectionFactory(name="Username-Password-Authentication")
    enterprise = ConnectionFactory(name="partner-saml", strategy="samlp", display_name="Partner")
    own = ConnectionFactory(name="acme-users", organization=acme, display_name="Acme users")
    foreign = ConnectionFactory(name="globex-users", organization=globex)
    app, other_app = ApplicationFactory(name="Demo SaaS App"), ApplicationFactory(name="Reports")
    ConnectionApplication.objects.create(
        connection=own, application=app, sync_state=SyncState.IN_SYNC
    )
    ConnectionApplication.objects.create(
        connection=shared, application=app, sync_state=SyncState.IN_SYNC
    )
    link = OrganizationConnection.objects.create(
        organization=acme, connection=shared, sync_state=SyncState.IN_SYNC
    )
    own_link = OrganizationConnection.objects.create(
        organization=acme, connection=own, sync_state=SyncState.FAILED, sync_error="Auth0 400: x"
    )
    return Setup(people, shared, enterprise, own, foreign, link, own_link, app, other_app)


def _ops(kind: str) -> list[SyncOperation]:
    return list(SyncOperation.objects.filter(kind=kind).order_by("pk"))


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


# --- who may see it -----------------------------------------------------------------------


def test_staff_see_each_enabled_connection_with_its_flags_and_sync_state(
    client: Client, setup: Setup
) -> None:
    log_in(client, setup.people.staff)
    content = client.get(setup.url()).content.decode()
    assert "Username-Password-Authentication" in content and "Acme users" in content
    assert "Add people who sign in with this connection to the organization automatically" in (
        content
    )
    assert "Let people sign up with it" in content
    assert "In sync" in content and "Failed" in content and "See why in Activity" in content
    assert "Auth0 400" not in content  # the raw error stays in the journal


def test_the_enable_form_offers_shared_and_own_connections_not_yet_enabled(
    client: Client, setup: Setup
) -> None:
    log_in(client, setup.people.staff)
    content = client.get(setup.url()).content.decode()
    select = content.split('name="enable-connection"')[1].split("</select>")[0]
    assert "Partner (SAML, shared)" in select
    assert "globex-users" not in select and "acme-users" not in select  # foreign, enabled
    assert "Username-Password-Authentication" not in select


def test_the_organizations_own_admin_sees_the_tab(client: Client, setup: Setup) -> None:
    log_in(client, setup.people.org_admin, setup.org)
    response = client.get(setup.url())
    assert response.status_code == 200 and b"Enable a connection" in response.content


@pytest.mark.parametrize("suffix", ["", "{shared}/disable/", "{own}/applications/{app}/remove/"])
def test_pages_are_hidden_from_other_organizations_and_members(
    client: Client, setup: Setup, suffix: str
) -> None:
    url = setup.url(suffix.format(shared=setup.shared.pk, own=setup.own.pk, app=setup.app.pk))
    log_in(client, setup.people.outsider, setup.people.other_organization)
    assert client.get(url).status_code == 404
    client.logout()
    log_in(client, setup.people.org_member)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "suffix",
    ["", "enable/", "{shared}/settings/", "{shared}/disable/", "{own}/applications/add/"],
)
def test_anonymous_visitors_are_sent_to_login(client: Client, setup: Setup, suffix: str) -> None:
    before = rows()
    response = client.post(setup.url(suffix.format(shared=setup.shared.pk, own=setup.own.pk)))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert rows() == before


def test_an_outsider_cannot_change_another_organizations_connections(
    client: Client, setup: Setup
) -> None:
    before = rows()
    log_in(client, setup.people.outsider, setup.people.other_organization)
    assert client.post(setup.url(f"{setup.shared.pk}/disable/")).status_code == 404
    assert (
        client.post(setup.url("enable/"), {"enable-connection": setup.enterprise.pk}).status_code
        == 404
    )
    assert rows() == before


# --- enable ---------------------------------------------------------------------------------


def test_enabling_a_connection_records_its_operation_and_audit(
    client: Client, setup: Setup, django_capture_on_commit_callbacks: Any
) -> None:
    log_in(client, setup.people.staff)
    data = {"enable-connection": setup.enterprise.pk, "enable-assign_membership_on_login": "on"}
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(setup.url("enable/"), data, follow=True)
    assert "Enabling Partner. It shows as In sync once Auth0 has it." in response.content.decode()
    link = OrganizationConnection.objects.get(organization=setup.org, connection=setup.enterprise)
    assert link.assign_membership_on_login and not link.show_as_button
    [op] = _ops("organization_connection.sync")
    assert op.payload == {
        "organization_id": setup.org.pk,
        "connection_id": setup.enterprise.pk,
        "intent": "enable",
    }
    assert op.origin == Origin.STAFF and sent_ops(callbacks) == [op.pk]
    [event] = _events("organization_connection.enable")
    assert event.target == "partner-saml" and event.actor == setup.people.staff


def test_a_customer_admin_enables_a_connection_as_a_customer(client: Client, setup: Setup) -> None:
    log_in(client, setup.people.org_admin, setup.org)
    response = client.post(setup.url("enable/"), {"enable-connection": setup.enterprise.pk})
    assert response.status_code == 302
    [op] = _ops("organization_connection.sync")
    assert op.origin == Origin.CUSTOMER


def test_another_organizations_connection_cannot_be_enabled(client: Client, setup: Setup) -> None:
    before = rows()
    log_in(client, setup.people.staff)
    response = client.post(setup.url("enable/"), {"enable-connection": setup.foreign.pk})
    content = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in content
    assert "belongs to another organization: choose another." in content
    assert rows() == before


def test_choosing_no_connection_says_so(client: Client, setup: Setup) -> None:
    log_in(client, setup.people.staff)
    content = client.post(setup.url("enable/"), {}).content.decode()
    assert 'href="#id_enable-connection">Choose the connection to enable.' in content


def test_the_services_refusal_is_shown_and_nothing_changes(client: Client, setup: Setup) -> None:
    for index in range(MAX_ENABLED_CONNECTIONS - 2):
        connection = ConnectionFactory(name=f"extra-{index}", strategy="oidc")
        OrganizationConnection.objects.create(organization=setup.org, connection=connection)
    before = rows()
    log_in(client, setup.people.staff)
    response = client.post(setup.url("enable/"), {"enable-connection": setup.enterprise.pk})
    content = response.content.decode()
    assert f"An organization can have at most {MAX_ENABLED_CONNECTIONS} enabled" in content
    assert "There is a problem" in content and rows() == before


# --- change the flags -------------------------------------------------------------------------


def test_a_database_connection_shows_only_the_flags_auth0_uses_for_it(
    client: Client, setup: Setup
) -> None:
    log_in(client, setup.people.staff)
    content = client.get(setup.url()).content.decode()
    prefix = f"settings-{setup.shared.pk}"
    assert f'name="{prefix}-is_signup_enabled"' in content
    assert f'name="{prefix}-show_as_button"' not in content


def test_saving_the_settings_records_an_update(client: Client, setup: Setup) -> None:
    log_in(client, setup.people.staff)
    prefix = f"settings-{setup.shared.pk}"
    data = {f"{prefix}-assign_membership_on_login": "on", f"{prefix}-is_signup_enabled": "on"}
    response = client.post(setup.url(f"{setup.shared.pk}/settings/"), data, follow=True)
    assert "Saving the settings of Username-Password-Authentication." in response.content.decode()
    setup.link.refresh_from_db()
    assert setup.link.assign_membership_on_login and setup.link.is_signup_enabled
    assert setup.link.sync_state == SyncState.PENDING
    [op] = _ops("organization_connection.sync")
    assert op.payload["intent"] == "update"
    [event] = _events("organization_connection.update")
    assert event.details["flags"] == {"assign_membership_on_login": True, "is_signup_enabled": True}


def test_settings_of_a_connection_not_enabled_here_are_not_found(
    client: Client, setup: Setup
) -> None:
    log_in(client, setup.people.staff)
    assert client.post(setup.url(f"{setup.enterprise.pk}/settings/")).status_code == 404


# --- disable ---------------------------------------------------------------------------------


def test_disabling_asks_first_and_changes_nothing_until_confirmed(
    client: Client, setup: Setup
) -> None:
    before = rows()
    log_in(client, setup.people.staff)
    content = client.get(setup.url()).content.decode()
    disable_url = setup.url(f"{setup.shared.pk}/disable/")
    assert f'href="{disable_url}"' in content
    page = client.get(disable_url).content.decode()
    assert "Disable Username-Password-Authentication for Acme?" in page
    assert (
        "People of this organization can no longer sign in with Username-Password-Authentication."
    ) in page
    assert "Disable connection" in page and f'action="{disable_url}"' in page
    assert rows() == before


def test_disabling_removes_the_link_and_records_its_operation(client: Client, setup: Setup) -> None:
    log_in(client, setup.people.staff)
    response = client.post(setup.url(f"{setup.shared.pk}/disable/"), follow=True)
    assert "Disabling Username-Password-Authentication." in response.content.decode()
    assert not OrganizationConnection.objects.filter(pk=setup.link.pk).exists()
    [op] = _ops("organization_connection.sync")
    assert op.payload["intent"] == "disable" and op.payload["connection_id"] == setup.shared.pk
    assert _events("organization_connection.disable")


# --- the applications an organization's own connection serves ---------------------------------


def test_a_shared_connection_lists_its_applications_read_only(client: Client, setup: Setup) -> None:
    log_in(client, setup.people.staff)
    content = client.get(setup.url()).content.decode()
    shared = content.split(f'id="connection-{setup.shared.pk}"')[1].split("</article>")[0]
    assert "Demo SaaS App" in shared and "not changed here" in shared
    assert "Add application" not in shared and "Remove" not in shared
    own = content.split(f'id="connection-{setup.own.pk}"')[1].split("</article>")[0]
    assert "Add application" in own and "Remove<span" in own


def test_a_shared_connections_applications_cannot_be_changed(client: Client, setup: Setup) -> None:
    before = rows()
    log_in(client, setup.people.staff)
    data = {f"applications-{setup.shared.pk}-application": setup.other_app.pk}
    assert client.post(setup.url(f"{setup.shared.pk}/applications/add/"), data).status_code == 404
    remove = setup.url(f"{setup.shared.pk}/applications/{setup.app.pk}/remove/")
    assert client.post(remove).status_code == 404
    assert rows() == before


def test_an_application_is_added_to_the_organizations_own_connection(
    client: Client, setup: Setup
) -> None:
    log_in(client, setup.people.org_admin, setup.org)
    data = {f"applications-{setup.own.pk}-application": setup.other_app.pk}
    response = client.post(setup.url(f"{setup.own.pk}/applications/add/"), data, follow=True)
    assert "Letting Reports sign people in with Acme users." in response.content.decode()
    assert ConnectionApplication.objects.filter(
        connection=setup.own, application=setup.other_app
    ).exists()
    [op] = _ops("connection_application.sync")
    assert op.payload == {
        "connection_id": setup.own.pk,
        "application_id": setup.other_app.pk,
        "intent": "enable",
    }
    assert op.origin == Origin.CUSTOMER
    assert _events("connection.enable_application")


def test_an_application_already_served_cannot_be_added_twice(client: Client, setup: Setup) -> None:
    before = rows()
    log_in(client, setup.people.staff)
    data = {f"applications-{setup.own.pk}-application": setup.app.pk}
    content = client.post(setup.url(f"{setup.own.pk}/applications/add/"), data).content.decode()
    assert "That application uses this connection already: choose another." in content
    assert rows() == before


def test_removing_an_application_asks_first_then_records_its_operation(
    client: Client, setup: Setup
) -> None:
    log_in(client, setup.people.staff)
    url = setup.url(f"{setup.own.pk}/applications/{setup.app.pk}/remove/")
    before = rows()
    page = client.get(url).content.decode()
    assert "Stop Demo SaaS App using Acme users?" in page and "Stop using it" in page
    assert rows() == before
    response = client.post(url, follow=True)
    assert "Stopping Demo SaaS App using Acme users." in response.content.decode()
    assert not ConnectionApplication.objects.filter(
        connection=setup.own, application=setup.app
    ).exists()
    [op] = _ops("connection_application.sync")
    assert op.payload["intent"] == "disable"
    assert _events("connection.disable_application")


def test_removing_an_application_not_served_says_so(client: Client, setup: Setup) -> None:
    log_in(client, setup.people.staff)
    url = setup.url(f"{setup.own.pk}/applications/{setup.other_app.pk}/remove/")
    response = client.post(url, follow=True)
    assert "acme-users is not enabled for Reports." in response.content.decode()
    assert not _ops("connection_application.sync")
