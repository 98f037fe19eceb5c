"""Connections: adoptable creates, option updates merged under a lock (Auth0 replaces
`options` whole), and enabled applications through the add/remove endpoint."""

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

# Options Auth0 accepts but never returns (writeOnly in its OpenAPI document): they cannot
# be read back to verify a write, and a read-modify-write must send them again itself.
WRITE_ONLY_OPTIONS: dict[str, frozenset[str]] = {
    "samlp": frozenset({"metadataXml"}),
    "pingfederate": frozenset({"signingCert"}),
}


def create_connection(
    *,
    name: str,
    strategy: str,
    display_name: str,
    options: dict[str, Any],
    is_domain_connection: bool,
    portal_id: str,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "strategy": strategy,
        "options": options,
        "metadata": {PORTAL_ID_KEY: portal_id},
        "is_domain_connection": is_domain_connection,
    }
    if display_name:
        body["display_name"] = display_name
    return create_or_adopt(
        create=lambda: management_client().connections.create(**body),
        find=lambda: find_connection(name),
        portal_id=portal_id,
        conflict=Auth0Error(
            f"A connection named '{name}' already exists in Auth0 and was not created for "
            "this record. Import it, or choose another name.",
            status=409,
            code="connection_conflict",
        ),
    ).resource


def find_connection(name: str) -> dict[str, Any] | None:
    with auth0_call():
        for item in management_client().connections.list(name=name, take=5):
            found = as_dict(item)
            if found.get("name") == name:
                return found
    return None


def get_connection(connection_id: str) -> dict[str, Any] | None:
    return found_or_none(lambda: management_client().connections.get(connection_id))


def update_connection(
    connection_id: str,
    *,
    display_name: str,
    options: dict[str, Any],
    removed_option_keys: list[str],
) -> dict[str, Any]:
    """Merge our options into the current ones and write them back whole, verified."""
    with resource_lock("connection", connection_id) as lock:
        current = get_connection(connection_id)
        if current is None:
            raise Auth0Error(
                f"Connection {connection_id} no longer exists in Auth0.",
                status=404,
                code="inexistent_connection",
            )
        merged = {
            k: v for k, v in (current.get("options") or {}).items() if k not in removed_option_keys
        }
        merged.update(options)
        body: dict[str, Any] = {
            "options": merged,
            # omitting display_name would reset it to the name
            "display_name": display_name or current.get("display_name") or current["name"],
        }
        with auth0_call():
            management_client().connections.update(connection_id, **body)
        lock.verify()
        after = get_connection(connection_id) or {}
        written = after.get("options") or {}
        hidden = WRITE_ONLY_OPTIONS.get(str(current.get("strategy")), frozenset())
        if any(written.get(key) != value for key, value in options.items() if key not in hidden):
            raise Auth0Error(
                "Connection options did not read back as written; retrying.",
                code="verify_failed",
                retryable=True,
            )
        return after


def delete_connection(connection_id: str) -> None:
    """Delete it (Auth0 deletes its users too); already gone counts as done."""
    gone_is_done(lambda: management_client().connections.delete(connection_id))


def set_connection_clients(connection_id: str, changes: dict[str, bool]) -> None:
    """Enable (True) or disable (False) the connection for these client ids."""
    if not changes:
        return
    request = [{"client_id": client_id, "status": status} for client_id, status in changes.items()]
    with auth0_call():
        management_client().connections.clients.update(connection_id, request=request)


def connection_client_ids(connection_id: str) -> set[str]:
    with auth0_call():
        pager = management_client().connections.clients.get(connection_id, take=100)
        return {as_dict(item)["client_id"] for item in pager}


def list_connections() -> list[dict[str, Any]]:
    with auth0_call():
        return [as_dict(item) for item in management_client().connections.list(take=100)]
