"""Who a verified ID token makes someone: staff admin, customer admin of one organization, or
nobody. The organization in the token pins a customer admin's session to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from orgs.models import Member, Organization, OrgStatus

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
