from __future__ import annotations

from typing import Any

from django.utils import timezone

from orgs.auth0.operations import connections, organizations
from orgs.models import (
    Application,
    Connection,
    ConnectionApplication,
    Organization,
    OrganizationConnection,
    OrgStatus,
    SyncOperation,
)
from orgs.sync.fencing import guarded_writes
from orgs.sync.handlers import require_auth0_id


def sync_organization_connection(op: SyncOperation) -> dict[str, Any]:
    """Enabled with our flags while the row exists and the organization is active;
    disabled otherwise (removed, suspended, deleting)."""
    org = Organization.objects.get(pk=op.payload["organization_id"])
    connection = Connection.objects.get(pk=op.payload["connection_id"])
    link = OrganizationConnection.objects.filter(organization=org, connection=connection).first()
    never_created = org.auth0_id is None or connection.auth0_id is None
    if never_created and (link is None or org.status != OrgStatus.ACTIVE):
        return {"enabled": False}  # never reached Auth0: nothing to undo
    org_id, connection_id = require_auth0_id(org), require_auth0_id(connection)
    if link is not None and org.status == OrgStatus.ACTIVE:
        organizations.enable_connection(org_id, connection_id, link.flags())
        return {"enabled": True, **link.flags()}
    organizations.disable_connection(org_id, connection_id)
    return {"enabled": False}


def create_connection(op: SyncOperation) -> dict[str, Any]:
    connection = Connection.objects.get(pk=op.target_pk)
    if connection.auth0_id:
        return update_connection(op)
    created = connections.create_connection(
        name=connection.name,
        strategy=connection.strategy,
        display_name=connection.display_name,
        options=_options(connection),
        is_domain_connection=connection.is_domain_connection,
        portal_id=str(connection.portal_id),
    )
    with guarded_writes():
        Connection.objects.filter(pk=connection.pk).update(auth0_id=created["id"])
    return {"auth0_id": created["id"]}


def update_connection(op: SyncOperation) -> dict[str, Any]:
    connection = Connection.objects.get(pk=op.target_pk)
    connections.update_connection(
        require_auth0_id(connection),
        display_name=connection.display_name,
        options=_options(connection),
        removed_option_keys=list(op.payload.get("removed_keys", [])),
    )
    return {"auth0_id": connection.auth0_id}


def delete_connection(op: SyncOperation) -> dict[str, Any]:
    connection = Connection.objects.get(pk=op.target_pk)
    if connection.auth0_id:
        connections.delete_connection(connection.auth0_id)
    with guarded_writes():
        Connection.objects.filter(pk=connection.pk).update(deleted_at=timezone.now())
    return {"deleted": connection.name}


def sync_connection_application(op: SyncOperation) -> dict[str, Any]:
    connection = Connection.objects.get(pk=op.payload["connection_id"])
    application = Application.objects.get(pk=op.payload["application_id"])
    wanted = ConnectionApplication.objects.filter(
        connection=connection, application=application
    ).exists()
    connections.set_connection_clients(
        require_auth0_id(connection), {application.client_id: wanted}
    )
    return {"enabled": wanted}


def _options(connection: Connection) -> dict[str, Any]:
    from orgs.secrets import decrypt_options

    return {**connection.options, **decrypt_options(connection.encrypted_secrets)}
