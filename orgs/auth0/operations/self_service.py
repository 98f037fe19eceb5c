"""Auth0 Self-Service SSO: profiles and the SSO access tickets issued from them.

Synchronous calls made from a staff page, not sync operations: a ticket's URL exists only
in the response to its creation (Auth0 never shows it again), so there is nothing a retry
could recover. They still go through the shared client, so the rate limiter and the
token cache apply as to every other call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from orgs.auth0.client import as_dict, auth0_call, management_client
from orgs.auth0.errors import Auth0Error


@dataclass(frozen=True)
class IssuedTicket:
    """The bearer URL (show it once, never store it) and the ticket id inside it."""

    url: str
    ticket_id: str


def list_profiles() -> list[dict[str, Any]]:
    """Every self-service profile of the tenant (Auth0 allows at most 20)."""
    with auth0_call():
        pager = management_client().self_service_profiles.list(per_page=100)
        return [as_dict(item) for item in pager]


def create_profile(
    *, name: str, allowed_strategies: Sequence[str], user_attributes: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    with auth0_call():
        created = management_client().self_service_profiles.create(
            name=name,
            allowed_strategies=list(allowed_strategies),
            user_attributes=list(user_attributes),
        )
    return as_dict(created)


def create_sso_ticket(
    profile_id: str,
    *,
    connection_name: str,
    organization_id: str,
    ttl_sec: int,
    domain_verification: str,
    pending_domains: Sequence[str] = (),
    enabled_clients: Sequence[str] = (),
) -> IssuedTicket:
    """A ticket that creates connection `connection_name`, enabled on the organization."""
    domains: dict[str, Any] = {"domain_verification": domain_verification}
    if pending_domains and domain_verification != "none":
        domains["pending_domains"] = list(pending_domains)
    with auth0_call():
        made = management_client().self_service_profiles.sso_ticket.create(
            profile_id,
            connection_config={"name": connection_name},
            enabled_organizations=[{"organization_id": organization_id}],
            enabled_clients=list(enabled_clients),
            ttl_sec=ttl_sec,
            domain_aliases_config=domains,
        )
    url = str(made.ticket or "")
    return IssuedTicket(url=url, ticket_id=ticket_id_of(url))


def revoke_sso_ticket(profile_id: str, ticket_id: str) -> None:
    """Auth0 answers 202 whether or not the ticket still exists: revoking twice is fine."""
    with auth0_call():
        management_client().self_service_profiles.sso_ticket.revoke(profile_id, ticket_id)


def ticket_id_of(url: str) -> str:
    """The ticket id in Auth0's URL (`.../self-service/connections-flow?ticket=<id>`)."""
    found = parse_qs(urlsplit(url).query).get("ticket")
    if not found or not found[0]:
        raise Auth0Error("Auth0 answered without a ticket.", status=502, code="no_ticket")
    return found[0]
