"""Recording versions: after every audited change to an organization's configuration,
inside the change's own transaction, a snapshot becomes the next version unless it equals
the latest (a save that changed nothing makes no version)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

from orgs.history.snapshot import organization_snapshot
from orgs.models import AuditEvent, Organization, OrganizationVersion, OrgStatus

# The audited actions that change what a snapshot holds (orgs/services: organizations,
# connections, applications), and the restore that records its own changes as one version.
CONFIGURATION_ACTIONS = frozenset(
    {
        "organization.create",
        "organization.update",
        "organization.restore",
        "organization_connection.enable",
        "organization_connection.update",
        "organization_connection.disable",
        "application_url.add",
        "application_url.remove",
    }
)

# Organizations whose changes are being made as one (a restore): their events record no
# version of their own; the closing event records one for all of them.
_grouped: ContextVar[frozenset[int]] = ContextVar("history_grouped", default=frozenset())


@contextmanager
def one_version_for(organization: Organization) -> Iterator[None]:
    """Inside the block, the organization's audited changes record no version; the caller
    records one afterwards (its closing audit event, outside the block)."""
    token = _grouped.set(_grouped.get() | {organization.pk})
    try:
        yield
    finally:
        _grouped.reset(token)


def record_version_after(event: AuditEvent) -> OrganizationVersion | None:
    """The audit trail's hook (orgs.services.audit.audit): a new version when `event`
    changed the configuration of its organization."""
    org = event.organization
    if event.action not in CONFIGURATION_ACTIONS or org is None or part_of_larger_change(event):
        return None
    return record_version(org, event=event, actor_label=event.actor_label)


def part_of_larger_change(event: AuditEvent) -> bool:
    """The event is one step of a change whose closing event speaks for it: a restore's
    (one_version_for), or organization_create's own connection (it audits that first)."""
    org = event.organization
    if org is None:
        return False
    if org.pk in _grouped.get():
        return True
    return event.action != "organization.create" and _inside_its_create(org)


def _inside_its_create(org: Organization) -> bool:
    """organization_create has saved the row but not yet audited it."""
    if org.auth0_id or org.versions.exists():
        return False
    return not org.audit_events.filter(action="organization.create").exists()


@transaction.atomic
def record_version(
    organization: Organization, *, event: AuditEvent | None, actor_label: str
) -> OrganizationVersion | None:
    """Record the organization's configuration as its next version, unless it equals the
    latest. The organization's row lock keeps two numbering at once apart."""
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    snapshot = organization_snapshot(organization)
    latest = organization.versions.order_by("-number").first()
    if latest is not None and latest.snapshot == snapshot:
        return None
    return OrganizationVersion.objects.create(
        organization=organization,
        number=(latest.number if latest else 0) + 1,
        snapshot=snapshot,
        event=event,
        actor_label=actor_label[:255],
    )


def record_imported_versions(event: AuditEvent) -> int:
    """After a tenant import: a version for every live organization whose configuration
    the import brought in or changed (what Auth0 held, changed outside the portal).
    Returns how many were recorded."""
    live = Organization.objects.exclude(status__in=[OrgStatus.DELETING, OrgStatus.DELETED])
    recorded = 0
    for org in live.order_by("pk"):
        recorded += record_version(org, event=event, actor_label=event.actor_label) is not None
    return recorded
