"""Users and password-change tickets, for organizations with their own database connection
(invite = create the user with a random password nobody ever sees, then a ticket)."""

from __future__ import annotations

import secrets
from typing import Any

from orgs.auth0.client import (
    as_dict,
    auth0_call,
    found_or_none,
    gone_is_done,
    management_client,
)
from orgs.auth0.errors import Auth0Error

PORTAL_USER_KEY = "portal_invitation_id"


def create_invited_user(*, connection: str, email: str, portal_id: str) -> dict[str, Any]:
    """Create the user (or adopt the one a lost response created)."""
    # Discarded at once: the person sets their own password through the ticket.
    password = secrets.token_urlsafe(24) + "aA1!"
    try:
        with auth0_call():
            return as_dict(
                management_client().users.create(
                    connection=connection,
                    email=email,
                    password=password,
                    email_verified=False,
                    verify_email=False,  # the ticket verifies it; no second email
                    app_metadata={PORTAL_USER_KEY: portal_id},
                )
            )
    except Auth0Error as exc:
        if exc.status != 409:
            raise
    for user in find_users_by_email(email):
        identities = user.get("identities") or []
        if any(identity.get("connection") == connection for identity in identities):
            return user
    raise Auth0Error(
        f"A user {email} exists but could not be found in {connection}.",
        status=409,
        code="user_exists",
    )


def find_users_by_email(email: str) -> list[dict[str, Any]]:
    with auth0_call():
        return [
            as_dict(user) for user in management_client().users.list_users_by_email(email=email)
        ]


def password_change_ticket(
    *, user_id: str, organization_id: str, client_id: str, ttl_sec: int
) -> str:
    with auth0_call():
        response = management_client().tickets.change_password(
            user_id=user_id,
            organization_id=organization_id,
            client_id=client_id,
            ttl_sec=ttl_sec,
            mark_email_as_verified=True,
        )
    return str(as_dict(response)["ticket"])


def get_user(user_id: str) -> dict[str, Any] | None:
    return found_or_none(lambda: management_client().users.get(user_id))


def delete_user(user_id: str) -> None:
    gone_is_done(lambda: management_client().users.delete(user_id))


def list_roles() -> list[dict[str, Any]]:
    with auth0_call():
        return [as_dict(role) for role in management_client().roles.list(per_page=100)]
