"""Invitations: Auth0 organization invitations with roles, and for organizations with their
own database connection, a user plus a password-change ticket emailed by the portal."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.models import Invitation, InvitationStatus, MembershipModel, Organization
from orgs.services.invitations import invitation_create, invitation_resend, invitation_revoke
from orgs.services.organizations import organization_create, organization_suspend
from tests.factories import ApplicationFactory
from tests.orgs.engine import sent_ops
from tests.orgs.services import (
    assert_in_sync,
    audited,
    demo_app,
    operations,
    refused,
    remote_org,
    remote_user,
    role_id,
    settle,
    shared_connection,
    staff_user,
)

pytestmark = pytest.mark.django_db


def _acme() -> Organization:
    return Organization.objects.get(name="acme")


def _invite(
    email: str = "new.person@acme.test", roles: list[str] | None = None, **kwargs: Any
) -> Invitation:
    return invitation_create(
        actor=kwargs.pop("actor", None),
        organization=_acme(),
        email=email,
        role_names=roles or ["org-member"],
        **kwargs,
    )


def _remote_invitations(state: dict[str, Any], org: str = "acme") -> list[dict[str, Any]]:
    remote = remote_org(state, org)
    assert remote is not None
    return list(remote["invitations"].values())


def test_it_sends_an_auth0_invitation_with_roles(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        invitation = _invite(
            "New.Person@ACME.test", ["org-member", "org-admin"], actor=staff_user()
        )

    assert len(sent_ops(callbacks)) == 1
    assert invitation.email == "new.person@acme.test" and invitation.status == "pending"
    # An admin is invited through the portal's own login application, so they land in
    # the portal (other invitations use the chosen or default application).
    assert invitation.application.client_id == "sandbox-portal-login"
    assert invitation.application != demo_app()
    assert invitation.connection == shared_connection() and not invitation.uses_ticket
    assert operations() == [("invitation.send", None)]
    assert audited() == ["invitation.create"]
    assert _remote_invitations(imported_tenant.state()) == []

    state = settle(imported_tenant)

    [remote] = _remote_invitations(state)
    assert remote["invitee_email"] == "new.person@acme.test"
    assert sorted(remote["roles"]) == sorted([role_id("org-member"), role_id("org-admin")])
    assert remote["client_id"] == "sandbox-portal-login"
    assert remote["connection_id"] == shared_connection().auth0_id
    [email] = [e for e in state["emails"] if e["kind"] == "invitation"]
    assert email["to"] == "new.person@acme.test" and remote["invitation_url"] in email["text"]
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT and invitation.auth0_id == remote["id"]
    assert invitation.expires_at is not None
    assert_in_sync(invitation)


def test_an_own_database_org_invites_with_a_user_and_a_password_ticket(
    imported_tenant: Any, mailoutbox: list[Any]
) -> None:
    org = organization_create(
        actor=None,
        name="initech",
        display_name="Initech",
        membership_model=MembershipModel.OWN_DATABASE,
        first_admin_email="boss@initech.test",
        application=demo_app(),
    )

    assert operations()[-1] == ("invitation.send", "organization_connection.sync")
    assert mailoutbox == []
    state = settle(imported_tenant)

    user = remote_user(state, "boss@initech.test")
    assert user is not None and user["connection"] == "initech-users"
    remote = remote_org(state, "initech")
    assert remote is not None and remote["invitations"] == {}  # no Auth0 invitation
    assert remote["members"][user["user_id"]]["roles"] == [role_id("org-admin")]
    [ticket] = [t for t in state["tickets"].values() if t["kind"] == "password-change"]
    assert ticket["user_id"] == user["user_id"]
    assert ticket["data"]["organization_id"] == remote["id"]
    [mail] = mailoutbox
    assert mail.to == ["boss@initech.test"] and ticket["id"] in mail.body
    assert "Initech" in mail.body
    invitation = Invitation.objects.get(organization=org)
    assert invitation.uses_ticket and invitation.status == InvitationStatus.SENT
    assert invitation.auth0_user_id == user["user_id"]
    assert_in_sync(invitation)


def test_resending_a_ticket_invitation_emails_a_new_ticket_to_the_same_user(
    imported_tenant: Any, mailoutbox: list[Any]
) -> None:
    organization_create(
        actor=None,
        name="initech",
        display_name="Initech",
        membership_model=MembershipModel.OWN_DATABASE,
        first_admin_email="boss@initech.test",
        application=demo_app(),
    )
    settle(imported_tenant)
    first = Invitation.objects.get(email="boss@initech.test")

    second = invitation_resend(actor=None, invitation=first)

    state = settle(imported_tenant)
    [user] = [u for u in state["users"].values() if u["email"] == "boss@initech.test"]
    tickets = [t for t in state["tickets"].values() if t["kind"] == "password-change"]
    assert [t["user_id"] for t in tickets] == [user["user_id"]] * 2
    assert [mail.to for mail in mailoutbox] == [["boss@initech.test"]] * 2
    assert tickets[1]["id"] in mailoutbox[1].body
    second.refresh_from_db()
    assert second.auth0_user_id == user["user_id"] and second.status == InvitationStatus.SENT


def test_it_revokes_a_sent_invitation_in_auth0(
    imported_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    invitation = _invite()
    settle(imported_tenant)

    with django_capture_on_commit_callbacks() as callbacks:
        invitation_revoke(actor=staff_user(), invitation=invitation)

    assert len(sent_ops(callbacks)) == 1
    assert Invitation.objects.get(pk=invitation.pk).status == InvitationStatus.REVOKED
    assert operations()[-1] == ("invitation.revoke", None)
    assert audited()[-1] == "invitation.revoke"
    assert _remote_invitations(settle(imported_tenant)) == []


def test_an_invitation_revoked_before_it_was_sent_is_never_sent(imported_tenant: Any) -> None:
    invitation = invitation_revoke(actor=None, invitation=_invite())

    # The revoke waits on nothing; the send finds the invitation revoked and does nothing.
    assert operations() == [("invitation.send", None), ("invitation.revoke", None)]
    assert _remote_invitations(settle(imported_tenant)) == []
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED and not invitation.auth0_id


def test_resend_replaces_the_invitation_with_the_same_roles(imported_tenant: Any) -> None:
    first = _invite(roles=["org-admin"])
    settle(imported_tenant)

    second = invitation_resend(actor=staff_user(), invitation=first)

    assert second.pk != first.pk and second.status == InvitationStatus.PENDING
    assert [role.name for role in second.roles.all()] == ["org-admin"]
    assert operations()[-2:] == [("invitation.revoke", None), ("invitation.send", None)]
    assert audited()[-2:] == ["invitation.revoke", "invitation.create"]
    state = settle(imported_tenant)

    [remote] = _remote_invitations(state)
    second.refresh_from_db()
    assert remote["id"] == second.auth0_id and remote["roles"] == [role_id("org-admin")]
    assert Invitation.objects.get(pk=first.pk).status == InvitationStatus.REVOKED


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"email": "not-an-email"}, "'not-an-email' is not a valid email address."),
        ({"roles": ["org-owner"]}, "Unknown roles: org-owner. Import the tenant's roles first."),
        ({"ttl_seconds": 0}, "Invitations last between 1 second and 30 days."),
        ({"ttl_seconds": 31 * 24 * 3600}, "Invitations last between 1 second and 30 days."),
    ],
)
def test_it_refuses_an_invalid_invitation(demo: None, kwargs: dict[str, Any], message: str) -> None:
    with refused(message):
        _invite(**kwargs)


def test_it_refuses_an_application_that_cannot_take_invitations(demo: None) -> None:
    no_login = ApplicationFactory(name="Backoffice", initiate_login_uri="")
    with refused("Backoffice cannot accept invitations"):
        _invite(application=no_login)


def test_it_refuses_a_second_open_invitation_for_the_same_email(demo: None) -> None:
    _invite("twice@acme.test")
    with refused("twice@acme.test already has an open invitation."):
        _invite("Twice@acme.test", ["org-admin"])


def test_it_refuses_invitations_for_a_suspended_organization(demo: None) -> None:
    organization_suspend(actor=None, organization=_acme())
    with refused("Acme Corp cannot invite people right now (suspended)."):
        _invite()


def test_it_refuses_to_revoke_twice_or_resend_an_accepted_invitation(demo: None) -> None:
    invitation = invitation_revoke(actor=None, invitation=_invite())
    with refused("This invitation is revoked."):
        invitation_revoke(actor=None, invitation=invitation)

    accepted = _invite("accepted@acme.test")
    Invitation.objects.filter(pk=accepted.pk).update(status=InvitationStatus.ACCEPTED)
    accepted.refresh_from_db()
    with refused("This invitation was accepted already."):
        invitation_resend(actor=None, invitation=accepted)


def test_revoking_a_ticket_invitation_takes_the_invitee_out_of_the_org(
    imported_tenant: Any,
) -> None:
    organization_create(
        actor=None,
        name="initech",
        display_name="Initech",
        membership_model=MembershipModel.OWN_DATABASE,
        first_admin_email="boss@initech.test",
        application=demo_app(),
    )
    settle(imported_tenant)

    invitation_revoke(actor=None, invitation=Invitation.objects.get(email="boss@initech.test"))

    state = settle(imported_tenant)
    user = remote_user(state, "boss@initech.test")
    remote = remote_org(state, "initech")
    assert remote is not None
    assert user is None or user["user_id"] not in remote["members"]
