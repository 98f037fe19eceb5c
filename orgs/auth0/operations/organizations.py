"""Organizations and their enabled connections.

Creates are adoptable: `metadata.portal_id` carries our id, so after a lost response the
retry's 409 is resolved by reading the existing organization and adopting it when the
id matches.
"""

from __future__ import annotations

from typing import Any

from orgs.auth0.client import (
    as_dict,
    auth0_call,
    found_or_none,
    gone_is_done,
    management_client,
)
from orgs.auth0.errors import Auth0Error
from orgs.auth0.locks import resource_lock
from orgs.auth0.operations.adoption import PORTAL_ID_KEY, create_or_adopt


def create_organization(
    *,
    name: str,
    display_name: str,
    branding: dict[str, Any],
    metadata: dict[str, str],
    portal_id: str,
    enabled_connections: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Create the organization (with its first connections, in the same call), or adopt
    the one a lost response already created. The result's `created` says which: an
    adopted organization may or may not carry the inline connections."""
    body: dict[str, Any] = {
        "name": name,
        "display_name": display_name,
        "metadata": {**metadata, PORTAL_ID_KEY: portal_id},
    }
    if branding:
        body["branding"] = branding
    if enabled_connections:
        body["enabled_connections"] = enabled_connections
    outcome = create_or_adopt(
        create=lambda: management_client().organizations.create(**body),
        find=lambda: find_organization(name),
        portal_id=portal_id,
        conflict=Auth0Error(
            f"An organization named '{name}' already exists in Auth0 and was not created for "
            "this record. Import it, or choose another name.",
            status=409,
            code="organization_conflict",
        ),
    )
    return {**outcome.resource, "created": outcome.created}


def find_organization(name: str) -> dict[str, Any] | None:
    return found_or_none(lambda: management_client().organizations.get_by_name(name))


def get_organization(auth0_id: str) -> dict[str, Any] | None:
    return found_or_none(lambda: management_client().organizations.get(auth0_id))


def update_organization(
    auth0_id: str,
    *,
    name: str,
    display_name: str,
    branding: dict[str, Any],
    metadata: dict[str, str],
    removed_metadata_keys: list[str],
    portal_id: str,
) -> dict[str, Any]:
    """Push the fields we own. Metadata is replaced whole by Auth0, so it is merged with
    what others wrote under the organization's lock, then read back to verify."""
    with resource_lock("organization", auth0_id) as lock:
        current = get_organization(auth0_id)
        if current is None:
            raise Auth0Error(
                f"Organization {auth0_id} no longer exists in Auth0.",
                status=404,
                code="inexistent_organization",
            )
        merged = {
            k: v for k, v in current.get("metadata", {}).items() if k not in removed_metadata_keys
        }
        merged.update(metadata)
        merged[PORTAL_ID_KEY] = portal_id
        # Always sent: Auth0 replaces branding whole, and {} clears what the portal dropped.
        body: dict[str, Any] = {
            "name": name,
            "display_name": display_name,
            "metadata": merged,
            "branding": branding,
        }
        with auth0_call():
            management_client().organizations.update(auth0_id, **body)
        lock.verify()
        after = get_organization(auth0_id) or {}
        if after.get("metadata") != merged:
            raise Auth0Error(
                "Organization metadata did not read back as written; retrying.",
                code="verify_failed",
                retryable=True,
            )
        return after


def delete_organization(auth0_id: str) -> None:
    """Delete it; already gone counts as done."""
    gone_is_done(lambda: management_client().organizations.delete(auth0_id))


def enable_connection(org_id: str, connection_id: str, flags: dict[str, bool]) -> dict[str, Any]:
    """Enable a connection with these flags; if already enabled, set the flags."""
    organizations = management_client().organizations
    try:
        with auth0_call():
            return as_dict(
                organizations.enabled_connections.add(org_id, connection_id=connection_id, **flags)
            )
    except Auth0Error as exc:
        if exc.status != 409:
            raise
    with auth0_call():
        return as_dict(organizations.enabled_connections.update(org_id, connection_id, **flags))


def disable_connection(org_id: str, connection_id: str) -> None:
    gone_is_done(
        lambda: management_client().organizations.enabled_connections.delete(org_id, connection_id)
    )


def list_enabled_connections(org_id: str) -> list[dict[str, Any]]:
    with auth0_call():
        pager = management_client().organizations.enabled_connections.list(org_id, per_page=100)
        return [as_dict(item) for item in pager]


def list_organizations() -> list[dict[str, Any]]:
    with auth0_call():
        return [as_dict(org) for org in management_client().organizations.list(take=100)]
