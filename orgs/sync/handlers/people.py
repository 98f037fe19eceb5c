from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from orgs.auth0.errors import Auth0Error
from orgs.auth0.operations import invitations, members, users
from orgs.models import Invitation, InvitationStatus, Member, SyncOperation
from orgs.sync.handlers import handles, require_auth0_id


@handles("invitation.send")
def send_invitation(op: SyncOperation) -> dict[str, Any]:
    invitation = Invitation.objects.select_related("organization", "application", "connection").get(
        pk=op.target_pk
    )
    if invitation.status != InvitationStatus.PENDING:
        return {"skipped": invitation.status}
    if invitation.uses_ticket:
        return _send_ticket_invitation(invitation)
    org_id = require_auth0_id(invitation.organization)
    created = invitations.create_invitation(
        org_id,
        portal_id=str(invitation.portal_id),
        email=invitation.email,
        inviter_name=invitation.inviter_name,
        client_id=invitation.application.client_id,
        connection_id=invitation.connection.auth0_id if invitation.connection else None,
        role_ids=[role.auth0_id for role in invitation.roles.all()],
        ttl_sec=invitation.ttl_seconds,
        maybe_exists=_tried_before(op),
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        auth0_id=created["id"],
        status=InvitationStatus.SENT,
        expires_at=timezone.now() + timedelta(seconds=invitation.ttl_seconds),
    )
    return {"auth0_id": created["id"]}


def _tried_before(op: SyncOperation) -> bool:
    """Whether an earlier attempt may have created the invitation already: a retry, or a
    failed operation an operator retried (its attempts start again at 0, its error stays)."""
    return op.attempts > 1 or bool(op.last_error)


def _send_ticket_invitation(invitation: Invitation) -> dict[str, Any]:
    """Own-database organizations: the user exists from the start, as a member with the
    roles, and gets a password-change ticket instead of an Auth0 invitation."""
    from orgs.emails import send_ticket_invitation

    org_id = require_auth0_id(invitation.organization)
    if invitation.connection is None:
        raise Auth0Error("The invitation has no database connection.", code="no_connection")
    user = users.create_invited_user(
        connection=invitation.connection.name,
        email=invitation.email,
        portal_id=str(invitation.portal_id),
    )
    members.add_member(org_id, user["user_id"])
    members.assign_roles(
        org_id, user["user_id"], [role.auth0_id for role in invitation.roles.all()]
    )
    ticket = users.password_change_ticket(
        user_id=user["user_id"],
        organization_id=org_id,
        client_id=invitation.application.client_id,
        ttl_sec=invitation.ttl_seconds,
    )
    send_ticket_invitation(invitation, ticket)
    Invitation.objects.filter(pk=invitation.pk).update(
        auth0_user_id=user["user_id"],
        status=InvitationStatus.SENT,
        expires_at=timezone.now() + timedelta(seconds=invitation.ttl_seconds),
    )
    return {"user_id": user["user_id"]}


@handles("invitation.revoke")
def revoke_invitation(op: SyncOperation) -> dict[str, Any]:
    invitation = Invitation.objects.select_related("organization").get(pk=op.target_pk)
    if invitation.uses_ticket:
        return _revoke_ticket_invitation(invitation)
    if invitation.auth0_id and invitation.organization.auth0_id:
        invitations.delete_invitation(invitation.organization.auth0_id, invitation.auth0_id)
    return {"revoked": True}


def _revoke_ticket_invitation(invitation: Invitation) -> dict[str, Any]:
    """The invitee exists from the start. While they have never logged in, the account
    is only the invitation: delete it (its ticket dies with it). Once they have, the
    invitation was accepted and revoking it no longer applies."""
    if not invitation.auth0_user_id:
        return {"revoked": True}
    user = users.get_user(invitation.auth0_user_id)
    if user is not None and (user.get("logins_count") or user.get("last_login")):
        Invitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.ACCEPTED)
        return {"revoked": False, "already_accepted": True}
    users.delete_user(invitation.auth0_user_id)
    return {"revoked": True, "deleted_user": invitation.auth0_user_id}


@handles("member.sync_roles")
def sync_member_roles(op: SyncOperation) -> dict[str, Any]:
    member = Member.objects.select_related("organization").get(pk=op.target_pk)
    org_id = require_auth0_id(member.organization)
    wanted = {role.auth0_id for role in member.roles.all()}
    current = members.member_role_ids(org_id, member.user_id)
    members.assign_roles(org_id, member.user_id, sorted(wanted - current))
    members.remove_roles(org_id, member.user_id, sorted(current - wanted))
    return {"roles": sorted(wanted)}


@handles("member.remove")
def remove_member(op: SyncOperation) -> dict[str, Any]:
    member = Member.objects.select_related("organization").filter(pk=op.target_pk).first()
    if member is None:
        return {"removed": True}
    if member.organization.auth0_id:
        members.remove_member(member.organization.auth0_id, member.user_id)
    member.delete()
    return {"removed": True}
