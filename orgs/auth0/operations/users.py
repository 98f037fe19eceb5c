"""Users and password-change tickets, for organizations with their own database connection
(invite = create the user with a random password nobody ever sees, then a ticket).

An invited user carries the invitation's id in `app_metadata.portal_invitation_id`. That
is the only proof the portal made it: the email alone is not (anyone may have signed up,
or an administrator created the user by hand), so adopting and deleting both require it.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from auth0.authentication import Database
from auth0.authentication.exceptions import Auth0Error as AuthenticationApiError
from django.conf import settings

from orgs.auth0 import tokens
from orgs.auth0.client import (
    as_dict,
    auth0_call,
    found_or_none,
    gone_is_done,
    management_client,
)
from orgs.auth0.errors import Auth0Error, error_from_response

PORTAL_USER_KEY = "portal_invitation_id"


def create_invited_user(
    *, connection: str, email: str, portal_id: str, earlier_portal_ids: Collection[str] = ()
) -> dict[str, Any]:
    """Create the user, or on a 409 adopt the one already in `connection` if it carries
    `portal_id` (a lost response: our own create) or one of `earlier_portal_ids` (earlier
    invitations of the same organization to the same email: a resend, which keeps the
    user and re-labels it with the new invitation's id). Anyone else is refused."""
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
    existing = find_connection_user(connection, email)
    if existing is None:
        raise Auth0Error(
            f"A user {email} exists but could not be found in {connection}.",
            status=409,
            code="user_exists",
        )
    carried = invitation_id_of(existing)
    if carried == portal_id:
        return existing
    if carried is not None and carried in earlier_portal_ids:
        return label_invited_user(existing["user_id"], portal_id)
    raise Auth0Error(
        f"A user with this email already exists in {connection} and was not created by the "
        "portal for an invitation to this organization, so the portal leaves it alone and "
        "sends no invitation. Check who owns that account in Auth0: delete it there and "
        "retry, or invite a different email address.",
        status=409,
        code="user_exists",
    )


# A user the portal created on an administrator's request (orgs.services.user_accounts)
# carries the request's id here: the only proof, on a retry, that the user is ours.
PORTAL_CREATED_KEY = "portal_user_create_id"


def create_portal_user(
    *, connection: str, email: str, name: str, created_for: str
) -> dict[str, Any]:
    """Create a user of `connection` with a random password nobody ever learns (the person
    chooses their own through a password-change ticket), or on a 409 adopt the one there
    if it carries `created_for` (our own create whose answer was lost). Anyone else's
    user with this email is refused: never a second account, never someone else's."""
    password = secrets.token_urlsafe(24) + "aA1!"  # discarded at once, never logged
    extra = {"name": name} if name else {}
    try:
        with auth0_call():
            return as_dict(
                management_client().users.create(
                    connection=connection,
                    email=email,
                    password=password,
                    email_verified=False,
                    verify_email=False,  # the ticket verifies it; no second email
                    app_metadata={PORTAL_CREATED_KEY: created_for},
                    **extra,
                )
            )
    except Auth0Error as exc:
        if exc.status != 409:
            raise
    existing = find_connection_user(connection, email)
    carried = (existing or {}).get("app_metadata") or {}
    if existing is not None and carried.get(PORTAL_CREATED_KEY) == created_for:
        return existing
    raise Auth0Error(
        f"A user with the email {email} already exists in {connection}, and the portal did "
        "not create it for this request, so it leaves that account alone and sends nothing. "
        "Find them in the member list, or invite them instead.",
        status=409,
        code="user_exists",
    )


def invitation_id_of(user: dict[str, Any]) -> str | None:
    """The portal invitation the user was created for (None: not created by the portal)."""
    # Auth0 leaves `app_metadata` out (or null) for a user created without any.
    value = (user.get("app_metadata") or {}).get(PORTAL_USER_KEY)
    return str(value) if value else None


def label_invited_user(user_id: str, portal_id: str) -> dict[str, Any]:
    """Point the user at a new invitation (app_metadata is merged per key: nothing else
    the user carries is touched), so revoking that invitation may delete it."""
    with auth0_call():
        return as_dict(
            management_client().users.update(user_id, app_metadata={PORTAL_USER_KEY: portal_id})
        )


def find_connection_user(connection: str, email: str) -> dict[str, Any] | None:
    """The user with this email in this connection (emails are unique per connection)."""
    for user in find_users_by_email(email):
        identities = user.get("identities") or []
        if any(identity.get("connection") == connection for identity in identities):
            return user
    return None


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


def count_connection_users(connection_name: str) -> int:
    """How many users the connection holds: one user search asking only for the total."""
    with auth0_call():
        pager = management_client().users.list(
            q=f'identities.connection:"{connection_name}"',
            search_engine="v3",
            include_totals=True,
            per_page=1,
            fields="user_id",
            include_fields=True,
        )
    total = getattr(pager.response, "total", None)
    return int(total) if total is not None else len(pager.items or [])


# --- deprovisioning: block, sign out everywhere, password reset ----------------------------

# The reset email may have left: the request reached Auth0 and no answer came back.
RESET_DELIVERY_UNKNOWN = "reset_delivery_unknown"
# A user search with more terms than this is split by the caller (a page of members is 25).
MAX_USERS_PER_SEARCH = 100


def users_by_ids(user_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The users with these ids (`user_id`, `blocked`, `identities`, `last_login`), in one search:
    `user_id:("a" OR "b" ...)`. Users not found are left out."""
    wanted = list(dict.fromkeys(user_ids))[:MAX_USERS_PER_SEARCH]
    if not wanted:
        return {}
    terms = " OR ".join(_quoted(user_id) for user_id in wanted)
    with auth0_call():
        pager = management_client().users.list(
            q=f"user_id:({terms})",
            search_engine="v3",
            page=0,
            per_page=len(wanted),
            fields="user_id,blocked,identities,last_login",
            include_fields=True,
        )
        found = [as_dict(user) for user in pager.items or []]
    return {str(user["user_id"]): user for user in found if user.get("user_id")}


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def organization_ids_of_user(user_id: str) -> set[str]:
    """The Auth0 ids of every organization the user belongs to (pages of 100; offset
    paging reaches 1,000, far more than anyone belongs to)."""
    found: set[str] = set()
    for page in range(10):
        with auth0_call():
            pager = management_client().users.organizations.list(user_id, page=page, per_page=100)
            items = [as_dict(org) for org in pager.items or []]
        found.update(str(org["id"]) for org in items if org.get("id"))
        if len(items) < 100:
            break
    return found


def set_blocked(user_id: str, blocked: bool) -> bool:
    """Block or unblock the user (`PATCH /users/{id}` with `blocked`); False when the user
    no longer exists. Setting the value it already has is harmless, so a retry is too.
    Unblocking does not lift a block Auth0 made for too many wrong passwords (that is
    the user-blocks API's)."""
    try:
        with auth0_call():
            management_client().users.update(user_id, blocked=blocked)
    except Auth0Error as exc:
        if exc.status == 404:
            return False
        raise
    return True


def end_sessions(user_id: str) -> None:
    """Delete every Auth0 session and every refresh token of the user (two calls, each
    answered 202). Access tokens already issued are not revocable: they stay valid until
    they expire. A user already gone counts as done."""
    gone_is_done(lambda: management_client().users.sessions.delete(user_id))
    gone_is_done(lambda: management_client().users.refresh_token.delete(user_id))


def send_password_reset(
    *, email: str, connection: str, organization_id: str, client_id: str
) -> None:
    """Ask Auth0 to email the user a link to choose a new password (Authentication API
    `POST /dbconnections/change_password`; the portal never sets a password). Auth0 sends
    the email, and answers the same whether or not the address has an account.

    Raises `Auth0Error`: with Auth0's status when it refused (nothing was sent), retryable
    without a status when the connection was never made, and with code
    `RESET_DELIVERY_UNKNOWN` when the request may have reached Auth0 (the mail may be out)."""
    from orgs.sync.fencing import check_before_write

    base = urlsplit(tokens.auth0_base_url())
    authentication = Database(
        base.netloc, client_id, protocol=base.scheme, timeout=settings.AUTH0_TIMEOUT
    )
    # The Authentication API client does not pass through the Management API's hooks.
    check_before_write()
    try:
        authentication.change_password(
            email=email, connection=connection, organization=organization_id or None
        )
    except AuthenticationApiError as exc:
        body = {"error": exc.error_code, "error_description": exc.message}
        raise error_from_response(exc.status_code, body, exc.headers) from exc
    except requests.RequestException as exc:
        raise _transport_error(exc) from exc


def _transport_error(exc: requests.RequestException) -> Auth0Error:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    never_connected = isinstance(exc, requests.ConnectTimeout) or isinstance(
        reason, urllib3.exceptions.NewConnectionError
    )
    if never_connected:
        return Auth0Error(
            f"Auth0 could not be reached ({type(exc).__name__}).",
            code="connect",
            retryable=True,
        )
    return Auth0Error(
        f"No answer from Auth0 after the request was sent ({type(exc).__name__}).",
        code=RESET_DELIVERY_UNKNOWN,
    )
