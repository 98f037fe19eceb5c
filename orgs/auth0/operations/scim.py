"""Inbound SCIM on an enterprise connection (`/connections/{id}/scim-configuration`).

Enabling and disabling go through the engine (`scim.configure`); reading the state and
the tokens, and creating or revoking a token, are synchronous calls a page makes: a
token's value exists only in Auth0's answer to its creation, so it cannot wait for a
worker and must never be stored or logged on the way to the person who asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orgs.auth0.client import as_dict, auth0_call, found_or_none, gone_is_done, management_client
from orgs.auth0.errors import Auth0Error
from orgs.auth0.tokens import auth0_base_url

TOKEN_SCOPES = ("get:users", "post:users", "put:users", "patch:users", "delete:users")


def scim_endpoint_url(connection_id: str) -> str:
    """Where an IdP sends SCIM requests for this connection (Auth0's tenant URL)."""
    return f"{auth0_base_url()}/scim/v2/connections/{connection_id}"


def get_configuration(connection_id: str) -> dict[str, Any] | None:
    """The connection's SCIM configuration, or None when SCIM is off."""
    client = management_client().connections.scim_configuration
    return found_or_none(lambda: client.get(connection_id))


def ensure_configuration(connection_id: str) -> dict[str, Any]:
    """Turn SCIM on with Auth0's default mapping; already on counts as done."""
    current = get_configuration(connection_id)
    if current is not None:
        return current
    client = management_client().connections.scim_configuration
    try:
        with auth0_call():
            return as_dict(client.create(connection_id))
    except Auth0Error as exc:
        if exc.status != 409:
            raise
    # Created meanwhile (a retried attempt whose answer was lost): read it back.
    found = get_configuration(connection_id)
    if found is None:
        raise Auth0Error("Auth0 reported a SCIM configuration it then did not return.")
    return found


def delete_configuration(connection_id: str) -> None:
    """Turn SCIM off (Auth0 deletes its tokens too); already off counts as done."""
    client = management_client().connections.scim_configuration
    gone_is_done(lambda: client.delete(connection_id))


def list_tokens(connection_id: str) -> list[dict[str, Any]]:
    """The connection's tokens (never their values): scopes, created, expiry, last use."""
    client = management_client().connections.scim_configuration.tokens
    with auth0_call():
        return [as_dict(item) for item in client.get(connection_id)]


def create_token(
    connection_id: str, *, scopes: Sequence[str], lifetime_seconds: int | None
) -> dict[str, Any]:
    """A new token; the answer's `token` is its value, which Auth0 never returns again."""
    client = management_client().connections.scim_configuration.tokens
    with auth0_call():
        created = client.create(connection_id, scopes=list(scopes), token_lifetime=lifetime_seconds)
    return as_dict(created)


def delete_token(connection_id: str, token_id: str) -> None:
    client = management_client().connections.scim_configuration.tokens
    gone_is_done(lambda: client.delete(connection_id, token_id))
