"""Apply-then-fail: Auth0 made the change but the answer never reached us. The retry must
adopt what the lost response created, never create it twice, and must refuse to adopt
what somebody else created under the same name."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.auth0.client import management_client
from orgs.models import (
    Connection,
    Invitation,
    InvitationStatus,
    MembershipModel,
    OpState,
    Organization,
    OrgStatus,
    SyncOperation,
    SyncState,
)
from orgs.services.organizations import organization_create
from orgs.services.sync_ops import sync_operation_retry
from tests.orgs.engine import drain

pytestmark = pytest.mark.django_db

LOST_RESPONSES = [
    pytest.param({"status": 500}, id="500-after-apply"),
    pytest.param({"then": "drop"}, id="dropped-after-apply"),
]


def _lose_first_response(tenant: Any, method: str, path: str, how: dict[str, Any]) -> None:
    tenant.add_fault(action="apply_then_fail", method=method, path=path, times=1, **how)


def _fired(tenant: Any) -> int:
    return sum(rule["fired"] for rule in tenant.control("GET", "/faults")["faults"])


def _sandbox_orgs(tenant: Any, name: str) -> list[dict[str, Any]]:
    return [org for org in tenant.state()["organizations"].values() if org["name"] == name]


def _sandbox_invitations(tenant: Any, org_id: str, email: str) -> list[dict[str, Any]]:
    org = tenant.state()["organizations"][org_id]
    return [inv for inv in org["invitations"].values() if inv["invitee_email"] == email]


def _sandbox_connections(tenant: Any, name: str) -> list[dict[str, Any]]:
    return [conn for conn in tenant.state()["connections"].values() if conn["name"] == name]


def _ops(kind: str) -> list[SyncOperation]:
    return list(SyncOperation.objects.filter(kind=kind))


@pytest.mark.parametrize("how", LOST_RESPONSES)
def test_a_lost_create_response_adopts_the_organization_instead_of_duplicating_it(
    imported_tenant: Any, how: dict[str, Any]
) -> None:
    _lose_first_response(imported_tenant, "POST", r"^/api/v2/organizations$", how)
    org = organization_create(actor=None, name="hooli", display_name="Hooli")

    outcomes = drain()

    assert _fired(imported_tenant) == 1
    assert "retrying" in outcomes and "failed" not in outcomes, outcomes
    remote = _sandbox_orgs(imported_tenant, "hooli")
    assert len(remote) == 1
    org.refresh_from_db()
    assert org.auth0_id == remote[0]["id"]
    assert remote[0]["metadata"]["portal_id"] == str(org.portal_id)
    assert org.status == OrgStatus.ACTIVE and org.sync_state == SyncState.IN_SYNC
    (create,) = _ops("organization.create")
    assert create.state == OpState.SUCCEEDED and create.attempts == 2
    # What depended on the organization ran against the adopted one.
    assert len(remote[0]["connections"]) == 1


@pytest.mark.parametrize("how", LOST_RESPONSES)
def test_a_lost_invitation_response_sends_exactly_one_invitation(
    imported_tenant: Any, how: dict[str, Any]
) -> None:
    _lose_first_response(imported_tenant, "POST", r"^/api/v2/organizations/[^/]+/invitations$", how)
    org = organization_create(
        actor=None,
        name="pied-piper",
        display_name="Pied Piper",
        first_admin_email="richard@piedpiper.test",
    )

    outcomes = drain()

    assert _fired(imported_tenant) == 1
    assert "failed" not in outcomes, outcomes
    org.refresh_from_db()
    remote = _sandbox_invitations(imported_tenant, org.auth0_id, "richard@piedpiper.test")
    assert len(remote) == 1
    invitation = Invitation.objects.get(organization=org)
    assert invitation.status == InvitationStatus.SENT
    assert invitation.auth0_id == remote[0]["id"]
    assert invitation.sync_state == SyncState.IN_SYNC
    assert remote[0]["app_metadata"]["portal_invitation_id"] == str(invitation.portal_id)


def test_an_operator_retry_after_a_lost_invitation_response_does_not_invite_twice(
    imported_tenant: Any, settings: Any
) -> None:
    """The operation gave up on the attempt whose response was lost; the invitation exists
    all the same, and the operator's retry must find it rather than send another."""
    settings.SYNC_MAX_ATTEMPTS = 1
    _lose_first_response(
        imported_tenant, "POST", r"^/api/v2/organizations/[^/]+/invitations$", {"status": 503}
    )
    org = organization_create(
        actor=None, name="raviga", display_name="Raviga", first_admin_email="laurie@raviga.test"
    )
    drain()
    (send,) = _ops("invitation.send")
    assert send.state == OpState.FAILED and "Gave up after 1 attempts" in send.last_error

    sync_operation_retry(actor=None, operation=send)
    drain()

    org.refresh_from_db()
    assert len(_sandbox_invitations(imported_tenant, org.auth0_id, "laurie@raviga.test")) == 1
    send.refresh_from_db()
    assert send.state == OpState.SUCCEEDED
    assert Invitation.objects.get(organization=org).status == InvitationStatus.SENT


@pytest.mark.parametrize("how", LOST_RESPONSES)
def test_a_lost_connection_create_response_adopts_the_organizations_own_database(
    imported_tenant: Any, how: dict[str, Any]
) -> None:
    _lose_first_response(imported_tenant, "POST", r"^/api/v2/connections$", how)
    org = organization_create(
        actor=None,
        name="endframe",
        display_name="Endframe",
        membership_model=MembershipModel.OWN_DATABASE,
    )

    outcomes = drain()

    assert _fired(imported_tenant) == 1
    assert "failed" not in outcomes, outcomes
    connection = Connection.objects.get(organization=org)
    remote = _sandbox_connections(imported_tenant, connection.name)
    assert len(remote) == 1
    assert connection.auth0_id == remote[0]["id"]
    assert remote[0]["metadata"]["portal_id"] == str(connection.portal_id)
    assert connection.sync_state == SyncState.IN_SYNC
    org.refresh_from_db()
    enabled = imported_tenant.state()["organizations"][org.auth0_id]["connections"]
    assert list(enabled) == [connection.auth0_id]


@pytest.mark.parametrize(
    "metadata", [{}, {"portal_id": "someone-elses-record"}], ids=["no-portal-id", "other-portal-id"]
)
def test_an_organization_someone_else_created_with_the_same_name_is_not_adopted(
    imported_tenant: Any, metadata: dict[str, str]
) -> None:
    management_client().organizations.create(
        name="bachmanity", display_name="Theirs", metadata=metadata
    )
    org = organization_create(actor=None, name="bachmanity", display_name="Bachmanity")

    outcomes = drain()

    assert outcomes == ["failed"]
    (create,) = _ops("organization.create")
    assert create.state == OpState.FAILED and create.attempts == 1
    assert "An organization named 'bachmanity' already exists in Auth0" in create.last_error
    assert "Import it, or choose another name" in create.last_error
    org.refresh_from_db()
    assert org.auth0_id is None and org.status == OrgStatus.PENDING
    assert org.sync_state == SyncState.FAILED
    assert "already exists in Auth0" in org.sync_error
    (remote,) = _sandbox_orgs(imported_tenant, "bachmanity")
    assert remote["display_name"] == "Theirs" and remote["metadata"] == metadata
    # The operations that need the organization wait; nothing half-done reached Auth0.
    assert SyncOperation.objects.filter(state=OpState.QUEUED).count() >= 1
    assert remote["connections"] == {}


def test_a_connection_someone_else_created_with_the_same_name_is_not_adopted(
    imported_tenant: Any,
) -> None:
    management_client().connections.create(name="gavin-users", strategy="auth0")
    org = organization_create(
        actor=None,
        name="gavin",
        display_name="Gavin",
        membership_model=MembershipModel.OWN_DATABASE,
    )

    drain()

    (create,) = _ops("connection.create")
    assert create.state == OpState.FAILED
    assert "A connection named 'gavin-users' already exists in Auth0" in create.last_error
    connection = Connection.objects.get(organization=org)
    assert connection.auth0_id is None and connection.sync_state == SyncState.FAILED
    assert len(_sandbox_connections(imported_tenant, "gavin-users")) == 1
    assert Organization.objects.get(pk=org.pk).sync_state == SyncState.IN_SYNC
