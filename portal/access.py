"""Who a verified ID token makes someone: staff admin, customer admin of one organization, or
nobody. The organization in the token pins a customer admin's session to it.

A customer login first reads the person's roles in that organization from Auth0 (one call)
and brings the local `Member` row in step: someone who joined through an invitation, or
whose roles were changed in Auth0's dashboard, is otherwise unknown to the portal until the
next import. The per-request re-check (portal.middleware) stays local and so agrees with
what login just wrote."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orgs.auth0.errors import Auth0Error
from orgs.auth0.operations import members as auth0_members
from orgs.models import OPEN_STATES, Member, Organization, OrgStatus, Role, SyncOperation, SyncState
from portal.sessions import forget_access

log = logging.getLogger(__name__)

ADMIN_ROLE = "org-admin"


@dataclass(frozen=True)
class Access:
    is_staff: bool = False
    organization: Organization | None = None
    denied_reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.is_staff or self.organization is not None


def resolve_access(claims: dict[str, Any]) -> Access:
    org_id, org_name = claims.get("org_id"), claims.get("org_name")
    if _is_staff(claims, org_id, org_name):
        return Access(is_staff=True)
    if not org_id:
        return Access(denied_reason="Sign in through your organization to use the portal.")
    organization = Organization.objects.filter(auth0_id=org_id).first()
    if organization is not None and organization.is_live:
        refresh_membership(organization, claims)
    reason = customer_admin_refusal(organization, str(claims["sub"]))
    if reason:
        return Access(denied_reason=reason)
    return Access(organization=organization)


def customer_admin_refusal(organization: Organization | None, user_sub: str) -> str:
    """Why this person may not act as a customer admin of this organization ("" if they
    may). Login and the per-request re-check (portal.middleware) ask the same question."""
    if organization is None or organization.status in (OrgStatus.DELETING, OrgStatus.DELETED):
        return "Your organization is not managed by this portal."
    if organization.status == OrgStatus.SUSPENDED:
        return "Your organization is suspended. Contact your provider."
    if not is_org_admin(organization, user_sub):
        return f"You are not an administrator of {organization}."
    return ""


def is_org_admin(organization: Organization, user_sub: str) -> bool:
    """A member (not being removed) holding the admin role: one query."""
    return Member.objects.filter(
        organization=organization, user_id=user_sub, roles__name=ADMIN_ROLE, removing=False
    ).exists()


def refresh_membership(organization: Organization, claims: dict[str, Any]) -> None:
    """Make the person's Member row say what Auth0 says about their roles. If Auth0 cannot
    be reached, the local rows decide, as they did before this read existed."""
    sub = str(claims["sub"])
    try:
        remote = auth0_members.member_roles(str(organization.auth0_id), sub)
    except Auth0Error as exc:
        log.warning("Roles of %s in %s not read from Auth0 (%s)", sub, organization, exc)
        return
    _apply_remote_roles(organization, claims, {role["id"] for role in remote})


@transaction.atomic
def _apply_remote_roles(
    organization: Organization, claims: dict[str, Any], role_ids: set[str]
) -> None:
    member, created = Member.objects.get_or_create(
        organization=organization,
        user_id=str(claims["sub"]),
        defaults={
            "email": str(claims.get("email") or ""),
            "name": str(claims.get("name") or ""),
            "sync_state": SyncState.IN_SYNC,
            "synced_at": timezone.now(),
        },
    )
    if not created and _portal_change_pending(member):
        return  # the portal's own wish is on its way to Auth0: it wins
    # A role the portal has not imported grants nothing here; the next import brings it.
    wanted = set(Role.objects.filter(auth0_id__in=role_ids).values_list("pk", flat=True))
    if wanted == set(member.roles.values_list("pk", flat=True)):
        return
    member.roles.set(wanted)
    log.info("Roles of %s in %s taken from Auth0 at login", member, organization)
    # Other sessions of this organization may hold a cached answer made before the change.
    transaction.on_commit(lambda: forget_access(organization=organization.pk))


def _portal_change_pending(member: Member) -> bool:
    """Being removed, or a role change recorded and not yet sent."""
    return member.removing or (
        SyncOperation.objects.filter(
            kind="member.sync_roles",
            target_type="member",
            target_id=member.pk,
            state__in=OPEN_STATES,
        ).exists()
    )


def _is_staff(claims: dict[str, Any], org_id: object, org_name: object) -> bool:
    staff_org = (
        Organization.objects.filter(is_staff_organization=True).exclude(auth0_id=None).first()
    )
    if org_id and staff_org is not None and org_id == staff_org.auth0_id:
        return True
    if org_name and org_name == settings.AUTH0_STAFF_ORGANIZATION and staff_org is None:
        return True
    email = str(claims.get("email", ""))
    domain = email.rpartition("@")[2].lower()
    return bool(claims.get("email_verified")) and domain in {
        d.lower() for d in settings.STAFF_EMAIL_DOMAINS
    }
