"""The repository's working tree written from the database, and read back.

A commit rewrites one organization's files (orgs.deploy.export's documents and writer:
its organization file, its portal side file, the connections it owns) and the client
files, without a call to Auth0: a client file's URLs that are not the portal's (those no
side file lists) are kept as the file has them, and every URL a live organization wants
is added. Only an empty repository is written whole by `orgs.deploy.export`, which reads
Auth0 once for the clients' and roles' current state.

Read back, an organization's two files become a snapshot (orgs.history.snapshot's shape),
so the history pages and the restore service work on commits as on recorded versions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orgs.deploy import export, layout
from orgs.deploy.state import organization_spec, owned_connections
from orgs.history.snapshot import FLAG_FIELDS, SCHEMA, Snapshot, empty_snapshot
from orgs.models import Application, ApplicationURL, Organization, OrganizationConnection
from orgs.models.organizations import OrgStatus

LIVE_STATES = (OrgStatus.PENDING, OrgStatus.ACTIVE, OrgStatus.SUSPENDED)


def write_organization(root: Path, organization: Organization) -> None:
    """Bring the organization's files (and the client files) in line with the database;
    a deleted organization's files are removed."""
    org = Organization.objects.get(pk=organization.pk)
    contributed = _contributed_urls(root)  # before this write replaces the side file
    old_owned = _read(root / layout.portal_file(org.name)).get("owned_connections", [])
    documents: export.Documents = {}
    if org.status in LIVE_STATES and not org.is_staff_organization:
        spec = organization_spec(org)
        documents[layout.organization_file(org.name)] = export.organization_document(org, spec)
        documents[layout.portal_file(org.name)] = export.portal_document(spec)
        for connection in owned_connections(org):
            path = layout.connection_file(connection.name, database=connection.is_database)
            documents[path] = export.connection_document(connection)
    else:
        _remove(root, layout.organization_file(org.name), layout.portal_file(org.name))
    side = documents.get(layout.portal_file(org.name), {})
    kept = set(side.get("owned_connections", []))
    for name in set(old_owned) - kept:
        _remove(
            root,
            layout.connection_file(name, database=True),
            layout.connection_file(name, database=False),
        )
    documents.update(client_documents(root, contributed))
    export.write_documents(root, documents, prune=False)


def _remove(root: Path, *relative: str) -> None:
    for path in relative:
        (root / path).unlink(missing_ok=True)


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    value = json.loads(path.read_text(encoding="utf-8"))
    return value if isinstance(value, dict) else {}


def _contributed_urls(root: Path) -> set[tuple[str, str, str]]:
    """(application name, kind, URL) of every URL a side file says is the portal's."""
    found: set[tuple[str, str, str]] = set()
    for path in (root / layout.PORTAL).glob("*.json"):
        for app, kinds in _read(path).get("application_urls", {}).items():
            for kind, urls in kinds.items():
                found.update((app, kind, url) for url in urls)
    return found


def client_documents(root: Path, contributed: set[tuple[str, str, str]]) -> export.Documents:
    """Every client file the portal has URLs in: what the file held that is not the
    portal's, plus every URL a live organization wants."""
    wanted: dict[str, set[tuple[str, str]]] = {}
    rows = ApplicationURL.objects.filter(
        removing=False, organization__status__in=LIVE_STATES
    ).select_related("application")
    for row in rows:
        wanted.setdefault(row.application.name, set()).add((row.kind, row.url))
    names = set(wanted) | {app for app, _kind, _url in contributed}
    documents: export.Documents = {}
    for name in sorted(names):
        current = _read(root / layout.client_file(name))
        document: dict[str, Any] = {**current, "name": name}
        for kind in layout.URL_KINDS:
            foreign = {u for u in current.get(kind, []) if (name, kind, u) not in contributed}
            ours = {url for k, url in wanted.get(name, set()) if k == kind}
            document[kind] = sorted(foreign | ours)
        documents[layout.client_file(name)] = document
    return documents


def snapshot_from_files(
    name: str, organization_file: str | None, portal_file: str | None
) -> Snapshot | None:
    """An organization's files at some commit as a snapshot; None when it had no
    organization file there (not yet created, or deleted)."""
    if organization_file is None:
        return None
    document = json.loads(organization_file)
    side = json.loads(portal_file) if portal_file else {}
    branding = document.get("branding") or {}
    colors = branding.get("colors") or {}
    links = document.get("connections") or []
    if side.get("status") == "suspended":
        links = side.get("suspended_connections") or links
    metadata = {k: v for k, v in (document.get("metadata") or {}).items() if k != "portal_id"}
    snapshot = empty_snapshot(name)
    snapshot.update(
        schema=SCHEMA,
        display_name=document.get("display_name", ""),
        branding={
            "logo_url": branding.get("logo_url", ""),
            "primary_color": colors.get("primary", ""),
            "page_background_color": colors.get("page_background", ""),
        },
        metadata=dict(sorted(metadata.items())),
        connections=_link_flags(name, links),
        application_urls=_application_urls(side.get("application_urls") or {}),
    )
    return snapshot


def _link_flags(org_name: str, links: list[dict[str, Any]]) -> dict[str, dict[str, bool]]:
    """Flags by connection name. A file carries only the flags Auth0 takes for the
    connection's kind; the others are the portal's current ones (or the defaults), so
    they never show as a change."""
    held = {
        link.connection.name: link
        for link in OrganizationConnection.objects.filter(
            organization__name=org_name
        ).select_related("connection")
    }
    flags: dict[str, dict[str, bool]] = {}
    for link in sorted(links, key=lambda item: str(item.get("name", ""))):
        current = held.get(str(link.get("name", "")))
        flags[str(link["name"])] = {
            flag: bool(
                link[flag]
                if flag in link
                else (getattr(current, flag) if current else layout.FLAG_DEFAULTS[flag])
            )
            for flag in FLAG_FIELDS
        }
    return flags


def _application_urls(by_name: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, Any]]:
    """A side file's application name -> kind -> URLs, keyed by client_id as snapshots
    are (by the name when the tenant has no such application any more)."""
    ids = dict(Application.objects.filter(name__in=list(by_name)).values_list("name", "client_id"))
    result: dict[str, dict[str, Any]] = {}
    for name, kinds in sorted(by_name.items()):
        entry: dict[str, Any] = {"name": name}
        entry.update({kind: sorted(urls) for kind, urls in sorted(kinds.items()) if urls})
        if len(entry) > 1:
            result[ids.get(name, name)] = entry
    return result
