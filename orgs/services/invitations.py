"""Invitations: Auth0 organization invitations with roles, or, for organizations with their
own database connection, a user created with a discarded random password plus a
password-change ticket."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from orgs.models import (
    Application,
    Invitation,
    InvitationStatus,
    MembershipModel,
    Organization,
    OrganizationConnection,
    Role,
)
from orgs.services.audit import audit
from orgs.services.errors import ServiceError
from orgs.sync.outbox import awaited_create, open_operation_for, record_operation
from portal.access import ADMIN_ROLE
from portal.models import User

DEFAULT_TTL = 7 * 24 * 3600
MAX_TTL = 30 * 24 * 3600
# Auth0's invitation email says "{inviter} has invited you to join ...": one person, also
# when no person sent it (a command line, an import).
SYSTEM_INVITER = "An administrator"


def inviter_name(actor: User | None) -> str:
    if actor is None:
        return SYSTEM_INVITER
    return actor.name or actor.email or SYSTEM_INVITER


def default_application() -> Application:
    for application in Application.objects.exclude(initiate_login_uri="").order_by("name"):
        if application.supports_invitations and not application.is_portal_login:
            return application
    raise ServiceError(
        "No application can accept invitations: one needs a login URL "
        "(initiate_login_uri) and organizations enabled. Import the tenant's "
        "applications first."
    )


def portal_login_application() -> Application | None:
    """The portal's own login application, if it can take invitations (a login URL and
    organizations allowed)."""
    application = (
        Application.objects.filter(is_portal_login=True).first()
        or Application.objects.filter(client_id=settings.AUTH0_LOGIN_CLIENT_ID).first()
    )
    if application is None or not application.supports_invitations:
        return None
    return application


def invitation_application(role_names: list[str], chosen: Application | None) -> Application:
    """Organization admins accept in the portal (its login application's login URL), where
    they are going to work; everyone else in the chosen application (or the default one).
    Without a usable portal login application an admin gets the chosen one: their portal
    access comes from their roles in Auth0 at login, whichever application they joined."""
    if ADMIN_ROLE in role_names:
        portal = portal_login_application()
        if portal is not None:
            return portal
    return chosen or default_application()


@transaction.atomic
def invitation_create(
    *,
    actor: User | None,
    organization: Organization,
    email: str,
    role_names: list[str],
    application: Application | None = None,
    ttl_seconds: int = DEFAULT_TTL,
) -> Invitation:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ServiceError(f"'{email}' is not a valid email address.", field="email") from None
    if not organization.is_live or organization.status == "suspended":
        raise ServiceError(
            f"{organization} cannot invite people right now "
            f"({organization.get_status_display().lower()})."
        )
    if not 0 < ttl_seconds <= MAX_TTL:
        raise ServiceError("Invitations last between 1 second and 30 days.", field="ttl")
    application = invitation_application(role_names, application)
    if not application.supports_invitations:
        raise ServiceError(
            f"{application} cannot accept invitations (no login URL or organizations disabled).",
            field="application",
        )
    roles = list(Role.objects.filter(name__in=role_names))
    missing = set(role_names) - {role.name for role in roles}
    if missing:
        raise ServiceError(
            f"Unknown roles: {', '.join(sorted(missing))}. Import the tenant's roles first.",
            field="roles",
        )
    if organization.invitations.filter(
        email=email, status__in=[InvitationStatus.PENDING, InvitationStatus.SENT]
    ).exists():
        raise ServiceError(f"{email} already has an open invitation.", field="email")
    link = _database_link(organization)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        inviter_name=inviter_name(actor),
        application=application,
        connection=link.connection if link else None,
        uses_ticket=organization.membership_model == MembershipModel.OWN_DATABASE,
        ttl_seconds=ttl_seconds,
    )
    invitation.roles.set(roles)
    parent = (
        open_operation_for(link, "organization_connection") if link else None
    ) or awaited_create(organization, "organization.create")
    record_operation(
        kind="invitation.send",
        target=invitation,
        organization=organization,
        depends_on=parent,
        actor=actor,
    )
    audit(
        actor=actor,
        action="invitation.create",
        organization=organization,
        target=email,
        roles=sorted(role_names),
    )
    return invitation


def _database_link(organization: Organization) -> OrganizationConnection | None:
    return (
        OrganizationConnection.objects.select_related("connection")
        .filter(organization=organization, connection__strategy="auth0")
        .first()
    )


@transaction.atomic
def invitation_revoke(*, actor: User | None, invitation: Invitation) -> Invitation:
    if invitation.status not in (InvitationStatus.PENDING, InvitationStatus.SENT):
        raise ServiceError(f"This invitation is {invitation.get_status_display().lower()}.")
    invitation.status = InvitationStatus.REVOKED
    invitation.save(update_fields=["status", "updated_at"])
    # Waits on nothing: a send still queued finds the invitation revoked and does
    # nothing, and one running holds the target's lock until it is done.
    record_operation(
        kind="invitation.revoke",
        target=invitation,
        organization=invitation.organization,
        actor=actor,
    )
    audit(
        actor=actor,
        action="invitation.revoke",
        organization=invitation.organization,
        target=invitation.email,
    )
    return invitation


@transaction.atomic
def invitation_resend(*, actor: User | None, invitation: Invitation) -> Invitation:
    """Revoke this invitation and send a fresh one with the same roles. A ticket
    invitation's user is kept: the new invitation adopts them and mails a new ticket."""
    if invitation.status in (InvitationStatus.PENDING, InvitationStatus.SENT):
        if invitation.uses_ticket:
            invitation.status = InvitationStatus.REVOKED
            invitation.save(update_fields=["status", "updated_at"])
        else:
            invitation_revoke(actor=actor, invitation=invitation)
    elif invitation.status == InvitationStatus.ACCEPTED:
        raise ServiceError("This invitation was accepted already.")
    return invitation_create(
        actor=actor,
        organization=invitation.organization,
        email=invitation.email,
        role_names=[role.name for role in invitation.roles.all()],
        application=invitation.application,
        ttl_seconds=invitation.ttl_seconds,
    )
