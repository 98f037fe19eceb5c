"""`orgs export`: the portal's organizations as a deploy-cli directory.

Deterministic: keys sorted, lists sorted, two-space indent, one trailing newline, so two
exports of the same state are byte-identical (and diff well in git). Secrets are never
written: a secret option is its `##KEY##` placeholder, and `config.example.json` lists
the keys for deploy-cli's AUTH0_KEYWORD_REPLACE_MAPPINGS.

Two things deploy-cli replaces whole that the portal only part-owns are read from Auth0
once per export: a client's URL arrays (a PATCH replaces them, so the file carries the
URLs others put there too) and a role's permissions (deploy-cli deletes a role's
permissions and adds the file's).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from orgs.auth0.client import as_dict, auth0_call, management_client
from orgs.auth0.operations import clients as auth0_clients
from orgs.deploy import layout
from orgs.deploy.state import (
    Spec,
    connection_spec,
    is_database,
    managed_organizations,
    organization_spec,
    owned_connections,
)
from orgs.models import Application, ApplicationURL, Connection, Organization, Role
from orgs.sync.priority import bulk_priority

Documents = dict[str, Any]  # relative path -> JSON value


def export_directory(directory: Path, names: Iterable[str] = ()) -> list[str]:
    """Write the export into `directory`; returns the files written. A full export (no
    names) also removes files of organizations, connections, clients and roles it did
    not write, so the directory is exactly the portal's state."""
    names = list(names)
    with bulk_priority():
        documents = export_documents(names)
    write_documents(directory, documents, prune=not names)
    return sorted(documents)


def export_documents(names: list[str]) -> Documents:
    orgs = managed_organizations(names)
    missing = sorted(set(names) - {org.name for org in orgs})
    if missing:
        raise ValueError(f"No live organization named {', '.join(missing)}.")
    documents: Documents = {}
    keywords: dict[str, str] = {}
    for org in orgs:
        spec = organization_spec(org)
        documents[layout.organization_file(org.name)] = organization_document(org, spec)
        documents[layout.portal_file(org.name)] = portal_document(spec)
        for connection in owned_connections(org):
            document = connection_document(connection)
            path = layout.connection_file(connection.name, database=connection.is_database)
            documents[path] = document
            keywords.update(_keywords(document["options"]))
    for application in _contributed_applications(orgs):
        documents[layout.client_file(application.name)] = client_document(application)
    for role in Role.objects.order_by("name"):
        documents[layout.role_file(role.name)] = role_document(role)
    documents[layout.CONFIG_EXAMPLE] = config_example(keywords)
    return documents


def organization_document(org: Organization, spec: Spec) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": org.name,
        "display_name": spec["display_name"],
        # portal_id rides along so an import by deploy-cli (which replaces metadata)
        # keeps the id the portal adopts the organization by.
        "metadata": {**spec["metadata"], "portal_id": str(org.portal_id)},
        # A suspended organization has no connection enabled in Auth0; the portal keeps
        # the links (in the portal file) for reactivation.
        "connections": [] if spec["status"] == "suspended" else link_list(spec["connections"]),
    }
    branding = branding_of(spec)
    if branding:
        document["branding"] = branding
    return document


def branding_of(spec: Spec) -> dict[str, Any]:
    branding: dict[str, Any] = {}
    if spec["logo_url"]:
        branding["logo_url"] = spec["logo_url"]
    if spec["primary_color"] and spec["page_background_color"]:
        branding["colors"] = {
            "primary": spec["primary_color"],
            "page_background": spec["page_background_color"],
        }
    return branding


def link_list(links: dict[str, dict[str, bool]]) -> list[dict[str, Any]]:
    return [{"name": name, **flags} for name, flags in sorted(links.items())]


def portal_document(spec: Spec) -> dict[str, Any]:
    document: dict[str, Any] = {
        "membership_model": spec["membership_model"],
        "status": spec["status"],
        "owned_connections": spec["owned_connections"],
        "application_urls": spec["application_urls"],
    }
    if spec["status"] == "suspended":
        document["suspended_connections"] = link_list(spec["connections"])
    return document


def connection_document(connection: Connection) -> dict[str, Any]:
    spec = connection_spec(connection)
    document: dict[str, Any] = {
        "name": connection.name,
        "strategy": spec["strategy"],
        "options": spec["options"],
        "enabled_clients": spec["enabled_clients"],
        "is_domain_connection": spec["is_domain_connection"],
        "metadata": {"portal_id": str(connection.portal_id)},
        "display_name": spec["display_name"],
    }
    if is_database(connection.strategy):
        document["realms"] = [connection.name]
    return document


def _contributed_applications(orgs: list[Organization]) -> list[Application]:
    ids = ApplicationURL.objects.filter(organization__in=orgs, removing=False).values(
        "application_id"
    )
    return list(Application.objects.filter(pk__in=ids).order_by("name"))


def client_document(application: Application) -> dict[str, Any]:
    """The client's whole URL arrays: what Auth0 holds that no organization owns, plus
    every URL a live organization wants (any organization: the arrays are replaced whole
    on import)."""
    current = auth0_clients.get_client_urls(application.client_id)
    rows = ApplicationURL.objects.filter(application=application)
    owned = {(row.kind, row.url) for row in rows}
    wanted = {
        (row.kind, row.url) for row in rows.filter(removing=False, organization__status__in=_LIVE)
    }
    document: dict[str, Any] = {"name": application.name}
    for kind in layout.URL_KINDS:
        foreign = {url for url in current.get(kind, []) if (kind, url) not in owned}
        document[kind] = sorted(foreign | {url for k, url in wanted if k == kind})
    return document


_LIVE = ("pending", "active", "suspended")


def role_document(role: Role) -> dict[str, Any]:
    document: dict[str, Any] = {"name": role.name, "permissions": role_permissions(role)}
    if role.description:
        document["description"] = role.description
    return document


def role_permissions(role: Role) -> list[dict[str, str]]:
    with auth0_call():
        pager = management_client().roles.permissions.list(role.auth0_id, per_page=100)
        items = [as_dict(item) for item in pager]
    permissions = [
        {
            "permission_name": str(item.get("permission_name") or ""),
            "resource_server_identifier": str(item.get("resource_server_identifier") or ""),
        }
        for item in items
    ]
    return sorted(
        permissions, key=lambda p: (p["resource_server_identifier"], p["permission_name"])
    )


def _keywords(options: dict[str, Any]) -> dict[str, str]:
    found = {}
    for value in options.values():
        match = layout.PLACEHOLDER.match(value) if isinstance(value, str) else None
        if match:
            found[match.group(1)] = ""
    return found


def config_example(keywords: dict[str, str]) -> dict[str, Any]:
    """deploy-cli's config file, to copy to config.json and fill in (never committed)."""
    return {
        "AUTH0_DOMAIN": "",
        "AUTH0_CLIENT_ID": "",
        "AUTH0_CLIENT_SECRET": "",
        "AUTH0_ALLOW_DELETE": False,
        "AUTH0_KEYWORD_REPLACE_MAPPINGS": dict(sorted(keywords.items())),
    }


def render(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


MANAGED_FOLDERS = (
    layout.ORGANIZATIONS,
    layout.PORTAL,
    layout.CLIENTS,
    layout.ROLES,
    layout.CONNECTIONS,
    layout.DATABASES,
)


def write_documents(directory: Path, documents: Documents, *, prune: bool) -> None:
    for relative, value in documents.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render(value)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    if prune:
        for folder in MANAGED_FOLDERS:
            for path in sorted((directory / folder).glob("**/*.json")):
                if path.relative_to(directory).as_posix() not in documents:
                    path.unlink()
