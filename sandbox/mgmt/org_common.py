"""Shared pieces of the organization routes: lookups, renderers, `fields` filtering."""

from __future__ import annotations

from typing import Any

from ..errors import SandboxError, not_found
from ..routing import Call
from ..state import JSON, Connection, Invitation, Organization, OrgConnection, iso

MAX_ENABLED_CONNECTIONS = 10
MAX_ROLES_PER_MEMBER = 50
MAX_MEMBERS = 100_000
MAX_ORGANIZATIONS = 100_000


def get_org(call: Call, key: str = "id") -> Organization:
    org = call.state.organizations.get(call.params[key])
    if org is None:
        raise not_found("No organization found by that id or name")
    return org


def render_org(org: Organization) -> JSON:
    """Auth0 leaves out what was never set (display_name, branding, metadata)."""
    body: JSON = {"id": org.id, "name": org.name}
    if org.display_name:
        body["display_name"] = org.display_name
    if org.branding:
        body["branding"] = org.branding
    if org.metadata:
        body["metadata"] = org.metadata
    if org.token_quota:
        body["token_quota"] = org.token_quota
    return body


def connection_info(call: Call, connection_id: str) -> JSON:
    conn: Connection | None = call.state.connections.get(connection_id)
    if conn is None:  # deleted behind the organization's back: show what is known
        return {"name": "", "strategy": ""}
    return {"name": conn.name, "strategy": conn.strategy}


def render_enabled_connection(call: Call, entry: OrgConnection) -> JSON:
    return {
        "connection_id": entry.connection_id,
        "assign_membership_on_login": entry.assign_membership_on_login,
        "show_as_button": entry.show_as_button,
        "is_signup_enabled": entry.is_signup_enabled,
        "connection": connection_info(call, entry.connection_id),
    }


def render_org_connection(call: Call, entry: OrgConnection) -> JSON:
    """The `/organizations/{id}/connections` shape (adds is_enabled and the newer fields)."""
    body = render_enabled_connection(call, entry)
    body["is_enabled"] = entry.is_enabled
    if entry.organization_connection_name:
        body["organization_connection_name"] = entry.organization_connection_name
    if entry.organization_access_level:
        body["organization_access_level"] = entry.organization_access_level
    body.update(entry.extra)
    return body


def render_invitation(inv: Invitation) -> JSON:
    body: JSON = {
        "id": inv.id,
        "organization_id": inv.organization_id,
        "inviter": {"name": inv.inviter_name},
        "invitee": {"email": inv.invitee_email},
        "invitation_url": inv.invitation_url,
        "created_at": iso(inv.created_at),
        "expires_at": iso(inv.expires_at),
        "client_id": inv.client_id,
        "ticket_id": inv.ticket_id,
    }
    if inv.connection_id:
        body["connection_id"] = inv.connection_id
    if inv.roles:
        body["roles"] = list(inv.roles)
    if inv.app_metadata:
        body["app_metadata"] = inv.app_metadata
    if inv.user_metadata:
        body["user_metadata"] = inv.user_metadata
    return body


def requested_fields(call: Call) -> tuple[set[str] | None, bool]:
    """`fields=a,b` and `include_fields` (default true): the fields asked for, if any."""
    raw = call.args.get("fields")
    if not raw:
        return None, True
    return {f.strip() for f in raw.split(",") if f.strip()}, call.query_bool("include_fields", True)


def filter_fields(body: JSON, fields: set[str] | None, include: bool, keep: str = "") -> JSON:
    if fields is None:
        return body
    if include:
        return {k: v for k, v in body.items() if k in fields or k == keep}
    return {k: v for k, v in body.items() if k not in fields or k == keep}


def require_known_connection(call: Call, connection_id: str) -> Connection:
    conn = call.state.connections.get(connection_id)
    if conn is None:
        raise SandboxError(404, "The connection does not exist", "inexistent_connection")
    return conn


def check_connection_capacity(org: Organization, adding: int = 1) -> None:
    if len(org.enabled_connections()) + adding > MAX_ENABLED_CONNECTIONS:
        raise SandboxError(
            400,
            f"An organization can have at most {MAX_ENABLED_CONNECTIONS} enabled connections",
            "invalid_body",
        )


def flag(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key)
    return default if value is None else bool(value)
