"""Auth0 Self-Service SSO tickets, the alternative to the portal's own setup wizard: staff
issue Auth0's ticket for an organization and hand its URL to the customer's IT contact,
who sets up the connection on Auth0's own pages.

The URL is a bearer link (whoever holds it can create a connection on the organization),
so it is returned once to the caller and never stored; the portal keeps the ticket id,
which is all revoking needs. Every failure comes back as a ServiceError in plain words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from idp_selfservice.models import SsoTicket
from idp_selfservice.services import organization_applications, verified_domains
from orgs.auth0.errors import Auth0Error, RateLimited
from orgs.auth0.operations import self_service as auth0_self_service
from orgs.models import Connection, Organization
from orgs.services import ServiceError
from orgs.services.audit import audit
from portal.models import User

# Auth0's list for self-service profiles, in the order the form shows them.
STRATEGIES: dict[str, str] = {
    "oidc": "OpenID Connect",
    "samlp": "SAML",
    "waad": "Microsoft Entra ID",
    "google-apps": "Google Workspace",
    "adfs": "ADFS",
    "okta": "Okta",
    "keycloak-samlp": "Keycloak (SAML)",
    "pingfederate": "PingFederate",
}
# The attributes a profile may ask the IdP for; email is always required.
ATTRIBUTES: dict[str, str] = {
    "email": "Email address",
    "given_name": "Given name",
    "family_name": "Family name",
}
DOMAIN_VERIFICATION = ("none", "optional", "required")
DEFAULT_TTL_DAYS = 5
MAX_TTL_DAYS = 5  # Auth0's maximum for ttl_sec is 432000 seconds
NAME_TRIES = 3

T = TypeVar("T")


@dataclass(frozen=True)
class Issued:
    """A ticket just issued: the record, and the URL to show once."""

    ticket: SsoTicket
    url: str


def profiles() -> list[dict[str, Any]]:
    return _calling(auth0_self_service.list_profiles, "read the self-service profiles")


def create_profile(
    *, actor: User | None, name: str, strategies: Sequence[str], attributes: Sequence[str]
) -> dict[str, Any]:
    """A self-service profile with the given strategies; email is always asked for."""
    unknown = [s for s in strategies if s not in STRATEGIES]
    if not name.strip():
        raise ServiceError("Give the profile a name.", field="name")
    if not strategies or unknown:
        raise ServiceError("Pick at least one identity provider type.", field="strategies")
    wanted = ["email", *[a for a in attributes if a in ATTRIBUTES and a != "email"]]
    user_attributes = [
        {"name": a, "description": ATTRIBUTES[a], "is_optional": a != "email"} for a in wanted
    ]
    created = _calling(
        lambda: auth0_self_service.create_profile(
            name=name.strip(), allowed_strategies=strategies, user_attributes=user_attributes
        ),
        "create the self-service profile",
        conflict="Auth0 allows at most 20 self-service profiles: pick an existing one.",
    )
    audit(
        actor=actor,
        action="sso_profile.create",
        target=created.get("id", ""),
        name=name,
        strategies=list(strategies),
    )
    return created


def issue_ticket(
    *,
    actor: User | None,
    organization: Organization,
    profile_id: str,
    domain_verification: str = "none",
    ttl_days: int = DEFAULT_TTL_DAYS,
) -> Issued:
    """Issue Auth0's ticket for a new connection enabled on `organization`."""
    if not organization.auth0_id:
        raise ServiceError(
            f"{_name(organization)} is not in Auth0 yet, so no ticket can be issued."
        )
    if domain_verification not in DOMAIN_VERIFICATION:
        raise ServiceError("Choose how domains are checked.", field="domain_verification")
    if not 1 <= ttl_days <= MAX_TTL_DAYS:
        raise ServiceError(
            f"A ticket can last 1 to {MAX_TTL_DAYS} days (Auth0's limit).", field="ttl_days"
        )
    if not profile_id:
        raise ServiceError("Pick a self-service profile, or create one.", field="profile_id")
    made, name = _create_with_free_name(organization, profile_id, domain_verification, ttl_days)
    record = SsoTicket.objects.create(
        organization=organization,
        profile_id=profile_id,
        ticket_id=made.ticket_id,
        connection_name=name,
        domain_verification=domain_verification,
        expires_at=timezone.now() + timedelta(days=ttl_days),
        issued_by=actor,
    )
    audit(
        actor=actor,
        action="sso_ticket.issue",
        organization=organization,
        target=name,
        profile_id=profile_id,
        domain_verification=domain_verification,
        ttl_days=ttl_days,
    )
    return Issued(ticket=record, url=made.url)


def _create_with_free_name(
    organization: Organization, profile_id: str, domain_verification: str, ttl_days: int
) -> tuple[auth0_self_service.IssuedTicket, str]:
    """Auth0 refuses a ticket whose connection name is taken (409): try the next name."""
    names = _free_names(organization)
    applications = organization_applications(organization).values_list("client_id", flat=True)
    for attempt, name in enumerate(names, start=1):
        try:
            made = auth0_self_service.create_sso_ticket(
                profile_id,
                connection_name=name,
                organization_id=str(organization.auth0_id),
                ttl_sec=ttl_days * 86_400,
                domain_verification=domain_verification,
                pending_domains=verified_domains(organization),
                enabled_clients=list(applications),
            )
        except Auth0Error as exc:
            if exc.status == 409 and attempt < len(names):
                continue
            raise ServiceError(_words(exc, "issue the ticket")) from exc
        return made, name
    raise ServiceError("No free connection name was found for the ticket.")  # pragma: no cover


def _free_names(organization: Organization, tries: int = NAME_TRIES) -> list[str]:
    """`<org>-sso-ticket`, `-2`, ...: names neither the portal nor a ticket has used."""
    base = re.sub(r"[^a-zA-Z0-9]+", "-", organization.name).strip("-")[:100] or "org"
    taken = set(Connection.objects.values_list("name", flat=True))
    taken |= set(SsoTicket.objects.values_list("connection_name", flat=True))
    names: list[str] = []
    n = 1
    while len(names) < tries:
        name = f"{base}-sso-ticket" + (f"-{n}" if n > 1 else "")
        if name not in taken:
            names.append(name)
        n += 1
    return names


def revoke_ticket(*, actor: User | None, ticket: SsoTicket) -> SsoTicket:
    """Revoke in Auth0 first: the record says revoked only once Auth0 agreed."""
    if ticket.revoked_at is not None:
        raise ServiceError("This ticket is already revoked.")
    _calling(
        lambda: auth0_self_service.revoke_sso_ticket(ticket.profile_id, ticket.ticket_id),
        "revoke the ticket",
    )
    with transaction.atomic():
        ticket.revoked_at = timezone.now()
        ticket.revoked_by = actor
        ticket.save(update_fields=["revoked_at", "revoked_by"])
        audit(
            actor=actor,
            action="sso_ticket.revoke",
            organization=ticket.organization,
            target=ticket.connection_name,
        )
    return ticket


def ticket_state(ticket: SsoTicket) -> str:
    if ticket.revoked_at is not None:
        return "Revoked"
    if ticket.expires_at <= timezone.now():
        return "Expired"
    return "Usable"


def _calling(call: Callable[[], T], doing: str, conflict: str = "") -> T:
    try:
        return call()
    except Auth0Error as exc:
        raise ServiceError(_words(exc, doing, conflict)) from exc


def _words(exc: Auth0Error, doing: str, conflict: str = "") -> str:
    """What went wrong, for a person: never Auth0's own message."""
    if isinstance(exc, RateLimited) or exc.status == 429:
        return f"Auth0 is busy right now, so the portal could not {doing}. Try again in a minute."
    if exc.status == 404:
        return (
            f"The portal could not {doing}: Auth0 no longer has that self-service profile "
            "or this organization. Reload the page and try again."
        )
    if exc.status == 409 and conflict:
        return conflict
    if exc.status == 409:
        return f"The portal could not {doing}: Auth0 already has a connection with that name."
    if exc.status == 400:
        return f"Auth0 refused the request, so the portal could not {doing}."
    return f"Auth0 could not be reached, so the portal could not {doing}. Try again shortly."


def _name(organization: Organization) -> str:
    return organization.display_name or organization.name
