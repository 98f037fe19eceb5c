"""The comparisons: one organization (its fields, enabled connections, application URLs and
invitations) and one connection's applications. Each finding goes to `report.add` as soon
as it is made. Auth0 errors propagate: a refusal or an outage says nothing about drift."""

from __future__ import annotations

from typing import Any

from django.db import models
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
)
from orgs.reconcile.report import Drift, ReconcileReport


def check_organization(org: Organization, report: ReconcileReport) -> None:
    assert org.auth0_id
    remote = organizations.get_organization(org.auth0_id)
    if remote is None:
        report.add(Drift(org, "missing in Auth0", {"auth0_id": org.auth0_id}))
        return
    diff = _field_diff(org, remote)
    if diff:
        report.add(Drift(org, "fields differ", diff))
    _check_enabled_connections(org, report)
    _check_application_urls(org, report)
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
                report.add(Drift(link, "enabled while suspended", {"enabled": True}))
            continue
        if item is None:
            report.add(Drift(link, "not enabled in Auth0", {"enabled": False}))
            continue
        flags = {
            k: {"portal": v, "auth0": item.get(k)}
            for k, v in link.flags().items()
            if item.get(k) is not None and item.get(k) != v
        }
        if flags:
            report.add(Drift(link, "flags differ", flags))
    for connection_id in remote:
        report.add(Drift(org, "connection enabled only in Auth0", {"connection_id": connection_id}))


def _check_application_urls(org: Organization, report: ReconcileReport) -> None:
    rows = ApplicationURL.objects.filter(organization=org, removing=False).select_related(
        "application"
    )
    # One read per application this organization has URLs on, fresh for this check.
    remote: dict[str, dict[str, list[str]]] = {}
    missing: dict[Application, list[ApplicationURL]] = {}
    for row in rows:
        client_id = row.application.client_id
        if client_id not in remote:
            remote[client_id] = clients.get_client_urls(client_id)
        if row.url not in remote[client_id].get(row.kind, []):
            missing.setdefault(row.application, []).append(row)
    for application, missing_rows in missing.items():
        urls = [f"{row.kind}: {row.url}" for row in missing_rows]
        report.add(
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


def check_connection_clients(connection: Connection, report: ReconcileReport) -> None:
    assert connection.auth0_id
    try:
        remote = connections.connection_client_ids(connection.auth0_id)
    except Auth0Error as exc:
        if exc.status != 404:  # an outage or a 429 says nothing about drift
            raise
        report.add(Drift(connection, "missing in Auth0", {}))
        return
    known = set(Application.objects.values_list("client_id", flat=True))
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
        report.add(
            Drift(
                connection,
                "applications differ",
                {"missing": sorted(missing), "extra": sorted(extra)},
                rows=rows,
            )
        )
