"""Creating and deleting user accounts, for organizations whose users live in a database
connection of their own (MembershipModel.OWN_DATABASE). Elsewhere the users belong to a
shared database or to the customer's identity provider, and the portal only invites.

Creating follows Auth0's advice: the user is made with a random password that is
generated, never stored and never shown, `email_verified` false, and then gets a
password-change ticket by email, so only they ever know their password
(orgs.sync.handlers.users.create_account). Deleting removes the account and every sign-in
with it, for good (orgs.sync.handlers.users.delete_account).

The rules of orgs.services.users hold here too: a customer admin acts only in their own
organization, never on a staff user or on someone who is not a member, and the last
administrator is never deleted (nor anyone by themselves).
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from orgs.models import (
    OPEN_STATES,
    Member,
    MembershipModel,
    Organization,
    OrganizationConnection,
    OrgStatus,
    Role,
    SyncOperation,
)
from orgs.services import users
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.sync.outbox import awaited_create, open_operation_for, record_operation
from portal.access import is_org_admin
from portal.models import User
from portal.sessions import end_portal_sessions

CREATE_KIND = "user.create"
DELETE_KIND = "user.delete"
MAX_NAME = 300


def account_refusal(organization: Organization) -> str:
    """Why accounts cannot be created or deleted in this organization ("" when they can)."""
    if organization.membership_model == MembershipModel.OWN_DATABASE:
        return ""
    if organization.membership_model == MembershipModel.ENTERPRISE_ONLY:
        return (
            f"{organization} signs its people in through their company's identity provider "
            "only: accounts are made and removed there, not in the portal. Invite people "
            "instead."
        )
    return (
        f"{organization}'s people use a sign-in database shared with other organizations, "
        "so the portal does not create or delete their accounts. Invite people instead."
    )


def database_connection(organization: Organization) -> OrganizationConnection | None:
    """The organization's own password database, as linked to it."""
    return (
        OrganizationConnection.objects.select_related("connection")
        .filter(
            organization=organization,
            connection__strategy="auth0",
            connection__organization=organization,
            connection__deleted_at=None,
        )
        .first()
    )


# --- create --------------------------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    organization: Organization,
    email: str,
    name: str = "",
    role_names: list[str],
) -> SyncOperation:
    """Record the creation of a user of the organization's own database, made a member
    with `role_names` and mailed a ticket to choose their password."""
    _require_admin(actor, organization)
    refusal = account_refusal(organization)
    if refusal:
        raise ServiceError(refusal)
    if not organization.is_live or organization.status == OrgStatus.SUSPENDED:
        raise ServiceError(
            f"{organization} cannot take new users right now "
            f"({organization.get_status_display().lower()})."
        )
    email, name = _clean_email(email), name.strip()[:MAX_NAME]
    roles = _roles(role_names)
    link = database_connection(organization)
    if link is None:
        raise ServiceError(f"{organization} has no database connection of its own yet.")
    _require_new(organization, email)
    payload = {
        # No Auth0 id yet: the lock (orgs.sync.targets) is the email's in that database.
        "user_id": f"new:{link.connection.name}:{email}",
        "email": email,
        "name": name,
        "connection": link.connection.name,
        "role_ids": sorted(role.auth0_id for role in roles),
        "created_for": str(uuid.uuid4()),
    }
    parent = open_operation_for(link, "organization_connection") or awaited_create(
        organization, "organization.create"
    )
    request = audit(
        actor=actor,
        action=CREATE_KIND,
        organization=organization,
        target=email,
        roles=sorted(role.name for role in roles),
    )
    # The operation's target is the audited request: there is no row of the user yet, and
    # the organization's own sync state is not this change's to mark.
    return record_operation(
        kind=CREATE_KIND,
        target=request,
        organization=organization,
        payload=payload,
        depends_on=parent,
        actor=actor,
    )


def _clean_email(email: str) -> str:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ServiceError(f"'{email}' is not a valid email address.", field="email") from None
    return email


def _roles(role_names: list[str]) -> list[Role]:
    roles = list(Role.objects.filter(name__in=role_names))
    missing = set(role_names) - {role.name for role in roles}
    if missing:
        raise ServiceError(f"Unknown roles: {', '.join(sorted(missing))}.", field="roles")
    return roles


def _require_new(organization: Organization, email: str) -> None:
    if organization.members.filter(email__iexact=email).exists():
        raise ServiceError(f"{email} is already a member of {organization}.", field="email")
    if creation_open(organization, email):
        raise ServiceError(f"The account of {email} is being created already.", field="email")


def creation_open(organization: Organization, email: str) -> bool:
    return SyncOperation.objects.filter(
        kind=CREATE_KIND,
        organization=organization,
        payload__email=email,
        state__in=OPEN_STATES,
    ).exists()


# --- delete --------------------------------------------------------------------------------


@transaction.atomic
def user_delete(*, actor: User | None, member: Member) -> SyncOperation:
    """Record the deletion of the member's account (its sign-ins go with it, for good)."""
    organization = member.organization
    refusal = account_refusal(organization)
    if refusal:
        raise ServiceError(refusal)
    if member.removing:
        raise ServiceError(f"{member} is being removed from {organization}.")
    _require_admin(actor, organization)
    if users.is_staff_user(member.user_id):
        raise ServiceError(f"{member} is a member of the portal's staff: their account stays.")
    if actor is not None and actor.sub == member.user_id:
        raise ServiceError("You cannot delete your own account.")
    if users.is_last_admin(member):
        raise ServiceError(
            f"{member} is the last administrator of {organization}: make someone else an "
            "administrator before deleting them."
        )
    link = database_connection(organization)
    if link is None or not users.signs_in_with_password(member.user_id):
        raise ServiceError(
            f"{member} does not sign in with {organization}'s own database, so the portal "
            "does not delete their account. Remove them from the organization instead."
        )
    if _belongs_elsewhere(member):
        raise ServiceError(
            f"{member} also belongs to another organization: remove them from {organization} "
            "instead, or ask the portal's staff."
        )
    member.removing = True
    member.save(update_fields=["removing", "updated_at"])
    payload = {"user_id": member.user_id, "connection": link.connection.name}
    op = record_operation(
        kind=DELETE_KIND, target=member, organization=organization, payload=payload, actor=actor
    )
    audit(
        actor=actor,
        action=DELETE_KIND,
        organization=organization,
        target=member.email or member.user_id,
        user_id=member.user_id,
    )
    user_id = member.user_id
    transaction.on_commit(lambda: end_portal_sessions(user_id))
    return op


def _belongs_elsewhere(member: Member) -> bool:
    return (
        Member.objects.filter(user_id=member.user_id)
        .exclude(organization_id=member.organization_id)
        .exists()
    )


def deletable(organization: Organization, user_id: str) -> bool:
    """Whether a member's page offers deletion (the service still checks every rule)."""
    return not account_refusal(organization) and users.signs_in_with_password(user_id)


def _require_admin(actor: User | None, organization: Organization) -> None:
    if actor is None or actor.is_staff:
        return
    if not is_org_admin(organization, actor.sub):
        raise ServiceError(f"Only administrators of {organization} can manage its users.")
