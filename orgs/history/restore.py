"""Restore an earlier version: the changes from the current configuration to that
version's, recorded through the ordinary services (so each is an audited operation with
live status), in one transaction, closed by one `organization.restore` event that records
the result as a new version. Restoring the version before it undoes the restore.

The target is a snapshot: a recorded version's (live mode) or one read back from a
commit of the organization config repository (orgs.repository.history)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from orgs.history.diff import describe_changes
from orgs.history.record import one_version_for
from orgs.history.snapshot import (
    BRANDING_FIELDS,
    FLAG_FIELDS,
    Snapshot,
    application_urls_of,
    organization_snapshot,
)
from orgs.models import (
    Application,
    ApplicationURL,
    Connection,
    Organization,
    OrganizationConnection,
    OrganizationVersion,
)
from orgs.models.applications import UrlKind
from orgs.services.applications import application_url_add, application_url_remove
from orgs.services.audit import audit
from orgs.services.connections import (
    organization_connection_disable,
    organization_connection_enable,
    organization_connection_update,
)
from orgs.services.errors import ServiceError
from orgs.services.organizations import organization_update
from portal.models import User


@dataclass(frozen=True)
class RestorePlan:
    """What restoring `version` would change, and what it needs that must still exist."""

    version: OrganizationVersion | None  # None: a snapshot from a repository commit
    current: Snapshot
    target: Snapshot
    changes: list[str]
    connections: dict[str, Connection]  # by name: every connection the version enables
    applications: dict[str, Application]  # by client_id: every application it has URLs on
    label: str = ""  # "Version 3", "Commit 1a2b3c4": how messages name the target


def plan_restore(organization: Organization, version: OrganizationVersion) -> RestorePlan:
    """The changes restoring `version` records, in words; a ServiceError saying why when
    it cannot come back (the organization is deleted, or something it needs is gone)."""
    if version.organization_id != organization.pk:
        raise ServiceError("That version belongs to another organization.")
    return plan_snapshot_restore(
        organization, version.snapshot, label=f"Version {version.number}", version=version
    )


def plan_snapshot_restore(
    organization: Organization,
    target: Snapshot,
    *,
    label: str,
    version: OrganizationVersion | None = None,
) -> RestorePlan:
    """plan_restore for any snapshot; `label` names it in messages ("Commit 1a2b3c4")."""
    if not organization.is_live:
        raise ServiceError(
            f"{organization} has been deleted: its versions can no longer be restored."
        )
    current = organization_snapshot(organization)
    changes = describe_changes(current, target)
    if not changes:
        raise ServiceError(
            f"{organization} already matches {label[:1].lower()}{label[1:]}: "
            "there is nothing to restore."
        )
    return RestorePlan(
        version=version,
        current=current,
        target=target,
        changes=changes,
        connections=_connections_needed(target, label),
        applications=_applications_needed(target, label),
        label=label,
    )


def _connections_needed(target: Snapshot, label: str) -> dict[str, Connection]:
    names = sorted(target["connections"])
    found = {c.name: c for c in Connection.objects.filter(name__in=names, deleted_at=None)}
    missing = [name for name in names if name not in found]
    if missing:
        raise ServiceError(
            f"{label} cannot come back: the connection {', '.join(missing)} no "
            "longer exists. Create it again first, or restore another version."
        )
    return found


def _applications_needed(target: Snapshot, label: str) -> dict[str, Application]:
    wanted = target["application_urls"]
    found = {a.client_id: a for a in Application.objects.filter(client_id__in=list(wanted))}
    missing = [wanted[cid].get("name") or cid for cid in sorted(wanted) if cid not in found]
    if missing:
        raise ServiceError(
            f"{label} cannot come back: the application {', '.join(missing)} is no "
            "longer in the tenant. Restore another version."
        )
    return found


@transaction.atomic
def restore_version(
    *, actor: User | None, organization: Organization, version: OrganizationVersion
) -> OrganizationVersion:
    """Record, through the services, the changes that bring the organization back to
    `version`; audited as `organization.restore`. Returns the new version it makes."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    plan = plan_restore(org, version)
    _record_restore(actor, org, plan, restored_version=version.number)
    latest = org.versions.order_by("-number").first()
    assert latest is not None  # `version` itself, at least
    return latest


@transaction.atomic
def restore_snapshot(
    *,
    actor: User | None,
    organization: Organization,
    snapshot: Snapshot,
    label: str,
    **details: Any,
) -> list[str]:
    """restore_version for a snapshot that is no recorded version (a repository commit's):
    the same services, audited as `organization.restore` with `details`. Returns the
    changes recorded, in words."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    plan = plan_snapshot_restore(org, snapshot, label=label)
    _record_restore(actor, org, plan, **details)
    return plan.changes


def _record_restore(
    actor: User | None, org: Organization, plan: RestorePlan, **details: Any
) -> None:
    with one_version_for(org):
        _restore_settings(actor, org, plan)
        _restore_connections(actor, org, plan)
        _restore_urls(actor, org, plan)
    # The audit hook records the result as the next version (orgs.history.record).
    audit(
        actor=actor,
        action="organization.restore",
        organization=org,
        target=org.name,
        changes=plan.changes,
        **details,
    )


def _restore_settings(actor: User | None, org: Organization, plan: RestorePlan) -> None:
    current, target = plan.current, plan.target
    changes: dict[str, Any] = {}
    if current["display_name"] != target["display_name"]:
        changes["display_name"] = target["display_name"]
    for field in BRANDING_FIELDS:
        if current["branding"].get(field, "") != target["branding"].get(field, ""):
            changes[field] = target["branding"].get(field, "")
    if current["metadata"] != target["metadata"]:
        changes["metadata"] = dict(target["metadata"])
    if changes:
        organization_update(actor=actor, organization=org, **changes)


def _restore_connections(actor: User | None, org: Organization, plan: RestorePlan) -> None:
    current, target = plan.current["connections"], plan.target["connections"]
    links = {
        link.connection.name: link
        for link in OrganizationConnection.objects.filter(organization=org).select_related(
            "connection", "organization"
        )
    }
    # Disable first: an organization has at most ten connections enabled at once.
    for name in sorted(set(current) - set(target)):
        organization_connection_disable(actor=actor, link=links[name])
    for name in sorted(set(current) & set(target)):
        if current[name] != target[name]:
            flags = {flag: bool(target[name].get(flag)) for flag in FLAG_FIELDS}
            organization_connection_update(actor=actor, link=links[name], **flags)
    for name in sorted(set(target) - set(current)):
        flags = {flag: bool(target[name].get(flag)) for flag in FLAG_FIELDS}
        organization_connection_enable(
            actor=actor, organization=org, connection=plan.connections[name], **flags
        )


def _restore_urls(actor: User | None, org: Organization, plan: RestorePlan) -> None:
    current, target = plan.current["application_urls"], plan.target["application_urls"]
    for client_id in sorted(set(current) | set(target)):
        was = application_urls_of(current.get(client_id, {}))
        wanted = application_urls_of(target.get(client_id, {}))
        for kind in UrlKind.values:
            gone = set(was.get(kind, [])) - set(wanted.get(kind, []))
            rows = ApplicationURL.objects.filter(
                organization=org, application__client_id=client_id, kind=kind, removing=False
            ).select_related("organization", "application")
            for row in rows.filter(url__in=gone).order_by("url"):
                application_url_remove(actor=actor, row=row)
            for url in sorted(set(wanted.get(kind, [])) - set(was.get(kind, []))):
                application_url_add(
                    actor=actor,
                    organization=org,
                    application=plan.applications[client_id],
                    kind=kind,
                    url=url,
                )
