"""The end of every successful login: membership check, code, session cookie, log."""

from __future__ import annotations

import secrets
from typing import Any

from werkzeug.wrappers import Request, Response

from ..state import Client, Connection, Organization, User
from . import cookies, rules, store
from .env import Env
from .respond import error_to_client, to_client


def log_fields(
    request: Request | None,
    *,
    client: Client | None = None,
    conn: Connection | None = None,
    user: User | None = None,
    org: Organization | None = None,
    user_name: str | None = None,
) -> dict[str, Any]:
    """The identifying fields Auth0 puts on a login log entry."""
    fields: dict[str, Any] = {}
    if request is not None:
        fields["ip"] = request.remote_addr
        fields["user_agent"] = request.headers.get("User-Agent")
    if client is not None:
        fields["client_id"] = client.client_id
        fields["client_name"] = client.name
    if conn is not None:
        fields["connection"] = conn.name
        fields["connection_id"] = conn.id
    if user is not None:
        fields["user_id"] = user.user_id
        fields["user_name"] = user.email or user.name
    elif user_name:
        fields["user_name"] = user_name
    if org is not None:
        fields["organization_id"] = org.id
        fields["organization_name"] = org.name
    return fields


def txn_org(env: Env, txn: store.Txn) -> Organization | None:
    org_id = txn.get("org_id")
    return env.state.organizations.get(org_id) if org_id else None


def fail(
    env: Env,
    request: Request,
    txn: store.Txn,
    error: str,
    description: str,
    *,
    log_type: str = "f",
    user: User | None = None,
    conn: Connection | None = None,
) -> Response:
    """Log a failed login and send the error back to the application's callback."""
    client = env.state.clients.get(txn["client_id"])
    org = txn_org(env, txn)
    fields = log_fields(request, client=client, conn=conn, user=user, org=org)
    env.write_log(log_type, description, **fields)
    store.end_transaction(env.state, txn["id"])
    return error_to_client(
        txn["redirect_uri"], error, description, txn.get("state"), txn.get("response_mode")
    )


def read_session(env: Env, request: Request) -> cookies.Session | None:
    """The SSO session of this browser, unless it was signed in before the user's
    sessions were deleted ("sign out everywhere")."""
    from sandbox.mgmt.user_sessions import ended_at

    raw = request.cookies.get(cookies.COOKIE_NAME)
    session = cookies.decode(env.session_secret, raw, now=int(env.now()))
    if session is not None and session.auth_time <= ended_at(env.state).get(session.user_id, -1):
        return None
    return session


def set_session(env: Env, response: Response, session: cookies.Session) -> None:
    response.set_cookie(
        cookies.COOKIE_NAME,
        cookies.encode(env.session_secret, session, now=int(env.now())),
        max_age=cookies.DEFAULT_MAX_AGE,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=env.base.startswith("https://"),
    )


def complete(
    env: Env,
    request: Request,
    txn: store.Txn,
    user: User,
    conn: Connection,
    *,
    session: cookies.Session | None = None,
) -> Response:
    """Issue a code for ``user`` and return to the application, or refuse a non-member.

    ``session`` is the SSO session being reused (no credentials were entered now).
    """
    state = env.state
    now = env.now()
    client = state.clients.get(txn["client_id"])
    org = txn_org(env, txn)
    if user.blocked:
        return fail(env, request, txn, "unauthorized", "user is blocked", user=user, conn=conn)
    if org is not None and not rules.is_member(org, user.user_id):
        if rules.assigns_membership(org, conn):
            rules.add_member(org, user.user_id, [], now)
        else:
            description = f"user {user.user_id} is not part of the {org.id} organization"
            return fail(env, request, txn, "access_denied", description, user=user, conn=conn)
    if session is None:
        session = cookies.Session(
            user_id=user.user_id,
            auth_time=int(now),
            connection=conn.name,
            sid=secrets.token_urlsafe(24),
        )
    rules.record_login(user, now, request.remote_addr)
    fields = log_fields(request, client=client, conn=conn, user=user, org=org)
    env.write_log("s", "Successful login", **fields)
    grant = {
        "client_id": txn["client_id"],
        "redirect_uri": txn["redirect_uri"],
        "redirect_uri_sent": txn.get("redirect_uri_sent", True),
        "user_id": user.user_id,
        "connection": conn.name,
        "scope": txn.get("scope") or "",
        "audience": txn.get("audience"),
        "nonce": txn.get("nonce"),
        "code_challenge": txn.get("code_challenge"),
        "code_challenge_method": txn.get("code_challenge_method"),
        "org_id": org.id if org else None,
        "org_name": org.name if org else None,
        "auth_time": session.auth_time,
        "sid": session.sid,
    }
    code = store.new_code(state, grant, now)
    store.end_transaction(state, txn["id"])
    response = to_client(
        txn["redirect_uri"], {"code": code, "state": txn.get("state")}, txn.get("response_mode")
    )
    set_session(env, response, session)
    return response
