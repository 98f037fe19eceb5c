"""`/api/v2/tickets`: password-change and email-verification tickets.

A ticket is a one-time link stored in `state.tickets`; the pages that consume them are
the login package's (`/lo/reset`, `/u/email-verification`). The Management API only
creates the link: like Auth0, creating a password-change ticket sends no email.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

from werkzeug.wrappers import Response

from sandbox.errors import SandboxError, not_found
from sandbox.routing import Call, json_response, mgmt_route
from sandbox.state import JSON, State, Ticket, User

from .schema_check import Schema, body_error, validate_body

DEFAULT_TTL = 432_000  # 5 days, Auth0's default when ttl_sec is 0 or left out
PASSWORD_CHANGE = "password-change"
EMAIL_VERIFICATION = "email-verification"
RESET_PATH = "/lo/reset"
VERIFY_PATH = "/u/email-verification"

_IDENTITY: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["user_id", "provider"],
    "properties": {
        "user_id": {"type": "string"},
        "provider": {"type": "string"},
        "connection_id": {"type": "string", "pattern": r"^con_[A-Za-z0-9]{16}$"},
    },
}
_COMMON: dict[str, Schema] = {
    "result_url": {"type": "string", "format": "url"},
    "user_id": {"type": "string"},
    "client_id": {"type": "string"},
    "organization_id": {"type": "string"},
    "ttl_sec": {"type": "integer", "minimum": 0},
    "includeEmailInRedirect": {"type": "boolean"},
    "identity": _IDENTITY,
}
PASSWORD_CHANGE_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **_COMMON,
        "connection_id": {"type": "string", "pattern": r"^con_[A-Za-z0-9]{16}$"},
        "email": {"type": "string", "format": "email"},
        "mark_email_as_verified": {"type": "boolean"},
    },
}
EMAIL_VERIFICATION_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["user_id"],
    "properties": _COMMON,
}


def user_not_found() -> SandboxError:
    return not_found("User not found", "inexistent_user")


def issue_ticket(
    state: State, kind: str, user: User, now: float, ttl_sec: int = 0, **data: object
) -> Ticket:
    ticket = Ticket(
        id=secrets.token_urlsafe(24),
        kind=kind,
        created_at=now,
        expires_at=now + (ttl_sec or DEFAULT_TTL),
        user_id=user.user_id,
        data={k: v for k, v in data.items() if v is not None},
    )
    state.tickets[ticket.id] = ticket
    return ticket


def ticket_url(call: Call, path: str, ticket: Ticket) -> str:
    return f"{call.config.base_url}{path}?ticket={quote(ticket.id)}#"


def _check_references(call: Call, body: JSON) -> None:
    state = call.state
    if "client_id" in body and body["client_id"] not in state.clients:
        raise not_found("The client does not exist", "inexistent_client")
    if "organization_id" in body and body["organization_id"] not in state.organizations:
        raise not_found("No organization found by that id or name")


def _password_change_user(call: Call, body: JSON) -> User:
    state = call.state
    if "user_id" in body:
        if "connection_id" in body or "email" in body:
            raise body_error("user_id cannot be combined with connection_id or email")
        user = state.users.get(body["user_id"])
        if user is None:
            raise user_not_found()
        return user
    if "connection_id" not in body or "email" not in body:
        raise body_error("Missing required property: user_id (or connection_id and email)")
    conn = state.connections.get(body["connection_id"])
    if conn is None:
        raise not_found("The connection does not exist", "inexistent_connection")
    found = state.user_by_email(body["email"], conn.name)
    if found is None:
        raise user_not_found()
    return found


@mgmt_route(
    "POST",
    "/tickets/password-change",
    scope="create:user_tickets",
    description="Create a password change ticket",
)
def password_change_ticket(call: Call) -> Response:
    body = validate_body(call.body_any(), PASSWORD_CHANGE_SCHEMA)
    if "organization_id" in body and "result_url" in body:
        raise body_error("result_url cannot be used together with organization_id")
    user = _password_change_user(call, body)
    _check_references(call, body)
    ticket = issue_ticket(
        call.state,
        PASSWORD_CHANGE,
        user,
        call.now(),
        int(body.get("ttl_sec", 0)),
        result_url=body.get("result_url"),
        client_id=body.get("client_id"),
        organization_id=body.get("organization_id"),
        mark_email_as_verified=bool(body.get("mark_email_as_verified", False)),
        includeEmailInRedirect=bool(body.get("includeEmailInRedirect", False)),
    )
    return json_response({"ticket": ticket_url(call, RESET_PATH, ticket)}, 201)


@mgmt_route(
    "POST",
    "/tickets/email-verification",
    scope="create:user_tickets",
    description="Create an email verification ticket",
)
def email_verification_ticket(call: Call) -> Response:
    body = validate_body(call.body_any(), EMAIL_VERIFICATION_SCHEMA)
    if "result_url" in body and ("client_id" in body or "organization_id" in body):
        raise body_error("result_url cannot be used together with client_id or organization_id")
    user = call.state.users.get(body["user_id"])
    if user is None:
        raise user_not_found()
    _check_references(call, body)
    ticket = issue_ticket(
        call.state,
        EMAIL_VERIFICATION,
        user,
        call.now(),
        int(body.get("ttl_sec", 0)),
        result_url=body.get("result_url"),
        client_id=body.get("client_id"),
        organization_id=body.get("organization_id"),
        includeEmailInRedirect=bool(body.get("includeEmailInRedirect", False)),
    )
    return json_response({"ticket": ticket_url(call, VERIFY_PATH, ticket)}, 201)


def send_verification_email(call: Call, user: User) -> None:
    """What Auth0 sends after `POST /users` for an unverified database user."""
    ticket = issue_ticket(call.state, EMAIL_VERIFICATION, user, call.now())
    link = ticket_url(call, VERIFY_PATH, ticket)
    text = f"Please verify your email address by opening this link:\n\n{link}\n"
    html = f'<p>Please verify your email address.</p><p><a href="{link}">Verify</a></p>'
    call.send_email(
        user.email,
        "Verify your email",
        text,
        html,
        kind="verify_email",
        link=link,
        user_id=user.user_id,
        ticket=ticket.id,
    )
