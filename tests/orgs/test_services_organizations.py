"""Organization lifecycle services: create, update, suspend, reactivate, delete."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.models import (
    ApplicationURL,
    AuditEvent,
    Connection,
    Invitation,
    MembershipModel,
    Organization,
    OrgStatus,
)
from orgs.models.applications import UrlKind
from orgs.services.applications import application_url_add
from orgs.services.connections import organization_connection_update
from orgs.services.organizations import (
    organization_create,
    organization_delete,
    organization_reactivate,
    organization_suspend,
    organization_update,
)
from tests.orgs.engine import sent_ops
from tests.orgs.services import (
    assert_in_sync,
    audited,
    demo_app,
    operations,
    refused,
    remote_connection,
    remote_org,
    role_id,
    settle,
    shared_connection,
    staff_user,
)

pytestmark = pytest.mark.django_db


def _acme() -> Organization:
    return Organization.objects.get(name="acme")


def test_it_creates_an_organization_on_the_shared_database(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        org = organization_create(
            actor=staff_user(),
            name=" Initech ",
            display_name="Initech Ltd",
            logo_url="https://cdn.initech.test/logo.png",
            primary_color="#112233",
            page_background_color="#fafafa",
            metadata={"plan": "gold"},
        )

    assert len(sent_ops(callbacks)) == 1  # only the create can start; the rest wait for it
    assert remote_org(imported_tenant.state(), "initech") is None  # nothing ran yet
    assert org.name == "initech" and org.status == OrgStatus.PENDING
    assert org.organization_connections.get().connection == shared_connection()
    assert operations() == [
        ("organization.create", None),
        ("organization_connection.sync", "organization.create"),
    ]
    assert audited() == ["organization_connection.enable", "organization.create"]
    event = AuditEvent.objects.get(action="organization.create")
    assert event.actor_label == "staff@portal.test" and event.organization == org

    state = settle(imported_tenant)

    remote = remote_org(state, "initech")
    assert remote is not None and remote["display_name"] == "Initech Ltd"
    assert remote["branding"] == {
        "logo_url": "https://cdn.initech.test/logo.png",
        "colors": {"primary": "#112233", "page_background": "#fafafa"},
    }
    assert remote["metadata"] == {"plan": "gold", "portal_id": str(org.portal_id)}
    assert list(remote["connections"]) == [shared_connection().auth0_id]
    org.refresh_from_db()
    assert org.status == OrgStatus.ACTIVE and org.auth0_id == remote["id"]
    assert_in_sync(org, org.organization_connections.get())


def test_it_invites_the_first_admin_once_the_organization_exists(imported_tenant: Any) -> None:
    org = organization_create(
        actor=None,
        name="initech",
        display_name="Initech",
        first_admin_email="Boss@Initech.test",
        application=demo_app(),
    )

    assert operations()[-1] == ("invitation.send", "organization_connection.sync")
    state = settle(imported_tenant)

    remote = remote_org(state, "initech")
    assert remote is not None
    [invitation] = remote["invitations"].values()
    assert invitation["invitee_email"] == "boss@initech.test"
    assert invitation["roles"] == [role_id("org-admin")]
    assert_in_sync(Invitation.objects.get(organization=org))


def test_an_enterprise_only_organization_gets_no_connection(imported_tenant: Any) -> None:
    org = organization_create(
        actor=None,
        name="initech",
        display_name="Initech",
        membership_model=MembershipModel.ENTERPRISE_ONLY,
    )

    assert operations() == [("organization.create", None)]
    state = settle(imported_tenant)
    remote = remote_org(state, "initech")
    assert remote is not None and remote["connections"] == {}
    assert_in_sync(org)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "ACME"}, "An organization named 'acme' already exists."),
        ({"name": "no spaces!"}, "Name: Use 1 to 50 lowercase letters"),
        (
            {"primary_color": "red", "page_background_color": "#ffffff"},
            "Primary color: Use a colour like #1a2b3c.",
        ),
        ({"primary_color": "#112233"}, "Give both brand colours, or neither."),
        (
            {"logo_url": "http://cdn.initech.test/logo.png"},
            "The logo URL must start with https://.",
        ),
        ({"metadata": {f"key{i}": "v" for i in range(25)}}, "At most 24 metadata keys."),
        ({"metadata": {"portal_id": "mine"}}, "The metadata key 'portal_id' is reserved."),
        ({"metadata": {"plan": "x" * 256}}, "Metadata 'plan': values are text of at most 255"),
        ({"first_admin_email": "not-an-email"}, "'not-an-email' is not a valid email address."),
    ],
)
def test_it_refuses_an_invalid_organization(
    demo: None, fields: dict[str, Any], message: str
) -> None:
    with refused(message):
        organization_create(actor=None, **{"name": "initech", "display_name": "I", **fields})


def test_it_refuses_without_the_shared_connection_imported(db: None) -> None:
    with refused("Run the tenant import first."):
        organization_create(actor=None, name="initech", display_name="Initech")


def test_it_updates_display_name_branding_and_metadata_in_auth0(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        organization_update(
            actor=staff_user(),
            organization=_acme(),
            display_name="ACME Inc",
            primary_color="#000000",
            page_background_color="#ffffff",
            metadata={"plan": "gold", "region": "eu"},
        )

    assert len(sent_ops(callbacks)) == 1
    assert operations() == [("organization.update", None)]
    assert audited() == ["organization.update"]
    state = settle(imported_tenant)
    remote = remote_org(state, "acme")
    assert remote is not None and remote["display_name"] == "ACME Inc"
    assert remote["branding"] == {"colors": {"primary": "#000000", "page_background": "#ffffff"}}
    assert remote["metadata"] == {
        "plan": "gold",
        "region": "eu",
        "portal_id": str(_acme().portal_id),
    }
    assert_in_sync(_acme())


def test_it_removes_metadata_keys_and_branding_in_auth0(imported_tenant: Any) -> None:
    organization_update(
        actor=None,
        organization=_acme(),
        primary_color="#000000",
        page_background_color="#ffffff",
        metadata={"plan": "gold", "region": "eu"},
    )
    settle(imported_tenant)

    organization_update(
        actor=None,
        organization=_acme(),
        primary_color="",
        page_background_color="",
        metadata={"plan": "gold"},
    )

    remote = remote_org(settle(imported_tenant), "acme")
    assert remote is not None and remote["metadata"] == {
        "plan": "gold",
        "portal_id": str(_acme().portal_id),
    }
    assert not remote["branding"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "acme2"}, "These fields cannot be changed: name."),
        ({"primary_color": "#12345"}, "Primary color: Use a colour like #1a2b3c."),
        ({"logo_url": "http://acme.test/logo.png"}, "The logo URL must start with https://."),
        ({"metadata": {"portal_id": "x"}}, "The metadata key 'portal_id' is reserved."),
    ],
)
def test_it_refuses_an_invalid_update(demo: None, changes: dict[str, Any], message: str) -> None:
    with refused(message):
        organization_update(actor=None, organization=_acme(), **changes)


def test_suspend_disables_connections_and_reactivate_restores_their_flags(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    acme = _acme()
    link = acme.organization_connections.get()
    organization_connection_update(
        actor=None, link=link, assign_membership_on_login=True, is_signup_enabled=True
    )
    settle(imported_tenant)
    remote_members = remote_org(imported_tenant.state(), "acme")["members"]  # type: ignore[index]

    already = len(operations())

    with django_capture_on_commit_callbacks() as callbacks:
        organization_suspend(actor=staff_user(), organization=acme)

    assert _acme().status == OrgStatus.SUSPENDED and len(sent_ops(callbacks)) == 1
    assert operations()[already:] == [("organization_connection.sync", None)]
    assert audited()[-1] == "organization.suspend"
    remote = remote_org(settle(imported_tenant), "acme")
    assert remote is not None and remote["connections"] == {}
    assert remote["members"] == remote_members  # members and roles stay

    organization_reactivate(actor=staff_user(), organization=acme)

    remote = remote_org(settle(imported_tenant), "acme")
    assert remote is not None
    [flags] = remote["connections"].values()
    assert flags["connection_id"] == shared_connection().auth0_id
    assert flags["assign_membership_on_login"] is True and flags["is_signup_enabled"] is True
    assert _acme().status == OrgStatus.ACTIVE and audited()[-1] == "organization.reactivate"
    assert_in_sync(link)


def test_it_refuses_to_suspend_twice_or_reactivate_an_active_org(demo: None) -> None:
    with refused("Only suspended organizations can be reactivated."):
        organization_reactivate(actor=None, organization=_acme())
    organization_suspend(actor=None, organization=_acme())
    with refused("Only active organizations can be suspended; this one is suspended."):
        organization_suspend(actor=None, organization=_acme())


def test_delete_removes_the_org_its_connection_and_urls_no_one_else_uses(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    app = demo_app()
    org = organization_create(
        actor=None,
        name="initech",
        display_name="Initech",
        membership_model=MembershipModel.OWN_DATABASE,
    )
    globex = Organization.objects.get(name="globex")
    for owner, url in [
        (org, "https://initech.test/cb"),
        (org, "https://shared.test/cb"),
        (globex, "https://shared.test/cb"),
    ]:
        application_url_add(
            actor=None, organization=owner, application=app, kind=UrlKind.CALLBACK, url=url
        )
    settle(imported_tenant)
    already = len(operations())

    with django_capture_on_commit_callbacks() as callbacks:
        organization_delete(actor=staff_user(), organization=org, confirm_name="initech")

    org.refresh_from_db()
    assert org.status == OrgStatus.DELETING and len(sent_ops(callbacks)) == 1
    assert operations()[already:] == [("organization.delete", None)]
    assert audited()[-1] == "organization.delete"
    state = settle(imported_tenant)
    assert remote_org(state, "initech") is None
    assert remote_connection(state, "initech-users") is None
    callbacks_left = state["clients"]["sandbox-demo-app"]["callbacks"]
    assert "https://initech.test/cb" not in callbacks_left
    assert "https://shared.test/cb" in callbacks_left
    org.refresh_from_db()
    assert org.status == OrgStatus.DELETED
    assert Connection.objects.get(name="initech-users").deleted_at is not None
    assert not ApplicationURL.objects.filter(organization=org).exists()
    assert ApplicationURL.objects.filter(organization=globex).count() == 1

    again = organization_create(
        actor=None,
        name="initech",
        display_name="Initech again",
        membership_model=MembershipModel.ENTERPRISE_ONLY,
    )
    assert again.pk != org.pk  # the name is free once the organization is deleted


def test_it_refuses_a_delete_without_the_exact_name(demo: None) -> None:
    with refused("Type the organization's name exactly to confirm."):
        organization_delete(actor=None, organization=_acme(), confirm_name="Acme")


def test_it_refuses_to_delete_the_staff_organization(demo: None) -> None:
    staff_org = Organization.objects.get(name="staff")
    with refused("The staff organization cannot be deleted from the portal."):
        organization_delete(actor=None, organization=staff_org, confirm_name="staff")


def test_it_refuses_to_change_an_organization_being_deleted(demo: None) -> None:
    organization_delete(actor=None, organization=_acme(), confirm_name="acme")
    with refused("is being deleted; it can no longer be changed."):
        organization_update(actor=None, organization=_acme(), display_name="Zombie")
    with refused("is being deleted"):
        organization_delete(actor=None, organization=_acme(), confirm_name="acme")


def test_deleting_an_organization_whose_create_failed_cleans_up_instead_of_waiting(
    imported_tenant: Any,
) -> None:
    from orgs.models import OpState, SyncOperation
    from tests.orgs.engine import drain

    imported_tenant.add_fault(
        action="status", status=400, method="POST", path=r"^/api/v2/organizations$", times=1
    )
    org = organization_create(
        actor=None,
        name="initech",
        display_name="Initech",
        first_admin_email="boss@initech.test",
        application=demo_app(),
    )
    callback = "https://initech.example.com/callback"
    application_url_add(
        actor=None, organization=org, application=demo_app(), kind=UrlKind.CALLBACK, url=callback
    )
    drain()
    org.refresh_from_db()
    assert org.sync_state == "failed" and org.auth0_id is None
    assert callback in imported_tenant.state()["clients"]["sandbox-demo-app"]["callbacks"]

    organization_delete(actor=None, organization=org, confirm_name="initech")
    drain()

    state = imported_tenant.state()
    org.refresh_from_db()
    assert org.status == OrgStatus.DELETED
    assert callback not in state["clients"]["sandbox-demo-app"]["callbacks"]
    assert remote_org(state, "initech") is None
    waiting = SyncOperation.objects.filter(kind="invitation.send").get()
    assert waiting.state == OpState.CANCELLED
