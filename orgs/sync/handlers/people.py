from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.utils import timezone

from orgs.auth0.errors import Auth0Error
from orgs.auth0.operations import invitations, members, users
from orgs.models import Invitation, InvitationStatus, Member, SyncOperation
from orgs.sync.fencing import guarded_writes
from orgs.sync.handlers import require_auth0_id

log = logging.getLogger(__name__)


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
    _record_sent(invitation, auth0_id=created["id"])
    return {"auth0_id": created["id"]}


def _tried_before(op: SyncOperation) -> bool:
    """Whether an earlier attempt may have created the invitation already: a retry, or a
    failed operation an operator retried (its attempts start again at 0, its error stays)."""
    return op.attempts > 1 or bool(op.last_error)


def _record_sent(invitation: Invitation, **auth0_ids: str) -> None:
    """Keep the Auth0 ids in any case (a revoke needs them to delete what was made), but
    move the status to SENT only from PENDING: an invitation revoked while it was being
    sent stays revoked (its revoke operation runs next and undoes the send)."""
    with guarded_writes():
        Invitation.objects.filter(pk=invitation.pk).update(**auth0_ids)
        Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.PENDING).update(
            status=InvitationStatus.SENT,
            expires_at=timezone.now() + timedelta(seconds=invitation.ttl_seconds),
        )


def _send_ticket_invitation(invitation: Invitation) -> dict[str, Any]:
    """Own-database organizations: the user exists from the start, as a member with the
    roles, and gets a password-change ticket instead of an Auth0 invitation.

    Every Auth0 step can be repeated or adopted; the email cannot, and nothing tells
    afterwards whether it left. So it is recorded (`ticket_mail_started_at`, committed)
    before it is sent: an attempt that finds the record without the SENT status never
    mails again, it stops and asks a person (who can use Resend)."""
    if invitation.ticket_mail_started_at is not None:
        raise _mail_uncertain(invitation)
    org_id = require_auth0_id(invitation.organization)
    if invitation.connection is None:
        raise Auth0Error("The invitation has no database connection.", code="no_connection")
    user = users.create_invited_user(
        connection=invitation.connection.name,
        email=invitation.email,
        portal_id=str(invitation.portal_id),
        earlier_portal_ids=_earlier_portal_ids(invitation),
    )
    user_id = user["user_id"]
    members.add_member(org_id, user_id)
    members.assign_roles(org_id, user_id, [role.auth0_id for role in invitation.roles.all()])
    ticket = users.password_change_ticket(
        user_id=user_id,
        organization_id=org_id,
        client_id=invitation.application.client_id,
        ttl_sec=invitation.ttl_seconds,
    )
    skipped = _record_mail_started(invitation, user_id)
    if skipped:
        return {"skipped": skipped, "user_id": user_id}
    _mail_ticket(invitation, ticket)
    _record_sent(invitation, auth0_user_id=user_id)
    return {"user_id": user_id}


def _earlier_portal_ids(invitation: Invitation) -> set[str]:
    """The ids of this organization's earlier invitations to the same email: the users
    they created are the portal's, and a resend keeps them for the new invitation."""
    earlier = Invitation.objects.filter(
        organization_id=invitation.organization_id,
        email__iexact=invitation.email,
        pk__lt=invitation.pk,  # ids grow with time
    )
    return {str(portal_id) for portal_id in earlier.values_list("portal_id", flat=True)}


def _record_mail_started(invitation: Invitation, user_id: str) -> str:
    """Commit "the ticket mail is going out" (and the user, so a revoke finds it) before
    the mail is sent. Returns the status when the invitation stopped being pending
    meanwhile (revoked: send nothing), "" when the mail may go."""
    with guarded_writes():
        Invitation.objects.filter(pk=invitation.pk).update(auth0_user_id=user_id)
        marked = Invitation.objects.filter(
            pk=invitation.pk, status=InvitationStatus.PENDING, ticket_mail_started_at=None
        ).update(ticket_mail_started_at=timezone.now())
    if marked:
        return ""
    current = Invitation.objects.get(pk=invitation.pk)
    if current.status != InvitationStatus.PENDING:
        return current.status
    raise _mail_uncertain(invitation)  # another attempt started mailing it


def _mail_ticket(invitation: Invitation, ticket_url: str) -> None:
    from orgs.emails import MailNotSent, send_ticket_invitation

    try:
        send_ticket_invitation(invitation, ticket_url)
    except MailNotSent as exc:
        # Nothing went out: take the record back, so the retry mails the ticket.
        with guarded_writes():
            Invitation.objects.filter(pk=invitation.pk).update(ticket_mail_started_at=None)
        raise Auth0Error(
            f"Could not send the invitation email to {invitation.email}; nothing went out ({exc}).",
            code="mail_not_sent",
            retryable=True,
        ) from exc
    except Exception as exc:  # anything else: the mail server may have taken the message
        log.warning("ticket mail for invitation %s may have gone out", invitation.pk, exc_info=True)
        raise _mail_uncertain(invitation) from exc


def _mail_uncertain(invitation: Invitation) -> Auth0Error:
    return Auth0Error(
        f"The invitation email to {invitation.email} may or may not have gone out: sending "
        "it was interrupted, and the portal will not send it again by itself (that could "
        'mail a second link). Ask the invitee, or use "Resend" to send a new invitation.',
        code="mail_uncertain",
    )


def revoke_invitation(op: SyncOperation) -> dict[str, Any]:
    invitation = Invitation.objects.select_related("organization", "connection").get(
        pk=op.target_pk
    )
    if invitation.uses_ticket:
        return _revoke_ticket_invitation(invitation)
    org_id = invitation.organization.auth0_id
    if not org_id:
        return {"revoked": True}
    # A send whose answer was lost made the invitation without us learning its id; it
    # carries ours, so find it by that rather than leave it live.
    auth0_id = invitation.auth0_id or _created_unseen(org_id, invitation)
    if auth0_id:
        invitations.delete_invitation(org_id, auth0_id)
    return {"revoked": True}


def _created_unseen(org_id: str, invitation: Invitation) -> str:
    found = invitations.find_invitation(org_id, str(invitation.portal_id))
    return str(found["id"]) if found else ""


def _revoke_ticket_invitation(invitation: Invitation) -> dict[str, Any]:
    """The invitee exists from the start. While they have never logged in, the account
    is only the invitation: delete it (its ticket dies with it). Once they have, the
    invitation was accepted and revoking it no longer applies. A user the portal did not
    create for this person's invitations to this organization is never touched."""
    user = _invited_user(invitation)
    if user is None:
        return {"revoked": True}
    user_id = str(user["user_id"])
    owners = {str(invitation.portal_id)} | _earlier_portal_ids(invitation)
    if users.invitation_id_of(user) not in owners:
        return {
            "revoked": True,
            "kept_user": user_id,
            "note": "The user was not created by the portal for this invitation: left alone.",
        }
    if user.get("logins_count") or user.get("last_login"):
        with guarded_writes():
            Invitation.objects.filter(pk=invitation.pk).update(status=InvitationStatus.ACCEPTED)
        return {"revoked": False, "already_accepted": True}
    users.delete_user(user_id)
    return {"revoked": True, "deleted_user": user_id}


def _invited_user(invitation: Invitation) -> dict[str, Any] | None:
    """The user the send made or adopted; found by email when the send stopped before
    recording it (whether it is ours is the caller's check)."""
    if invitation.auth0_user_id:
        return users.get_user(invitation.auth0_user_id)
    if invitation.connection is None:
        return None
    return users.find_connection_user(invitation.connection.name, invitation.email)


def sync_member_roles(op: SyncOperation) -> dict[str, Any]:
    member = Member.objects.select_related("organization").get(pk=op.target_pk)
    org_id = require_auth0_id(member.organization)
    wanted = {role.auth0_id for role in member.roles.all()}
    current = members.member_role_ids(org_id, member.user_id)
    members.assign_roles(org_id, member.user_id, sorted(wanted - current))
    members.remove_roles(org_id, member.user_id, sorted(current - wanted))
    return {"roles": sorted(wanted)}


def remove_member(op: SyncOperation) -> dict[str, Any]:
    member = Member.objects.select_related("organization").filter(pk=op.target_pk).first()
    if member is None:
        return {"removed": True}
    if member.organization.auth0_id:
        members.remove_member(member.organization.auth0_id, member.user_id)
    with guarded_writes():
        member.delete()
    return {"removed": True}
