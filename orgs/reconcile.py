"""Compare what the database wants with what Auth0 has; mark drift with a readable diff,
or (`fix=True`) repair it by recording the same convergent operations a change would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from orgs.auth0.errors import Auth0Error
from orgs.auth0.operations import clients, connections, invitations, organizations
from orgs.models import (
    Application,
    ApplicationURL,
    Connection,
    Invitation,
    InvitationStatus,
    Member,
    Organization,
    OrganizationConnection,
    OrgStatus,
    SyncState,
)
from orgs.sync.outbox import record_operation


@dataclass
class Drift:
    """What differs, on the row a repair targets. `rows` are the rows that show it as
    drifted, when not the target itself (an application has no sync state of its own:
    its per-organization URLs do; a missing connection client shows on its link)."""

    target: models.Model
    what: str
    diff: dict[str, Any]
    rows: list[models.Model] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.target}: {self.what}: {self.diff}"


@dataclass
class ReconcileReport:
    checked: int = 0
    drifts: list[Drift] = field(default_factory=list)
    fixed: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "drifted": len(self.drifts),
            "fixed": self.fixed,
            "drifts": [str(d) for d in self.drifts],
        }


def reconcile(*, organization: Organization | None = None, fix: bool = False) -> ReconcileReport:
    report = ReconcileReport()
    orgs = Organization.objects.filter(status__in=[OrgStatus.ACTIVE, OrgStatus.SUSPENDED])
    orgs = orgs.exclude(auth0_id=None)
    if organization is not None:
        orgs = orgs.filter(pk=organization.pk)
    client_urls: dict[str, dict[str, list[str]]] = {}
    for org in orgs:
        report.checked += 1
        _check_organization(org, report, client_urls)
    for connection in _connections(organization):
        report.checked += 1
        _check_connection_clients(connection, report)
    for drift in report.drifts:
        _mark(drift)
        if fix:
            report.fixed += _fix(drift)
    return report


def _check_organization(
    org: Organization, report: ReconcileReport, client_urls: dict[str, dict[str, list[str]]]
) -> None:
    assert org.auth0_id
    remote = organizations.get_organization(org.auth0_id)
    if remote is None:
        report.drifts.append(Drift(org, "missing in Auth0", {"auth0_id": org.auth0_id}))
        return
    diff = _field_diff(org, remote)
    if diff:
        report.drifts.append(Drift(org, "fields differ", diff))
    _check_enabled_connections(org, report)
    _check_application_urls(org, report, client_urls)
    _check_invitations(org)


def _field_diff(org: Organization, remote: dict[str, Any]) -> dict[str, Any]:
    wanted = {
        "name": org.name,
        "display_name": org.display_name,
        "branding": org.branding() or None,
    }
    have = {
        "name": remote.get("name"),
        "display_name": remote.get("display_name"),
        "branding": remote.get("branding") or None,
    }
    diff: dict[str, Any] = {
        key: {"portal": wanted[key], "auth0": have[key]}
        for key in wanted
        if wanted[key] != have[key]
    }
    remote_metadata = remote.get("metadata") or {}
    changed = {
        k: {"portal": v, "auth0": remote_metadata.get(k)}
        for k, v in org.metadata.items()
        if remote_metadata.get(k) != v
    }
    if changed:
        diff["metadata"] = changed
    return diff


def _check_enabled_connections(org: Organization, report: ReconcileReport) -> None:
    assert org.auth0_id
    remote = {
        item["connection_id"]: item for item in organizations.list_enabled_connections(org.auth0_id)
    }
    links = OrganizationConnection.objects.filter(organization=org).select_related("connection")
    for link in links:
        item = remote.pop(link.connection.auth0_id or "", None)
        if org.status == OrgStatus.SUSPENDED:
            if item is not None:
                report.drifts.append(Drift(link, "enabled while suspended", {"enabled": True}))
            continue
        if item is None:
            report.drifts.append(Drift(link, "not enabled in Auth0", {"enabled": False}))
            continue
        flags = {
            k: {"portal": v, "auth0": item.get(k)}
            for k, v in link.flags().items()
            if item.get(k) is not None and item.get(k) != v
        }
        if flags:
            report.drifts.append(Drift(link, "flags differ", flags))
    for connection_id in remote:
        report.drifts.append(
            Drift(org, "connection enabled only in Auth0", {"connection_id": connection_id})
        )


def _check_application_urls(
    org: Organization, report: ReconcileReport, cache: dict[str, dict[str, list[str]]]
) -> None:
    rows = ApplicationURL.objects.filter(organization=org, removing=False).select_related(
        "application"
    )
    missing: dict[Application, list[ApplicationURL]] = {}
    for row in rows:
        client_id = row.application.client_id
        if client_id not in cache:
            cache[client_id] = clients.get_client_urls(client_id)
        if row.url not in cache[client_id].get(row.kind, []):
            missing.setdefault(row.application, []).append(row)
    for application, missing_rows in missing.items():
        urls = [f"{row.kind}: {row.url}" for row in missing_rows]
        report.drifts.append(
            Drift(
                application,
                f"URLs of {org.name} missing",
                {"organization_id": org.pk, "missing": urls},
                rows=list(missing_rows),
            )
        )


def _check_invitations(org: Organization) -> None:
    """Auth0 drops invitations once accepted or expired; follow that, it is not drift."""
    assert org.auth0_id
    sent = Invitation.objects.filter(
        organization=org, status=InvitationStatus.SENT, uses_ticket=False
    ).exclude(auth0_id="")
    if not sent.exists():
        return
    remote_ids = {item["id"] for item in invitations.list_invitations(org.auth0_id)}
    for invitation in sent.exclude(auth0_id__in=remote_ids):
        accepted = Member.objects.filter(organization=org, email__iexact=invitation.email)
        expired = invitation.expires_at and invitation.expires_at < timezone.now()
        status = (
            InvitationStatus.ACCEPTED
            if accepted.exists() or not expired
            else InvitationStatus.EXPIRED
        )
        Invitation.objects.filter(pk=invitation.pk).update(status=status)


def _connections(organization: Organization | None) -> models.QuerySet[Connection]:
    found = Connection.objects.filter(deleted_at=None).exclude(auth0_id=None)
    if organization is not None:
        found = found.filter(organization=organization)
    return found


def _check_connection_clients(connection: Connection, report: ReconcileReport) -> None:
    assert connection.auth0_id
    try:
        remote = connections.connection_client_ids(connection.auth0_id)
    except Auth0Error as exc:
        if exc.status != 404:  # an outage or a 429 says nothing about drift
            raise
        report.drifts.append(Drift(connection, "missing in Auth0", {}))
        return
    known = {app.client_id: app for app in Application.objects.all()}
    wanted = set(connection.application_links.values_list("application__client_id", flat=True))
    extra = {cid for cid in remote - wanted if cid in known}
    missing = wanted - remote
    if missing or extra:
        # A missing client shows on its link row, which the repair settles; an extra one
        # has no row but the connection, which its repair targets.
        rows: list[models.Model] = list(
            connection.application_links.filter(application__client_id__in=missing)
        )
        if extra:
            rows.append(connection)
        report.drifts.append(
            Drift(
                connection,
                "applications differ",
                {"missing": sorted(missing), "extra": sorted(extra)},
                rows=rows,
            )
        )


def _mark(drift: Drift) -> None:
    for row in drift.rows or [drift.target]:
        if hasattr(row, "sync_state"):
            type(row)._default_manager.filter(pk=row.pk).update(
                sync_state=SyncState.DRIFTED, drift={"what": drift.what, "diff": drift.diff}
            )


@transaction.atomic
def _fix(drift: Drift) -> int:
    target = drift.target
    if isinstance(target, Organization) and drift.what == "fields differ":
        record_operation(kind="organization.update", target=target, organization=target)
    elif isinstance(target, OrganizationConnection):
        record_operation(
            kind="organization_connection.sync",
            target=target,
            organization=target.organization,
            payload={
                "organization_id": target.organization_id,
                "connection_id": target.connection_id,
            },
        )
    elif isinstance(target, Application):
        org = Organization.objects.get(pk=drift.diff["organization_id"])
        record_operation(kind="application_urls.sync", target=target, organization=org)
    elif isinstance(target, Connection) and drift.what == "applications differ":
        _fix_connection_clients(target, drift.diff)
    else:
        return 0
    return 1


def _fix_connection_clients(connection: Connection, diff: dict[str, Any]) -> None:
    for client_id in [*diff["missing"], *diff["extra"]]:
        application = Application.objects.get(client_id=client_id)
        link_id = (
            connection.application_links.filter(application=application)
            .values_list("pk", flat=True)
            .first()
        )
        target = connection if link_id is None else connection.application_links.get(pk=link_id)
        record_operation(
            kind="connection_application.sync",
            target=target,
            organization=connection.organization,
            payload={"connection_id": connection.pk, "application_id": application.pk},
        )
