"""Which handler runs each kind of operation: the one list of everything the engine does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orgs.auth0.errors import Auth0Error
from orgs.models import SyncOperation
from orgs.sync.handlers import (
    applications,
    connections,
    domains,
    organizations,
    people,
    scim,
    users,
)

Handler = Callable[[SyncOperation], dict[str, Any]]

HANDLERS: dict[str, Handler] = {
    "organization.create": organizations.create,
    "organization.update": organizations.update,
    "organization.delete": organizations.delete,
    "organization_connection.sync": connections.sync_organization_connection,
    "connection.create": connections.create_connection,
    "connection.update": connections.update_connection,
    "connection.delete": connections.delete_connection,
    "connection_application.sync": connections.sync_connection_application,
    "organization_domains.sync": domains.sync_discovery_domains,
    "application_urls.sync": applications.sync_application_urls,
    "invitation.send": people.send_invitation,
    "invitation.revoke": people.revoke_invitation,
    "member.sync_roles": people.sync_member_roles,
    "member.remove": people.remove_member,
    "user.block": users.block,
    "user.unblock": users.unblock,
    "user.sign_out": users.sign_out,
    "user.password_reset": users.password_reset,
    "user.create": users.create_account,
    "user.delete": users.delete_account,
    "scim.configure": scim.configure,
}


def handler_for(kind: str) -> Handler:
    handler = HANDLERS.get(kind)
    if handler is None:
        raise Auth0Error(f"No handler for operation kind {kind!r}.", code="unknown_kind")
    return handler
