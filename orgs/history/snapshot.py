"""What one version of an organization's configuration holds, as plain JSON.

The shape (also what repository mode writes and reads back), schema 1:

    {
      "schema": 1,
      "name": "acme",                        # fixed once created; identifies it
      "display_name": "Acme",
      "branding": {"logo_url": "", "primary_color": "", "page_background_color": ""},
      "metadata": {"tier": "gold"},          # without portal_id
      "connections": {                       # by connection name (unique in the tenant)
        "Username-Password-Authentication": {
          "assign_membership_on_login": false, "show_as_button": true,
          "is_signup_enabled": false
        }
      },
      "application_urls": {                  # by client_id; only applications with URLs
        "<client_id>": {
          "name": "Acme App",                # the application's name when recorded
          "callbacks": ["https://..."],      # kind -> sorted URLs, only non-empty kinds
          "allowed_logout_urls": [...], "web_origins": [...]
        }
      }
    }

URLs on their way out (`removing`) are already gone from the configuration. Status
(suspended, deleted) is not configuration: suspend and delete are their own actions."""

from __future__ import annotations

from typing import Any

from orgs.models import ApplicationURL, Organization, OrganizationConnection

SCHEMA = 1
BRANDING_FIELDS = ("logo_url", "primary_color", "page_background_color")
FLAG_FIELDS = ("assign_membership_on_login", "show_as_button", "is_signup_enabled")

Snapshot = dict[str, Any]


def organization_snapshot(organization: Organization) -> Snapshot:
    """The organization's configuration as the database holds it now (three queries)."""
    org = Organization.objects.get(pk=organization.pk)  # fresh: services save their own copy
    return {
        "schema": SCHEMA,
        "name": org.name,
        "display_name": org.display_name,
        "branding": {field: getattr(org, field) or "" for field in BRANDING_FIELDS},
        "metadata": dict(sorted((org.metadata or {}).items())),
        "connections": _connections(org),
        "application_urls": _application_urls(org),
    }


def _connections(org: Organization) -> dict[str, dict[str, bool]]:
    links = OrganizationConnection.objects.filter(organization=org).select_related("connection")
    return {
        link.connection.name: {flag: bool(getattr(link, flag)) for flag in FLAG_FIELDS}
        for link in sorted(links, key=lambda link: link.connection.name)
    }


def _application_urls(org: Organization) -> dict[str, dict[str, Any]]:
    rows = (
        ApplicationURL.objects.filter(organization=org, removing=False)
        .select_related("application")
        .order_by("application__client_id", "kind", "url")
    )
    applications: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = applications.setdefault(row.application.client_id, {"name": row.application.name})
        entry.setdefault(row.kind, []).append(row.url)
    return applications


def empty_snapshot(name: str = "") -> Snapshot:
    """The configuration before version 1: nothing at all (what version 1 is compared with)."""
    return {
        "schema": SCHEMA,
        "name": name,
        "display_name": "",
        "branding": dict.fromkeys(BRANDING_FIELDS, ""),
        "metadata": {},
        "connections": {},
        "application_urls": {},
    }


def application_urls_of(entry: dict[str, Any]) -> dict[str, list[str]]:
    """An `application_urls` entry's kind -> URLs, without its name."""
    return {kind: list(urls) for kind, urls in entry.items() if kind != "name"}
