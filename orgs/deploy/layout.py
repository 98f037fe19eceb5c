"""Where things live in a deploy-cli directory, and the portal's own side files.

deploy-cli's directory handlers read `organizations/*.json`, `clients/*.json`,
`roles/*.json`, `connections/*.json` and `database-connections/<name>/database.json`;
it ignores folders it has no handler for, so what only the portal needs (which
organization owns a connection and contributed a URL, its membership model and status)
lives beside them in `portal/organizations/<name>.json`.
"""

from __future__ import annotations

import re

ORGANIZATIONS = "organizations"
CLIENTS = "clients"
ROLES = "roles"
CONNECTIONS = "connections"
DATABASES = "database-connections"
PORTAL = "portal/organizations"
CONFIG_EXAMPLE = "config.example.json"

URL_KINDS = ("allowed_logout_urls", "callbacks", "web_origins")
# What Auth0 (and deploy-cli) call the link flags, per connection kind the portal sends.
DATABASE_FLAGS = ("assign_membership_on_login", "is_signup_enabled")
ENTERPRISE_FLAGS = ("assign_membership_on_login", "show_as_button")
FLAG_DEFAULTS = {
    "assign_membership_on_login": False,
    "show_as_button": True,
    "is_signup_enabled": False,
}

_UNSAFE = re.compile(r'[/?<>\\:*|"\x00-\x1f\x80-\x9f]')


def sanitize(name: str) -> str:
    """deploy-cli's file name for a resource name (its `sanitize`: unsafe characters
    become '-')."""
    return _UNSAFE.sub("-", name).rstrip(". ") or "-"


def organization_file(name: str) -> str:
    return f"{ORGANIZATIONS}/{sanitize(name)}.json"


def portal_file(name: str) -> str:
    return f"{PORTAL}/{sanitize(name)}.json"


def client_file(name: str) -> str:
    return f"{CLIENTS}/{sanitize(name)}.json"


def role_file(name: str) -> str:
    return f"{ROLES}/{sanitize(name)}.json"


def connection_file(name: str, *, database: bool) -> str:
    if database:
        return f"{DATABASES}/{sanitize(name)}/database.json"
    return f"{CONNECTIONS}/{sanitize(name)}.json"


def keyword(connection_name: str, option: str) -> str:
    """The keyword-replacement name for a secret option: `ACME_OIDC_CLIENT_SECRET`."""
    return re.sub(r"[^A-Z0-9]+", "_", f"{connection_name}_{option}".upper()).strip("_")


def placeholder(name: str) -> str:
    return f"##{name}##"


PLACEHOLDER = re.compile(r"^##([A-Z0-9_]+)##$")
