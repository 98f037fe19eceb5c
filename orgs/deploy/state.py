"""What the portal wants, as plain comparable specs: one per organization, owned
connection and role. Export renders these to files; plan reads files back into the same
shape and compares field by field."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from orgs.deploy.layout import DATABASE_FLAGS, ENTERPRISE_FLAGS, keyword, placeholder
from orgs.models import (
    ApplicationURL,
    Connection,
    ConnectionApplication,
    Organization,
    OrganizationConnection,
    OrgStatus,
    Role,
)
from orgs.models.connections import Strategy
from orgs.services.enterprise_connections import connection_secret_keys

Spec = dict[str, Any]
MANAGED_STATES = (OrgStatus.PENDING, OrgStatus.ACTIVE, OrgStatus.SUSPENDED)


@dataclass
class Desired:
    """Organizations, their own connections and the roles, by name."""

    organizations: dict[str, Spec] = field(default_factory=dict)
    connections: dict[str, Spec] = field(default_factory=dict)
    roles: dict[str, Spec] = field(default_factory=dict)


def managed_organizations(names: Iterable[str] = ()) -> list[Organization]:
    """Live customer organizations (the staff organization is the portal's own)."""
    orgs = Organization.objects.filter(status__in=MANAGED_STATES, is_staff_organization=False)
    wanted = list(names)
    if wanted:
        orgs = orgs.filter(name__in=wanted)
    return list(orgs.order_by("name"))


def link_flags(link_values: dict[str, Any], *, database: bool) -> dict[str, bool]:
    """The flags the portal sends for a link: Auth0 ignores show_as_button on database
    connections in the portal's use and only database connections take sign-up."""
    names = DATABASE_FLAGS if database else ENTERPRISE_FLAGS
    return {name: bool(link_values[name]) for name in names}


def portal_state(names: Iterable[str] = ()) -> Desired:
    desired = Desired()
    for org in managed_organizations(names):
        desired.organizations[org.name] = organization_spec(org)
        for connection in owned_connections(org):
            desired.connections[connection.name] = connection_spec(connection)
    for role in Role.objects.order_by("name"):
        desired.roles[role.name] = {"description": role.description}
    return desired


def owned_connections(org: Organization) -> list[Connection]:
    return list(org.owned_connections.filter(deleted_at=None).order_by("name"))


def organization_spec(org: Organization) -> Spec:
    links = OrganizationConnection.objects.filter(organization=org).select_related("connection")
    urls: dict[str, dict[str, list[str]]] = {}
    rows = ApplicationURL.objects.filter(organization=org, removing=False).select_related(
        "application"
    )
    for row in rows:
        urls.setdefault(row.application.name, {}).setdefault(row.kind, []).append(row.url)
    return {
        "display_name": org.display_name,
        "logo_url": org.logo_url,
        "primary_color": org.primary_color,
        "page_background_color": org.page_background_color,
        "metadata": dict(org.metadata),
        "status": "suspended" if org.status == OrgStatus.SUSPENDED else "active",
        "membership_model": org.membership_model,
        "owned_connections": sorted(c.name for c in owned_connections(org)),
        "connections": {
            link.connection.name: link_flags(
                {
                    "assign_membership_on_login": link.assign_membership_on_login,
                    "show_as_button": link.show_as_button,
                    "is_signup_enabled": link.is_signup_enabled,
                },
                database=link.connection.is_database,
            )
            for link in links
        },
        "application_urls": {
            app: {kind: sorted(values) for kind, values in kinds.items()}
            for app, kinds in urls.items()
        },
    }


def connection_spec(connection: Connection) -> Spec:
    options = dict(connection.options)
    for key in connection_secret_keys(connection):  # names only: values stay encrypted
        options[key] = placeholder(keyword(connection.name, key))
    clients = ConnectionApplication.objects.filter(connection=connection).select_related(
        "application"
    )
    return {
        "strategy": connection.strategy,
        # Auth0 answers a connection's name when it has no display name.
        "display_name": connection.display_name or connection.name,
        "options": options,
        "enabled_clients": sorted(link.application.name for link in clients),
        "is_domain_connection": connection.is_domain_connection,
        "organization": connection.organization.name if connection.organization else "",
    }


def is_database(strategy: str) -> bool:
    return strategy == Strategy.DATABASE
