"""Which database connection an organization's users may be migrated into, or why none.

Only a connection the organization owns: a shared database connection holds other
organizations' users too, and an import there could overwrite them (with "update") or
let one organization claim another's addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

from orgs.models import Connection, Organization, OrgStatus
from orgs.models.connections import Strategy

SHARED_ONLY = (
    "This organization signs in through a database connection it shares with other "
    "organizations, so its users cannot be imported there. Staff can give it a database "
    "connection of its own first."
)
NO_DATABASE = (
    "This organization has no database connection of its own to import users into. Staff "
    "can add one on the Connections tab."
)
NOT_ACTIVE = "The organization is not active, so no users can be imported into it."
NOT_IN_AUTH0 = (
    "The connection {name} is still being created in Auth0. Try again once the Connections "
    "tab shows it in sync."
)


@dataclass(frozen=True)
class ImportTargets:
    """The connections a migration may use, or (none) the reason, in plain words."""

    connections: list[Connection]
    refusal: str = ""


def import_targets(organization: Organization) -> ImportTargets:
    if organization.status != OrgStatus.ACTIVE:
        return ImportTargets([], NOT_ACTIVE)
    own = list(
        Connection.objects.filter(
            organization=organization, strategy=Strategy.DATABASE, deleted_at__isnull=True
        ).order_by("name")
    )
    if own:
        return ImportTargets(own)
    shared = Connection.objects.filter(
        organization__isnull=True,
        strategy=Strategy.DATABASE,
        organization_links__organization=organization,
    )
    return ImportTargets([], SHARED_ONLY if shared.exists() else NO_DATABASE)


def refusal_for(organization: Organization, connection: Connection) -> str:
    """Why `connection` cannot take this organization's users now ("" when it can)."""
    targets = import_targets(organization)
    if targets.refusal:
        return targets.refusal
    if connection.pk not in {c.pk for c in targets.connections}:
        return SHARED_ONLY if connection.is_shared else NO_DATABASE
    if not connection.auth0_id:
        return NOT_IN_AUTH0.format(name=connection.name)
    return ""
