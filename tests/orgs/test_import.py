"""Importing the tenant: applications, roles, connections and organizations, adopting what
the portal already knows, so running it again changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.models import (
    Application,
    AuditEvent,
    Connection,
    ConnectionApplication,
    Member,
    MembershipModel,
    Organization,
    OrganizationConnection,
    OrgStatus,
    Role,
    SyncOperation,
    SyncState,
)
from orgs.services.connections import (
    organization_connection_disable,
    organization_connection_update,
)
from orgs.services.members import member_remove, member_role_assign
from orgs.services.organizations import (
    organization_create,
    organization_delete,
    organization_reactivate,
    organization_suspend,
    organization_update,
)
from orgs.tenant_import import import_tenant
from tests.factories import OrganizationFactory
from tests.orgs.services import remote_org, role_id, rows, settle, shared_connection

pytestmark = pytest.mark.django_db
CLOCKS = {"synced_at", "updated_at", "imported_at", "created_at"}


def _rows_without_clocks() -> dict[str, list[dict[str, Any]]]:
    return {
        label: [{k: v for k, v in row.items() if k not in CLOCKS} for row in table]
        for label, table in rows().items()
        if label != "orgs.AuditEvent"
    }


def test_it_adopts_the_demo_tenant(tenant: Any) -> None:
    state = tenant.state()

    report = import_tenant()

    assert report.counts == {
        "applications": 2,
        "roles": 2,
        "connections": 1,
        "organizations": 3,
        "members": 5,
    }
    assert sorted(Application.objects.values_list("client_id", flat=True)) == [
        "sandbox-demo-app",
        "sandbox-portal-login",
    ]  # the machine-to-machine client is left out
    assert Application.objects.get(client_id="sandbox-portal-login").is_portal_login
    assert sorted(Role.objects.values_list("name", flat=True)) == ["org-admin", "org-member"]
    shared = Connection.objects.get()
    assert shared.name == "Username-Password-Authentication" and shared.is_shared
    assert ConnectionApplication.objects.filter(connection=shared).count() == 2
    for org in Organization.objects.all():
        remote = remote_org(state, org.name)
        assert remote is not None and org.auth0_id == remote["id"]
        assert org.status == OrgStatus.ACTIVE and org.sync_state == SyncState.IN_SYNC
        assert org.membership_model == MembershipModel.SHARED_DATABASE
        assert org.organization_connections.get().connection == shared
        assert org.display_name == remote["display_name"]
    assert Organization.objects.get(is_staff_organization=True).name == "staff"
    acme_admin = Member.objects.get(organization__name="acme", email="admin@acme.test")
    assert acme_admin.role_names() == ["org-admin"]
    assert AuditEvent.objects.get().action == "tenant.import"
    assert not SyncOperation.objects.exists()  # adopting pushes nothing back to Auth0


def test_running_it_twice_changes_nothing(tenant: Any) -> None:
    import_tenant()
    before = _rows_without_clocks()

    report = import_tenant()

    assert report.counts["organizations"] == 3
    assert _rows_without_clocks() == before


def test_it_adopts_a_portal_row_with_the_same_name(tenant: Any) -> None:
    pending = OrganizationFactory(
        name="acme",
        display_name="Acme (draft)",
        auth0_id=None,
        status=OrgStatus.PENDING,
        sync_state=SyncState.PENDING,
    )

    import_tenant()

    acme = Organization.objects.get(name="acme")
    assert acme.pk == pending.pk
    assert acme.auth0_id == remote_org(tenant.state(), "acme")["id"]  # type: ignore[index]
    assert acme.display_name == "Acme Corp" and acme.status == OrgStatus.ACTIVE
    assert acme.sync_state == SyncState.IN_SYNC


def test_it_keeps_what_the_portal_provisioned(imported_tenant: Any) -> None:
    org = organization_create(
        actor=None,
        name="initech",
        display_name="Initech",
        membership_model=MembershipModel.OWN_DATABASE,
    )
    settle(imported_tenant)
    before = _rows_without_clocks()

    import_tenant()

    org.refresh_from_db()
    assert org.membership_model == MembershipModel.OWN_DATABASE
    connection = Connection.objects.get(name="initech-users")
    assert connection.organization == org
    # the options read back from Auth0 include its defaults; ours are kept
    assert {"disable_signup": True, "passwordPolicy": "good"}.items() <= connection.options.items()
    after = _rows_without_clocks()
    for table in (before, after):
        for row in table["orgs.Connection"]:
            row.pop("options")
    assert after == before


def test_it_leaves_a_suspended_organization_suspended(imported_tenant: Any) -> None:
    acme = Organization.objects.get(name="acme")
    organization_suspend(actor=None, organization=acme)
    settle(imported_tenant)
    before = _rows_without_clocks()

    import_tenant()

    acme.refresh_from_db()
    assert acme.status == OrgStatus.SUSPENDED
    assert acme.membership_model == MembershipModel.SHARED_DATABASE
    assert OrganizationConnection.objects.filter(organization=acme).count() == 1
    assert _rows_without_clocks() == before

    organization_reactivate(actor=None, organization=acme)  # the kept links come back
    remote = remote_org(settle(imported_tenant), "acme")
    assert remote is not None and len(remote["connections"]) == 1


def test_it_leaves_an_organization_being_deleted_alone(imported_tenant: Any) -> None:
    organization_delete(
        actor=None, organization=Organization.objects.get(name="acme"), confirm_name="acme"
    )

    import_tenant()

    assert Organization.objects.get(name="acme").status == OrgStatus.DELETING
    settle(imported_tenant)
    assert remote_org(imported_tenant.state(), "acme") is None


def _acme() -> Organization:
    return Organization.objects.get(name="acme")


def _acme_link() -> OrganizationConnection:
    return OrganizationConnection.objects.get(organization__name="acme")


def _acme_member(email: str) -> Member:
    return Member.objects.get(organization__name="acme", email=email)


def test_a_queued_display_name_change_survives_a_re_import(imported_tenant: Any) -> None:
    organization_update(actor=None, organization=_acme(), display_name="Acme Renamed")

    report = import_tenant()

    assert "organization acme: has changes not yet in Auth0" in report.skipped
    assert _acme().display_name == "Acme Renamed"
    remote = remote_org(settle(imported_tenant), "acme")
    assert remote is not None and remote["display_name"] == "Acme Renamed"


def test_a_queued_role_change_survives_a_re_import(imported_tenant: Any) -> None:
    member = _acme_member("member@acme.test")
    member_role_assign(actor=None, member=member, role_name="org-admin")

    report = import_tenant()

    assert "member member@acme.test of organization acme: has changes not yet in Auth0" in (
        report.skipped
    )
    assert member.role_names() == ["org-admin", "org-member"]
    remote = remote_org(settle(imported_tenant), "acme")
    assert remote is not None
    roles = remote["members"][member.user_id]["roles"]
    assert sorted(roles) == sorted([role_id("org-admin"), role_id("org-member")])


def test_a_connection_being_disabled_is_not_enabled_again_by_a_re_import(
    imported_tenant: Any,
) -> None:
    organization_connection_disable(actor=None, link=_acme_link())

    report = import_tenant()

    name = shared_connection().name
    assert f"connection {name} on organization acme: has changes not yet in Auth0" in (
        report.skipped
    )
    assert not OrganizationConnection.objects.filter(organization__name="acme").exists()
    remote = remote_org(settle(imported_tenant), "acme")
    assert remote is not None and remote["connections"] == {}


def test_a_queued_link_flag_change_survives_a_re_import(imported_tenant: Any) -> None:
    organization_connection_update(actor=None, link=_acme_link(), assign_membership_on_login=True)

    report = import_tenant()

    name = shared_connection().name
    assert f"connection {name} on organization acme: has changes not yet in Auth0" in (
        report.skipped
    )
    assert _acme_link().assign_membership_on_login is True
    remote = remote_org(settle(imported_tenant), "acme")
    assert remote is not None
    assert remote["connections"][shared_connection().auth0_id]["assign_membership_on_login"]


def test_a_member_being_removed_is_not_revived_by_a_re_import(imported_tenant: Any) -> None:
    member = _acme_member("member@acme.test")
    member_remove(actor=None, member=member)

    report = import_tenant()

    assert "member member@acme.test of organization acme: has changes not yet in Auth0" in (
        report.skipped
    )
    member.refresh_from_db()
    assert member.removing
    remote = remote_org(settle(imported_tenant), "acme")
    assert remote is not None and member.user_id not in remote["members"]


def test_a_re_import_with_nothing_queued_skips_nothing(imported_tenant: Any) -> None:
    report = import_tenant()

    assert report.skipped == []
