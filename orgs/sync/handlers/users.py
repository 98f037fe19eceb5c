"""Deprovisioning a member's Auth0 user: block and unblock, sign out everywhere (sessions
and refresh tokens), and a password reset email. Recorded by orgs.services.users.

These act on the user, not on the membership, so they run under the user's lock
(`user:<id>`, orgs.sync.targets) whichever organization asked. Block and unblock are
convergent on the latest request: each operation carries when it was requested
(`requested_at`, refreshed when a request merges into a queued one), and an operation
that finds a later block or unblock request steps aside, so the last click wins in any
order of running. Signing out twice is harmless. The reset email is the one step that
cannot be repeated safely: see `password_reset`.

Own-database organizations also create and delete accounts here (`create_account`,
`delete_account`; recorded by orgs.services.user_accounts).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from orgs.auth0.errors import Auth0Error
from orgs.auth0.operations import members, users
from orgs.models import Application, Member, OpState, SyncOperation
from orgs.sync.fencing import guarded_writes
from orgs.sync.handlers import require_auth0_id

BLOCK_KINDS = ("user.block", "user.unblock")
MAIL_STARTED = "reset_mail_started_at"
DATABASE_PROVIDER = "auth0"


def block(op: SyncOperation) -> dict[str, Any]:
    return _apply_block(op, blocked=True)


def unblock(op: SyncOperation) -> dict[str, Any]:
    return _apply_block(op, blocked=False)


def _apply_block(op: SyncOperation, *, blocked: bool) -> dict[str, Any]:
    later = _later_block_request(op)
    if later is not None:
        return {"skipped": f"a later request (operation #{later}) decides it"}
    if not users.set_blocked(_user_id(op), blocked):
        return {"skipped": "the user no longer exists in Auth0"}
    return {"blocked": blocked}


def _later_block_request(op: SyncOperation) -> int | None:
    """A block or unblock of the same user requested after this one (not cancelled)."""
    mine = str(op.payload.get("requested_at", ""))
    others = (
        SyncOperation.objects.filter(kind__in=BLOCK_KINDS, target_key=op.target_key)
        .exclude(pk=op.pk)
        .exclude(state=OpState.CANCELLED)
        .values_list("pk", "payload")
    )
    for pk, payload in others:
        # ISO 8601 times in UTC, all written the same way: they sort as text.
        if str((payload or {}).get("requested_at", "")) > mine:
            return int(pk)
    return None


def sign_out(op: SyncOperation) -> dict[str, Any]:
    users.end_sessions(_user_id(op))
    return {"sessions_ended": True, "refresh_tokens_revoked": True}


def password_reset(op: SyncOperation) -> dict[str, Any]:
    """Ask Auth0 to email a reset link. Everything before the request can be repeated; the
    email cannot, and nothing tells afterwards whether it left. So the start is recorded
    in the operation's result (committed) before the request is sent: an attempt that
    finds it there never asks again, it stops and asks a person. When Auth0 refused the
    request, or it never reached Auth0, nothing went out and the record is taken back."""
    earlier = op.result or {}
    if earlier.get(MAIL_STARTED):
        raise _delivery_unknown(str(earlier.get("email") or "the member"))
    member = Member.objects.select_related("organization").filter(pk=op.target_pk).first()
    user = users.get_user(_user_id(op))
    if member is None or user is None:
        return {"skipped": "the member or their Auth0 user no longer exists"}
    connection = _database_connection(user)
    email = str(user.get("email") or "")
    if not connection or not email:
        raise Auth0Error(
            f"{member} does not sign in with a password of a database connection, so there "
            "is no password to reset.",
            code="not_database_user",
        )
    started = _record_mail_started(op, email)
    try:
        users.send_password_reset(
            email=email,
            connection=connection,
            organization_id=member.organization.auth0_id or "",
            client_id=_reset_client_id(connection),
        )
    except Auth0Error as exc:
        if exc.code == users.RESET_DELIVERY_UNKNOWN:
            raise _delivery_unknown(email) from exc
        _forget_mail_started(op)  # Auth0 refused it or never saw it: nothing went out
        raise
    return {MAIL_STARTED: started, "email": email, "connection": connection}


def _database_connection(user: dict[str, Any]) -> str:
    for identity in user.get("identities") or []:
        if identity.get("provider") == DATABASE_PROVIDER and identity.get("connection"):
            return str(identity["connection"])
    return ""


def _reset_client_id(connection: str) -> str:
    """The application the email's "back to sign in" leads to: one the connection is
    enabled for, the organization's own applications before the portal's login one."""
    linked = (
        Application.objects.filter(
            connection_links__connection__name=connection,
            connection_links__connection__deleted_at=None,
        )
        .order_by("is_portal_login", "name")
        .values_list("client_id", flat=True)
        .first()
    )
    return linked or settings.AUTH0_LOGIN_CLIENT_ID


def _record_mail_started(op: SyncOperation, email: str) -> str:
    started = timezone.now().isoformat()
    with guarded_writes():
        SyncOperation.objects.filter(pk=op.pk).update(
            result={MAIL_STARTED: started, "email": email}
        )
    return started


def _forget_mail_started(op: SyncOperation) -> None:
    with guarded_writes():
        SyncOperation.objects.filter(pk=op.pk).update(result={})


def _delivery_unknown(email: str) -> Auth0Error:
    return Auth0Error(
        f"The password reset email to {email} may or may not have gone out: the request "
        "reached Auth0 and no answer came back, and the portal will not ask again by "
        "itself (that could send a second email). Ask them, or send a new password reset.",
        code="reset_delivery_unknown",
    )


def _user_id(op: SyncOperation) -> str:
    return str(op.payload["user_id"])


# --- creating and deleting accounts (orgs.services.user_accounts) ----------------------------

TICKET_MAIL_STARTED = "ticket_mail_started_at"
TICKET_TTL = 7 * 24 * 3600


def create_account(op: SyncOperation) -> dict[str, Any]:
    """Create the user (random password, discarded), make them a member with the roles,
    and mail them a password-change ticket. Each Auth0 step can be repeated or adopted
    (the user carries the request's id in app_metadata); the mail cannot, so its start is
    committed in the operation's result first, as `password_reset` does: an attempt
    that finds it never mails again and asks a person instead."""
    earlier = op.result or {}
    if earlier.get(TICKET_MAIL_STARTED):
        raise _account_mail_unknown(str(op.payload["email"]))
    organization = op.organization
    assert organization is not None
    org_id = require_auth0_id(organization)
    payload = op.payload
    connection, email = str(payload["connection"]), str(payload["email"])
    user = users.create_portal_user(
        connection=connection,
        email=email,
        name=str(payload.get("name") or ""),
        created_for=str(payload["created_for"]),
    )
    user_id = str(user["user_id"])
    members.add_member(org_id, user_id)
    members.assign_roles(org_id, user_id, list(payload.get("role_ids") or []))
    _record_member(op, user_id)
    ticket = users.password_change_ticket(
        user_id=user_id,
        organization_id=org_id,
        client_id=_reset_client_id(connection),
        ttl_sec=TICKET_TTL,
    )
    started = timezone.now().isoformat()
    with guarded_writes():
        SyncOperation.objects.filter(pk=op.pk).update(
            result={TICKET_MAIL_STARTED: started, "user_id": user_id, "email": email}
        )
    _mail_account_ticket(op, email, ticket)
    return {"user_id": user_id, "email": email, TICKET_MAIL_STARTED: started}


def _record_member(op: SyncOperation, user_id: str) -> None:
    from orgs.models import Role
    from orgs.services.users import member_for_auth0_user

    assert op.organization is not None
    with guarded_writes():
        member = member_for_auth0_user(
            organization=op.organization,
            user_id=user_id,
            email=str(op.payload["email"]),
            name=str(op.payload.get("name") or ""),
        )
        member.roles.set(Role.objects.filter(auth0_id__in=op.payload.get("role_ids") or []))


def _mail_account_ticket(op: SyncOperation, email: str, ticket: str) -> None:
    from orgs.emails import MailNotSent
    from orgs.services.account_mail import send_account_ticket

    assert op.organization is not None
    try:
        send_account_ticket(organization=op.organization, email=email, ticket_url=ticket)
    except MailNotSent as exc:
        with guarded_writes():  # nothing went out: the retry may mail a new ticket
            SyncOperation.objects.filter(pk=op.pk).update(result={})
        raise Auth0Error(
            f"Could not send the email to {email}; nothing went out ({exc}).",
            code="mail_not_sent",
            retryable=True,
        ) from exc
    except Exception as exc:  # the mail server may have taken the message
        raise _account_mail_unknown(email) from exc


def _account_mail_unknown(email: str) -> Auth0Error:
    return Auth0Error(
        f"The account of {email} exists, but the email with the link to choose a password "
        "may or may not have gone out, and the portal will not send it again by itself "
        "(that could send a second link). Ask them, or send them a password reset from "
        "their member page.",
        code="account_mail_unknown",
    )


def delete_account(op: SyncOperation) -> dict[str, Any]:
    """Delete the user, once it is certain they are a user of the organization's own
    database (never an account of another connection). A user already gone counts as
    deleted, so a retry after a lost answer is harmless."""
    member = Member.objects.filter(pk=op.target_pk).first()
    user_id, connection = _user_id(op), str(op.payload["connection"])
    user = users.get_user(user_id)
    if user is not None:
        if _database_connection(user) != connection:
            raise Auth0Error(
                f"{member or user_id} does not sign in with {connection}, so the portal does "
                "not delete their account.",
                code="not_own_database_user",
            )
        users.delete_user(user_id)
    if member is not None:
        with guarded_writes():
            member.delete()
    return {"deleted_user": user_id}
