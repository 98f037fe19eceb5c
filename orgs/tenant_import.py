"""Import the tenant's applications, roles, connections and organizations, adopting what
already exists (matched by Auth0 id, then by name) so running it twice changes nothing.

A row with changes not yet in Auth0 (an open or failed operation on its natural identity,
or a pending or failed sync state) is left as it is and reported as skipped: the queued
operation pushes the portal's values, and the import must not revert them first. That
includes a link being disabled (its row is already gone) and a member being removed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orgs.auth0.operations import clients, connections, members, organizations, users
from orgs.history.record import record_imported_versions
from orgs.models import (
    UNSETTLED_STATES,
    Application,
    Connection,
    ConnectionApplication,
    Member,
    MembershipModel,
    Organization,
    OrganizationConnection,
    OrgStatus,
    Role,
    SyncOperation,
    SyncState,
)
from orgs.models.connections import Strategy
from orgs.secrets import split_secret_options
from orgs.services.audit import audit
from orgs.sync.priority import bulk_priority
from portal.models import User

IN_SYNC = {"sync_state": SyncState.IN_SYNC, "sync_error": ""}
UNSYNCED = (SyncState.PENDING, SyncState.FAILED)
NOT_IN_AUTH0 = "has changes not yet in Auth0"


@dataclass
class ImportReport:
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def add(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n


def import_tenant(*, actor: User | None = None) -> ImportReport:
    report = ImportReport()
    with bulk_priority():
        _import_applications(report)
        _import_roles(report)
        _import_connections(report)
        _import_organizations(report)
    with transaction.atomic():
        event = audit(
            actor=actor, action="tenant.import", target=settings.AUTH0_DOMAIN, counts=report.counts
        )
        record_imported_versions(event)  # what Auth0 held becomes a version in their history
    return report


def _has_open_operation(target_key: str) -> bool:
    """An open or failed operation on this natural identity: its change is not in Auth0."""
    return SyncOperation.objects.filter(target_key=target_key, state__in=UNSETTLED_STATES).exists()


def _unsettled(row: Any, target_key: str) -> bool:
    """The row has changes Auth0 has not got yet, so importing would revert them."""
    return _has_open_operation(target_key) or row.sync_state in UNSYNCED


def _row_key(row: Any) -> str:
    return f"{row._meta.model_name}:{row.pk}"


def _link_key(org: Organization, connection: Connection) -> str:
    return f"organizationconnection:{org.pk}:{connection.pk}"


def _app_link_key(connection: Connection, application: Application) -> str:
    return f"connectionapplication:{connection.pk}:{application.pk}"


def _import_applications(report: ImportReport) -> None:
    for client in clients.list_clients():
        if client.get("app_type") == "non_interactive" and not client.get("initiate_login_uri"):
            continue  # machine-to-machine clients are not applications people log in to
        Application.objects.update_or_create(
            client_id=client["client_id"],
            defaults={
                "name": client.get("name") or client["client_id"],
                "app_type": client.get("app_type") or "",
                "initiate_login_uri": client.get("initiate_login_uri") or "",
                "organization_usage": client.get("organization_usage") or "",
                "is_portal_login": client["client_id"] == settings.AUTH0_LOGIN_CLIENT_ID,
                "imported_at": timezone.now(),
            },
        )
        report.add("applications")


def _import_roles(report: ImportReport) -> None:
    for role in users.list_roles():
        Role.objects.update_or_create(
            name=role["name"],
            defaults={"auth0_id": role["id"], "description": role.get("description") or ""},
        )
        report.add("roles")


def _import_connections(report: ImportReport) -> None:
    known = set(Strategy.values)
    applications = {app.client_id: app for app in Application.objects.all()}
    for remote in connections.list_connections():
        if remote.get("strategy") not in known:
            report.skipped.append(f"connection {remote.get('name')} ({remote.get('strategy')})")
            continue
        plain, _secrets = split_secret_options(remote.get("options") or {}, remote["strategy"])
        connection = _adopt(
            report,
            Connection,
            remote["id"],
            remote["name"],
            {
                "strategy": remote["strategy"],
                "display_name": remote.get("display_name") or "",
                "options": plain,
                "is_domain_connection": bool(remote.get("is_domain_connection")),
                "deleted_at": None,
            },
        )
        if connection.auth0_id == remote["id"]:
            for client_id in connections.connection_client_ids(remote["id"]):
                if client_id in applications:
                    _import_application_link(report, connection, applications[client_id])
        report.add("connections")


def _import_application_link(
    report: ImportReport, connection: Connection, application: Application
) -> None:
    link = ConnectionApplication.objects.filter(connection=connection, application=application)
    existing = link.first()
    if _has_open_operation(_app_link_key(connection, application)) or (
        existing is not None and existing.sync_state in UNSYNCED
    ):
        label = f"connection {connection.name} for {application.name}"
        report.skipped.append(f"{label}: {NOT_IN_AUTH0}")
        return
    ConnectionApplication.objects.update_or_create(
        connection=connection, application=application, defaults=IN_SYNC
    )


def _import_organizations(report: ImportReport) -> None:
    roles = {role.auth0_id: role for role in Role.objects.all()}
    for remote in organizations.list_organizations():
        fields = _org_fields(remote)
        known = Organization.objects.filter(auth0_id=remote["id"]).first()
        held = known is not None and known.status in (OrgStatus.SUSPENDED, OrgStatus.DELETING)
        if known is not None and held:
            # A status the portal set on purpose: a suspended organization's connections are
            # disabled in Auth0 by design, and its links are what reactivation restores.
            fields["status"] = known.status
        org = _adopt(report, Organization, remote["id"], remote["name"], fields)
        if org.auth0_id != remote["id"]:
            continue  # a portal row not yet in Auth0 was left alone, and so are its children
        if not held:
            _import_enabled_connections(report, org, remote["id"])
        report.add("members", _import_members(report, org, remote["id"], roles))
        report.add("organizations")


def _org_fields(remote: dict[str, Any]) -> dict[str, Any]:
    branding = remote.get("branding") or {}
    colors = branding.get("colors") or {}
    metadata = {k: v for k, v in (remote.get("metadata") or {}).items() if k != "portal_id"}
    return {
        "display_name": remote.get("display_name") or remote["name"],
        "logo_url": branding.get("logo_url") or "",
        "primary_color": colors.get("primary") or "",
        "page_background_color": colors.get("page_background") or "",
        "metadata": metadata,
        "status": OrgStatus.ACTIVE,
        "is_staff_organization": remote["name"] == settings.AUTH0_STAFF_ORGANIZATION,
    }


def _import_enabled_connections(report: ImportReport, org: Organization, org_id: str) -> None:
    shared_db = False
    for item in organizations.list_enabled_connections(org_id):
        connection = Connection.objects.filter(auth0_id=item["connection_id"]).first()
        if connection is None:
            continue
        shared_db |= connection.is_database and connection.is_shared
        _import_link(report, org, connection, item)
    model = MembershipModel.SHARED_DATABASE if shared_db else MembershipModel.ENTERPRISE_ONLY
    if org.owned_connections.filter(strategy=Strategy.DATABASE).exists():
        model = MembershipModel.OWN_DATABASE
    Organization.objects.filter(pk=org.pk).update(membership_model=model)


def _import_link(
    report: ImportReport, org: Organization, connection: Connection, item: dict[str, Any]
) -> None:
    """Adopt one enabled connection, unless the portal changed or disabled it meanwhile
    (a disabled link's row is gone while its operation is queued: the key still says so)."""
    link = OrganizationConnection.objects.filter(organization=org, connection=connection).first()
    if _has_open_operation(_link_key(org, connection)) or (
        link is not None and link.sync_state in UNSYNCED
    ):
        report.skipped.append(
            f"connection {connection.name} on organization {org.name}: {NOT_IN_AUTH0}"
        )
        return
    OrganizationConnection.objects.update_or_create(
        organization=org,
        connection=connection,
        defaults={
            **IN_SYNC,
            "assign_membership_on_login": bool(item.get("assign_membership_on_login")),
            "show_as_button": item.get("show_as_button", True) is not False,
            "is_signup_enabled": bool(item.get("is_signup_enabled")),
        },
    )


def _import_members(
    report: ImportReport, org: Organization, org_id: str, roles: dict[str, Role]
) -> int:
    count = 0
    for remote in members.list_members(org_id):
        known = Member.objects.filter(organization=org, user_id=remote["user_id"]).first()
        if known is not None and (known.removing or _unsettled(known, _row_key(known))):
            label = known.email or known.user_id
            report.skipped.append(f"member {label} of organization {org.name}: {NOT_IN_AUTH0}")
            continue
        member, _ = Member.objects.update_or_create(
            organization=org,
            user_id=remote["user_id"],
            defaults={
                **IN_SYNC,
                "email": remote.get("email") or "",
                "name": remote.get("name") or "",
                "removing": False,
            },
        )
        member.roles.set([roles[r["id"]] for r in remote.get("roles") or [] if r["id"] in roles])
        count += 1
    return count


def _adopt(
    report: ImportReport, model: type[Any], auth0_id: str, name: str, fields: dict[str, Any]
) -> Any:
    """The row for this Auth0 object, updated from Auth0; left as it is when it has changes
    not yet in Auth0. A portal row never pushed (no Auth0 id, nothing queued) is adopted."""
    row = (
        model.objects.filter(auth0_id=auth0_id).first()
        or model.objects.filter(name=name, auth0_id=None)
        .exclude(**({"status": "deleted"} if model is Organization else {}))
        .first()
    )
    if row is None:
        row = model(auth0_id=auth0_id, name=name)
    elif _has_open_operation(_row_key(row)) or (row.auth0_id and row.sync_state in UNSYNCED):
        report.skipped.append(f"{model._meta.model_name} {row.name}: {NOT_IN_AUTH0}")
        return row
    for key, value in {**fields, **IN_SYNC, "synced_at": timezone.now()}.items():
        setattr(row, key, value)
    row.auth0_id, row.name = auth0_id, name
    row.save()
    return row
