"""`/api/v2/users/{user_id}/sessions` and `/users/{user_id}/refresh-tokens`: a user's
login sessions and refresh tokens, listed and deleted ("sign out everywhere").

The login pages keep no session table: the SSO session is a signed cookie
(sandbox/authn/cookies.py). So a session here is what the tenant log records: each
successful login (`s`) of the user within the cookie's lifetime, identified by its log
id, until the user's sessions are deleted (every login logged before that moment is
then gone; log ids sort in write order, so "before" is the last log id at the time).
Deletions live in the state's scratch space: a reset or a restart from a snapshot
forgets them. The login pages do not consult them, so an `auth0` cookie
issued before the deletion still works in the sandbox (Auth0 would refuse it).

The sandbox issues no refresh tokens (`offline_access` is accepted and yields none), so a
user's list is always empty; deleting them checks the user and answers as Auth0 does.
Both deletions answer 202 ("request accepted"), as documented.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Response

from ..authn.cookies import DEFAULT_MAX_AGE
from ..paging import checkpoint_page
from ..routing import Call, empty, json_response, mgmt_route
from ..state import JSON, LogEntry, User, iso
from .tickets import user_not_found

NAMESPACE = "user_sessions"
SUCCESSFUL_LOGIN = "s"


def _user(call: Call) -> User:
    user = call.state.users.get(call.params["user_id"])
    if user is None:
        raise user_not_found()
    return user


def _deleted_through(call: Call) -> dict[str, str]:
    """user_id -> the last log id written when their sessions were last deleted."""
    marks: dict[str, str] = call.state.ns(NAMESPACE).setdefault("sessions_deleted_through", {})
    return marks


def _timestamp(date: str) -> float:
    return datetime.strptime(date, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def live_sessions(call: Call, user_id: str) -> list[LogEntry]:
    """The user's logins that still make a session: not expired, not deleted since."""
    now = call.now()
    deleted_through = _deleted_through(call).get(user_id, "")
    found = []
    for entry in call.state.logs:
        if entry.type != SUCCESSFUL_LOGIN or entry.user_id != user_id:
            continue
        logged_at = _timestamp(entry.date)
        if now - logged_at > DEFAULT_MAX_AGE:
            continue
        if entry.log_id <= deleted_through:
            continue
        found.append(entry)
    return found


def _method(call: Call, entry: LogEntry) -> str:
    """Auth0's authentication method name: a password, or another identity provider."""
    conn = call.state.connection_by_name(entry.connection or "")
    return "pwd" if conn is not None and conn.strategy == "auth0" else "federated"


def _render_session(call: Call, entry: LogEntry) -> JSON:
    started = _timestamp(entry.date)
    ends = iso(started + DEFAULT_MAX_AGE)
    body: JSON = {
        "id": entry.log_id,
        "user_id": entry.user_id,
        "created_at": entry.date,
        "updated_at": entry.date,
        "authenticated_at": entry.date,
        "last_interacted_at": entry.date,
        "idle_expires_at": ends,
        "expires_at": ends,
        "device": {
            "initial_user_agent": entry.user_agent or "",
            "last_user_agent": entry.user_agent or "",
        },
        "clients": [{"client_id": entry.client_id}] if entry.client_id else [],
        "authentication": {"methods": [{"name": _method(call, entry), "timestamp": entry.date}]},
    }
    if entry.ip:
        body["device"].update({"initial_ip": entry.ip, "last_ip": entry.ip})
    return body


@mgmt_route(
    "GET",
    "/users/<user_id>/sessions",
    scope="read:sessions",
    description="Get sessions for user",
)
def list_user_sessions(call: Call) -> Response:
    user = _user(call)
    call.query_bool("include_totals")  # accepted (and checked); the answer is the same
    sessions = live_sessions(call, user.user_id)
    body = checkpoint_page(
        call, sessions, "sessions", lambda e: _render_session(call, e), lambda e: e.log_id
    )
    return json_response(body)


@mgmt_route(
    "DELETE",
    "/users/<user_id>/sessions",
    scope="delete:sessions",
    description="Delete sessions for user",
)
def delete_user_sessions(call: Call) -> Response:
    user = _user(call)
    logs = call.state.logs
    _deleted_through(call)[user.user_id] = logs[-1].log_id if logs else ""
    # The SSO cookies issued until now stop working (sandbox.authn.finish.read_session).
    ended_at(call.state)[user.user_id] = int(call.now())
    return empty(202)


def ended_at(state: Any) -> dict[str, int]:
    """user_id -> when their sessions were last deleted (epoch seconds)."""
    ended: dict[str, int] = state.ns(NAMESPACE).setdefault("sessions_ended_at", {})
    return ended


@mgmt_route(
    "GET",
    "/users/<user_id>/refresh-tokens",
    scope="read:refresh_tokens",
    description="Get refresh tokens for a user",
)
def list_user_refresh_tokens(call: Call) -> Response:
    _user(call)
    call.query_bool("include_totals")
    tokens: list[LogEntry] = []  # the sandbox never issues refresh tokens
    body = checkpoint_page(call, tokens, "tokens", lambda e: {}, lambda e: e.log_id)
    return json_response(body)


@mgmt_route(
    "DELETE",
    "/users/<user_id>/refresh-tokens",
    scope="delete:refresh_tokens",
    description="Delete refresh tokens for a user",
)
def delete_user_refresh_tokens(call: Call) -> Response:
    _user(call)
    return empty(202)
