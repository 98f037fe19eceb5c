"""Version history and back-out in live mode: a version per audited configuration change
(none for a save that changes nothing), two versions compared in words, and restore,
which records the way back through the services, audited and itself reversible."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orgs.history.diff import describe_changes
from orgs.history.restore import plan_restore, restore_version
from orgs.history.snapshot import empty_snapshot, organization_snapshot
from orgs.models import (
    AuditEvent,
    Connection,
    Organization,
    OrganizationConnection,
    OrganizationVersion,
    SyncOperation,
)
from orgs.models.applications import UrlKind
from orgs.services import ServiceError
from orgs.services.applications import application_url_add, application_url_remove
from orgs.services.connections import (
    organization_connection_disable,
    organization_connection_enable,
    organization_connection_update,
)
from orgs.services.organizations import (
    organization_create,
    organization_delete,
    organization_update,
)
from tests.conftest import People, log_in
from tests.factories import ConnectionFactory
from tests.orgs.services import demo_app, remote_org, settle, shared_connection, staff_user

pytestmark = pytest.mark.django_db

CALLBACK = "https://acme.example.com/callback"
UPA = "Username-Password-Authentication"


def _acme() -> Organization:
    return Organization.objects.get(name="acme")


def _link(org: Organization, name: str = UPA) -> OrganizationConnection:
    return org.organization_connections.select_related("connection", "organization").get(
        connection__name=name
    )


def _versions(org: Organization) -> list[tuple[int, str]]:
    """(number, the action that produced it), oldest first."""
    versions = org.versions.select_related("event").order_by("number")
    return [(v.number, v.event.action if v.event else "") for v in versions]


def _latest(org: Organization) -> OrganizationVersion:
    version = org.versions.order_by("-number").first()
    assert version is not None
    return version


def _change_everything(org: Organization) -> None:
    """Settings, a connection's flags, a URL, then the connection disabled: four versions."""
    staff = staff_user()
    organization_update(
        actor=staff, organization=org, display_name="Acme Inc", metadata={"tier": "gold"}
    )
    organization_connection_update(
        actor=staff, link=_link(org), assign_membership_on_login=True, is_signup_enabled=True
    )
    application_url_add(
        actor=staff, organization=org, application=demo_app(), kind=UrlKind.CALLBACK, url=CALLBACK
    )
    organization_connection_disable(actor=staff, link=_link(org))


# --- recording ---------------------------------------------------------------------------


def test_the_import_records_what_auth0_holds_as_a_version(imported_tenant: Any) -> None:
    acme = _acme()
    assert _versions(acme) == [(1, "tenant.import")]
    snapshot = _latest(acme).snapshot
    assert snapshot["display_name"] == "Acme Corp"
    assert list(snapshot["connections"]) == [UPA]
    assert snapshot["application_urls"] == {}


def test_a_second_import_that_finds_nothing_new_records_no_version(imported_tenant: Any) -> None:
    from orgs.tenant_import import import_tenant

    import_tenant()

    assert _versions(_acme()) == [(1, "tenant.import")]


def test_creating_an_organization_records_version_one_with_its_connection(
    imported_tenant: Any,
) -> None:
    org = organization_create(actor=staff_user(), name="initech", display_name="Initech")

    assert _versions(org) == [(1, "organization.create")]
    version = _latest(org)
    assert version.actor_label == "staff@portal.test"
    assert version.snapshot == organization_snapshot(org)
    assert list(version.snapshot["connections"]) == [UPA]


def test_every_kind_of_change_records_a_version(imported_tenant: Any) -> None:
    acme = _acme()
    _change_everything(acme)
    organization_connection_enable(actor=None, organization=acme, connection=shared_connection())
    application_url_remove(actor=None, row=acme.application_urls.get())

    assert _versions(acme) == [
        (1, "tenant.import"),
        (2, "organization.update"),
        (3, "organization_connection.update"),
        (4, "application_url.add"),
        (5, "organization_connection.disable"),
        (6, "organization_connection.enable"),
        (7, "application_url.remove"),
    ]
    assert _latest(acme).snapshot == organization_snapshot(acme)


def test_a_save_that_changes_nothing_records_no_version(imported_tenant: Any) -> None:
    acme = _acme()
    organization_update(actor=None, organization=acme, display_name="Acme Corp")
    link = _link(acme)
    organization_connection_update(
        actor=None, link=link, assign_membership_on_login=link.assign_membership_on_login
    )

    assert _versions(acme) == [(1, "tenant.import")]
    assert AuditEvent.objects.filter(action="organization.update").exists()  # still audited


def test_a_version_holds_the_settings_connections_and_urls(imported_tenant: Any) -> None:
    acme = _acme()
    organization_update(
        actor=None,
        organization=acme,
        logo_url="https://acme.example.com/logo.png",
        primary_color="#112233",
        page_background_color="#ffffff",
    )
    application_url_add(
        actor=None, organization=acme, application=demo_app(), kind=UrlKind.LOGOUT, url=CALLBACK
    )

    assert _latest(acme).snapshot == {
        "schema": 1,
        "name": "acme",
        "display_name": "Acme Corp",
        "branding": {
            "logo_url": "https://acme.example.com/logo.png",
            "primary_color": "#112233",
            "page_background_color": "#ffffff",
        },
        "metadata": {},
        "connections": {
            UPA: {
                "assign_membership_on_login": False,
                "show_as_button": True,
                "is_signup_enabled": False,
            }
        },
        "application_urls": {
            "sandbox-demo-app": {"name": "Demo SaaS App", "allowed_logout_urls": [CALLBACK]}
        },
    }


# --- diff ----------------------------------------------------------------------------------


def test_a_diff_reads_field_by_field_in_plain_words() -> None:
    old = empty_snapshot("acme") | {"display_name": "Acme", "metadata": {"tier": "gold", "x": "1"}}
    old["connections"] = {UPA: {"assign_membership_on_login": False, "show_as_button": True}}
    new = empty_snapshot("acme") | {"display_name": "Acme Inc", "metadata": {"tier": "silver"}}
    new["branding"] = {"logo_url": "https://acme.example.com/l.png"}
    new["connections"] = {
        UPA: {"assign_membership_on_login": True, "show_as_button": True},
        "partner-saml": {"show_as_button": True},
    }
    new["application_urls"] = {"app1": {"name": "Demo SaaS App", "callbacks": [CALLBACK]}}

    assert describe_changes(old, new) == [
        "Display name: 'Acme' → 'Acme Inc'",
        "Logo URL: (empty) → 'https://acme.example.com/l.png'",
        "Metadata tier: 'gold' → 'silver'",
        "Metadata x removed (was '1')",
        "Connection Username-Password-Authentication: add members automatically no → yes",
        "Connection partner-saml enabled (show on the login page)",
        f"Callback URL {CALLBACK} added on Demo SaaS App",
    ]
    assert describe_changes(new, old)[-3:] == [
        "Connection Username-Password-Authentication: add members automatically yes → no",
        "Connection partner-saml disabled",
        f"Callback URL {CALLBACK} removed from Demo SaaS App",
    ]
    assert describe_changes(old, old) == []


# --- restore -------------------------------------------------------------------------------


def test_restore_brings_auth0_back_to_the_old_version(imported_tenant: Any) -> None:
    acme = _acme()
    first = _latest(acme)
    _change_everything(acme)
    settle(imported_tenant)
    SyncOperation.objects.all().delete()

    restore_version(actor=staff_user(), organization=acme, version=first)

    recorded = sorted(SyncOperation.objects.values_list("kind", flat=True))
    assert recorded == [
        "application_urls.sync",
        "organization.update",
        "organization_connection.sync",
    ]
    state = settle(imported_tenant)
    remote = remote_org(state, "acme")
    assert remote is not None and remote["display_name"] == "Acme Corp"
    assert remote["metadata"] == {"portal_id": str(acme.portal_id)}
    flags = remote["connections"][shared_connection().auth0_id]
    assert flags["assign_membership_on_login"] is False
    assert flags.get("is_signup_enabled") is False
    assert CALLBACK not in state["clients"]["sandbox-demo-app"]["callbacks"]
    assert organization_snapshot(acme) == first.snapshot


def test_restore_is_audited_and_makes_a_new_version(imported_tenant: Any) -> None:
    acme = _acme()
    first = _latest(acme)
    _change_everything(acme)

    restored = restore_version(actor=staff_user(), organization=acme, version=first)

    assert (restored.number, restored.event.action) == (6, "organization.restore")  # type: ignore[union-attr]
    assert restored.snapshot == first.snapshot
    event = AuditEvent.objects.get(action="organization.restore")
    assert event.actor_label == "staff@portal.test" and event.details["restored_version"] == 1
    assert "Display name: 'Acme Inc' → 'Acme Corp'" in event.details["changes"]
    # Each change went through its service and is audited on its own, too.
    actions = AuditEvent.objects.filter(pk__lt=event.pk).order_by("-pk")
    assert list(actions.values_list("action", flat=True)[:3]) == [
        "application_url.remove",
        "organization_connection.enable",
        "organization.update",
    ]


def test_restoring_the_version_before_undoes_a_restore(imported_tenant: Any) -> None:
    acme = _acme()
    first = _latest(acme)
    _change_everything(acme)
    before_restore = _latest(acme)
    restore_version(actor=None, organization=acme, version=first)

    undone = restore_version(actor=None, organization=acme, version=before_restore)

    assert undone.number == 7 and undone.snapshot == before_restore.snapshot
    state = settle(imported_tenant)
    remote = remote_org(state, "acme")
    assert remote is not None and remote["display_name"] == "Acme Inc"
    assert remote["connections"] == {}
    assert CALLBACK in state["clients"]["sandbox-demo-app"]["callbacks"]


def test_restore_refuses_when_nothing_would_change(imported_tenant: Any) -> None:
    acme = _acme()
    with pytest.raises(ServiceError, match="already matches version 1"):
        restore_version(actor=None, organization=acme, version=_latest(acme))


def test_restore_refuses_a_connection_that_no_longer_exists(imported_tenant: Any) -> None:
    acme = _acme()
    partner = ConnectionFactory(name="partner-saml", strategy="samlp")
    organization_connection_enable(actor=None, organization=acme, connection=partner)
    with_partner = _latest(acme)
    organization_connection_disable(actor=None, link=_link(acme, "partner-saml"))
    Connection.objects.filter(pk=partner.pk).update(deleted_at=timezone.now())
    events = AuditEvent.objects.count()

    with pytest.raises(ServiceError, match="the connection partner-saml no longer exists"):
        restore_version(actor=None, organization=acme, version=with_partner)

    assert AuditEvent.objects.count() == events
    assert not _link_exists(acme, "partner-saml")


def _link_exists(org: Organization, name: str) -> bool:
    return org.organization_connections.filter(connection__name=name).exists()


def test_restore_refuses_a_deleted_organization(imported_tenant: Any) -> None:
    acme = _acme()
    first = _latest(acme)
    organization_update(actor=None, organization=acme, display_name="Acme Inc")
    organization_delete(actor=None, organization=acme, confirm_name="acme")

    with pytest.raises(ServiceError, match="has been deleted"):
        plan_restore(_acme(), first)


# --- pages ---------------------------------------------------------------------------------


def _history(people: People, suffix: str = "") -> str:
    return f"/orgs/{people.organization.pk}/history/{suffix}"


def _rename(org: Organization, *names: str) -> None:
    for name in names:
        organization_update(actor=None, organization=org, display_name=name)


def test_staff_see_every_version_with_who_and_what_changed(client: Client, people: People) -> None:
    _rename(people.organization, "Acme Inc", "Acme Ltd")
    log_in(client, people.staff)

    content = client.get(_history(people)).content.decode()

    assert 'id="version-2"' in content and 'id="version-1"' in content
    assert content.index('id="version-2"') < content.index('id="version-1"')
    assert "Display name: &#x27;Acme Inc&#x27; → &#x27;Acme Ltd&#x27;" in content
    assert "Changed the organization" in content and "system" in content
    assert 'class="table-stack"' in content and 'data-label="What changed"' in content


def test_two_versions_compare_in_words(client: Client, people: People) -> None:
    _rename(people.organization, "Acme Inc", "Acme Ltd")
    log_in(client, people.org_admin, people.organization)

    response = client.get(_history(people, "compare/?older=2&newer=1"))

    content = response.content.decode()
    assert "Version 1 → version 2" in content
    assert "Display name: &#x27;Acme Inc&#x27; → &#x27;Acme Ltd&#x27;" in content


def test_comparing_a_version_with_itself_says_what_is_wrong(client: Client, people: People) -> None:
    _rename(people.organization, "Acme Inc", "Acme Ltd")
    log_in(client, people.staff)

    content = client.get(_history(people, "compare/?older=1&newer=1")).content.decode()

    assert "There is a problem" in content and "Choose two different versions." in content


def test_a_customer_admin_sees_their_history_but_cannot_restore(
    client: Client, people: People
) -> None:
    _rename(people.organization, "Acme Inc", "Acme Ltd")
    log_in(client, people.org_admin, people.organization)

    assert client.get(_history(people)).status_code == 200
    page = client.get(_history(people, "1/")).content.decode()
    assert "Restore this version" not in page
    assert client.get(_history(people, "1/restore/")).status_code == 404
    assert client.post(_history(people, "1/restore/")).status_code == 404
    assert people.organization.versions.count() == 2


def test_a_customer_admin_cannot_see_another_organizations_history(
    client: Client, people: People
) -> None:
    _rename(people.other_organization, "Globex Ltd")
    log_in(client, people.org_admin, people.organization)
    other = people.other_organization.pk

    assert client.get(f"/orgs/{other}/history/").status_code == 404
    assert client.get(f"/orgs/{other}/history/1/").status_code == 404
    assert client.get(f"/orgs/{other}/history/compare/?older=1&newer=1").status_code == 404


def test_staff_restore_after_a_confirmation_listing_the_changes(
    client: Client, people: People
) -> None:
    _rename(people.organization, "Acme Inc", "Acme Ltd")
    log_in(client, people.staff)
    version_page = client.get(_history(people, "1/")).content.decode()
    assert "Restore this version" in version_page and "records 1 change" in version_page

    confirmation = client.get(_history(people, "1/restore/")).content.decode()
    assert "Restore version 1 of Acme Ltd?" in confirmation
    assert "Display name: &#x27;Acme Ltd&#x27; → &#x27;Acme Inc&#x27;" in confirmation

    response = client.post(_history(people, "1/restore/"), follow=True)

    assert "Restoring version 1" in response.content.decode()
    people.organization.refresh_from_db()
    assert people.organization.display_name == "Acme Inc"
    assert _versions(people.organization)[-1] == (3, "organization.restore")


def test_the_history_page_makes_the_same_queries_for_any_number_of_versions(
    client: Client, people: People
) -> None:
    org = people.organization
    _rename(org, "Acme 1", "Acme 2")
    log_in(client, people.staff)
    client.get(_history(people))  # warm the session and the access cache

    with CaptureQueriesContext(connection) as few:
        assert client.get(_history(people)).status_code == 200
    _rename(org, *(f"Acme {n}" for n in range(3, 40)))
    with CaptureQueriesContext(connection) as many:
        assert client.get(_history(people)).status_code == 200
    with CaptureQueriesContext(connection) as second_page:
        assert client.get(_history(people, "?page=2")).status_code == 200

    assert len(few) == len(many) == len(second_page)
