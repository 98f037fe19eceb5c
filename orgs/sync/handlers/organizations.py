from __future__ import annotations

from typing import Any

from django.utils import timezone

from orgs.auth0.errors import Auth0Error
from orgs.auth0.operations import clients, connections, organizations
from orgs.models import (
    ApplicationURL,
    OpState,
    Organization,
    OrganizationConnection,
    OrgStatus,
    SyncOperation,
)
from orgs.sync.handlers import handles
from orgs.sync.handlers.applications import wanted_elsewhere
from orgs.sync.runner_support import cover_operations

MAX_INLINE = 10  # Auth0 accepts at most 10 enabled connections on create


def _organization(op: SyncOperation) -> Organization:
    org = Organization.objects.filter(pk=op.target_pk).first()
    if org is None:
        raise Auth0Error("The organization no longer exists in the portal.", code="gone")
    return org


@handles("organization.create")
def create(op: SyncOperation) -> dict[str, Any]:
    """Create the organization with the connections waiting on it enabled in the same
    call: one request instead of one per connection, in a tighter rate-limit bucket."""
    org = _organization(op)
    if org.auth0_id:
        return update(op)
    if not org.is_live:
        return {"skipped": "deleted before it was created"}  # the delete finds nothing
    # The waiting link operations are read before the links: any change recorded after
    # this read has its own later operation, which will still run.
    waiting = list(
        SyncOperation.objects.filter(
            depends_on=op, state=OpState.QUEUED, kind="organization_connection.sync"
        )
    )
    links = list(
        OrganizationConnection.objects.filter(
            organization=org,
            connection_id__in=[w.payload["connection_id"] for w in waiting],
            connection__auth0_id__isnull=False,
        ).select_related("connection")
    )[:MAX_INLINE]
    created = organizations.create_organization(
        name=org.name,
        display_name=org.display_name,
        branding=org.branding(),
        metadata=org.metadata,
        portal_id=str(org.portal_id),
        enabled_connections=[
            {"connection_id": link.connection.auth0_id, **link.flags()} for link in links
        ],
    )
    Organization.objects.filter(pk=org.pk).update(auth0_id=created["id"])
    Organization.objects.filter(pk=org.pk, status=OrgStatus.PENDING).update(status=OrgStatus.ACTIVE)
    covered = []
    if created["created"]:  # an adopted organization may lack them: let the ops run
        inline = {link.connection_id for link in links}
        covered = [w for w in waiting if w.payload["connection_id"] in inline]
        cover_operations(covered, by=op)
    return {"auth0_id": created["id"], "inline_connections": len(covered)}


@handles("organization.update")
def update(op: SyncOperation) -> dict[str, Any]:
    org = _organization(op)
    if not org.auth0_id:
        raise Auth0Error(
            "The organization has not been created in Auth0 yet.",
            code="not_created",
            retryable=True,
        )
    organizations.update_organization(
        org.auth0_id,
        name=org.name,
        display_name=org.display_name,
        branding=org.branding(),
        metadata=org.metadata,
        removed_metadata_keys=list(op.payload.get("removed_keys", [])),
        portal_id=str(org.portal_id),
    )
    return {"auth0_id": org.auth0_id}


@handles("organization.delete")
def delete(op: SyncOperation) -> dict[str, Any]:
    """Take everything the organization owns out of Auth0, then the organization itself.
    Each step tolerates having been done already, so a retry resumes where it stopped."""
    org = _organization(op)
    removed_urls = _remove_application_urls(org)
    auth0_id = org.auth0_id or _created_but_unrecorded(org)
    if auth0_id:
        organizations.delete_organization(auth0_id)
    deleted_connections = []
    for connection in org.owned_connections.filter(deleted_at=None):
        if connection.auth0_id:
            connections.delete_connection(connection.auth0_id)
        connection.deleted_at = timezone.now()
        connection.save(update_fields=["deleted_at"])
        deleted_connections.append(connection.name)
    OrganizationConnection.objects.filter(organization=org).delete()
    Organization.objects.filter(pk=org.pk).update(status=OrgStatus.DELETED)
    return {"removed_urls": removed_urls, "deleted_connections": deleted_connections}


def _created_but_unrecorded(org: Organization) -> str | None:
    """A create that gave up after a lost response may still have created it: ours only
    if it carries our portal id."""
    found = organizations.find_organization(org.name)
    if found and (found.get("metadata") or {}).get("portal_id") == str(org.portal_id):
        return str(found["id"])
    return None


def _remove_application_urls(org: Organization) -> int:
    removed = 0
    rows = ApplicationURL.objects.filter(organization=org).select_related("application")
    by_client: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        if not wanted_elsewhere(row):  # the organization itself is no longer live
            by_client.setdefault(row.application.client_id, {}).setdefault(row.kind, []).append(
                row.url
            )
    for client_id, remove in by_client.items():
        clients.change_client_urls(client_id, add={}, remove=remove)
        removed += sum(len(urls) for urls in remove.values())
    rows.delete()
    return removed
