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
from orgs.sync.dependents import cover_operations
from orgs.sync.fencing import guarded_writes
from orgs.sync.handlers.applications import by_kind, wanted_elsewhere

MAX_INLINE = 10  # Auth0 accepts at most 10 enabled connections on create


def _organization(op: SyncOperation) -> Organization:
    org = Organization.objects.filter(pk=op.target_pk).first()
    if org is None:
        raise Auth0Error("The organization no longer exists in the portal.", code="gone")
    return org


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
    covered = []
    if created["created"]:  # an adopted organization may lack them: let the ops run
        inline = {link.connection_id for link in links}
        covered = [w for w in waiting if w.payload["connection_id"] in inline]
    with guarded_writes():
        Organization.objects.filter(pk=org.pk).update(auth0_id=created["id"])
        Organization.objects.filter(pk=org.pk, status=OrgStatus.PENDING).update(
            status=OrgStatus.ACTIVE
        )
        cover_operations(covered, by=op)
    return {"auth0_id": created["id"], "inline_connections": len(covered)}


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
        with guarded_writes():
            connection.deleted_at = timezone.now()
            connection.save(update_fields=["deleted_at"])
        deleted_connections.append(connection.name)
    with guarded_writes():
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
    """Drop the organization's URLs from every application, except those another live
    organization still wants, decided inside each client's lock."""
    removed: list[ApplicationURL] = []
    rows = ApplicationURL.objects.filter(organization=org)
    for application_id in sorted(set(rows.values_list("application_id", flat=True))):
        mine = list(rows.filter(application_id=application_id).select_related("application"))

        def plan(
            current: clients.URLs, mine: list[ApplicationURL] = mine
        ) -> tuple[clients.URLs, clients.URLs]:
            # The organization is no longer live, so its own rows never count as wanted.
            unwanted = [row for row in mine if not wanted_elsewhere(row)]
            removed.extend(unwanted)
            return {}, by_kind(unwanted)

        clients.change_client_urls(mine[0].application.client_id, plan=plan)
    with guarded_writes():
        rows.delete()
    return len(removed)
