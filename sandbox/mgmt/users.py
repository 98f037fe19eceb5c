"""`/api/v2/users`: create, get, update, delete, list/search, by email, organizations.

Kept from Auth0: 409 when the email already exists in that connection; passwords checked
against the database connection's policy and stored only as a hash; PATCH merges
`app_metadata`/`user_metadata` at the top level only (a nested list is replaced whole,
a null value removes its key); emails of database users are stored in lower case.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from werkzeug.wrappers import Response

from sandbox.authn import policy
from sandbox.errors import SandboxError, bad_request, conflict, forbidden, invalid_query, not_found
from sandbox.paging import offset_page
from sandbox.passwords import hash_password
from sandbox.routing import Call, empty, json_response, mgmt_route
from sandbox.state import JSON, Connection, State, User, iso

from .listing import select_fields
from .lucene import matches, parse
from .org_common import render_org
from .schema_check import Schema, body_error, validate_body

PASSWORDLESS = frozenset({"email", "sms"})
# What a bare word in `q` (no `field:`) searches.
USER_TEXT_FIELDS = ("email", "name", "nickname", "username")
_NAMES: dict[str, Schema] = {
    "given_name": {"type": ["string", "null"], "minLength": 1, "maxLength": 150},
    "family_name": {"type": ["string", "null"], "minLength": 1, "maxLength": 150},
    "name": {"type": ["string", "null"], "minLength": 1, "maxLength": 300},
    "nickname": {"type": ["string", "null"], "minLength": 1, "maxLength": 300},
    "picture": {"type": ["string", "null"], "format": "strict-uri"},
    "username": {"type": ["string", "null"], "minLength": 1, "maxLength": 128},
}
_COMMON: dict[str, Schema] = {
    "email": {"type": "string", "format": "email"},
    "phone_number": {"type": "string", "pattern": r"^\+[0-9]{1,15}$"},
    "user_metadata": {"type": "object"},
    "app_metadata": {"type": "object"},
    "blocked": {"type": "boolean"},
    "email_verified": {"type": "boolean"},
    "phone_verified": {"type": "boolean"},
    "verify_email": {"type": "boolean"},
    "password": {"type": "string", "minLength": 1},
    "connection": {"type": "string", "minLength": 1},
}
CREATE_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["connection"],
    "properties": {
        **_COMMON,
        **{k: {**v, "type": "string"} for k, v in _NAMES.items()},
        "user_id": {"type": "string", "maxLength": 255, "pattern": r"^\S*$"},
    },
}
UPDATE_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **_COMMON,
        **_NAMES,
        "email": {"type": ["string", "null"], "format": "email"},
        "user_metadata": {"type": ["object", "null"]},
        "app_metadata": {"type": ["object", "null"]},
        "verify_phone_number": {"type": "boolean"},
        "client_id": {"type": "string"},
    },
}
_METADATA_SCOPE_KEYS = frozenset({"app_metadata", "user_metadata"})


def inexistent_user() -> SandboxError:
    return not_found("The user does not exist.", "inexistent_user")


def user_exists() -> SandboxError:
    return conflict("The user already exists.", "auth0_idp_error")


def get_user(state: State, user_id: str) -> User:
    user = state.users.get(user_id)
    if user is None:
        raise inexistent_user()
    return user


def render(user: User) -> JSON:
    out: JSON = {
        "user_id": user.user_id,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name or user.email,
        "nickname": user.nickname or user.email.split("@")[0],
        "picture": user.picture or gravatar(user.email),
        "identities": user.identities(),
        "created_at": user.created_at,
        "updated_at": user.updated_at or user.created_at,
    }
    for key in ("username", "given_name", "family_name", "last_login", "last_ip"):
        value = getattr(user, key)
        if value is not None:
            out[key] = value
    if user.app_metadata:
        out["app_metadata"] = user.app_metadata
    if user.user_metadata:
        out["user_metadata"] = user.user_metadata
    if user.blocked:
        out["blocked"] = True
    if user.logins_count or user.last_login:
        out["logins_count"] = user.logins_count
    out.update({k: v for k, v in user.extra.items() if k not in out})
    return out


def gravatar(email: str) -> str:
    digest = hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()
    return f"https://s.gravatar.com/avatar/{digest}?s=480&r=pg&d=identicon"


def purge_user(state: State, user_id: str) -> None:
    """Delete a user and detach it from every organization (user deletes, connection deletes)."""
    state.users.pop(user_id, None)
    for org in state.organizations.values():
        org.members.pop(user_id, None)


def check_password(password: str, conn: Connection, user: User | None, email: str) -> None:
    """Auth0 answers a weak password with this message and no errorCode."""
    options = conn.options
    problem = policy.check(password, options)
    lowered = password.lower()
    personal = options.get("password_no_personal_info") or {}
    if not problem and isinstance(personal, dict) and personal.get("enable"):
        parts = [email.split("@")[0], user.name if user else "", user.username if user else ""]
        if any(p and len(p) >= 3 and p.lower() in lowered for p in parts):
            problem = "Password contains user information"
    dictionary = options.get("password_dictionary") or {}
    if not problem and isinstance(dictionary, dict) and dictionary.get("enable"):
        words = [str(w).lower() for w in dictionary.get("dictionary") or []]
        if lowered in words:
            problem = "Password is in the dictionary"
    if problem:
        raise SandboxError(400, "PasswordStrengthError: Password is too weak")


def _database_connection(state: State, name: str) -> Connection:
    conn = state.connection_by_name(name)
    if conn is None:
        raise bad_request("The connection does not exist.", "inexistent_connection")
    if conn.strategy != "auth0" and conn.strategy not in PASSWORDLESS:
        raise bad_request(
            "Connection must be a database or passwordless connection", "operation_not_supported"
        )
    return conn


def merge_metadata(current: JSON, patch: JSON | None) -> JSON:
    """Top-level merge: each key replaces (lists and objects whole); null removes it."""
    if patch is None:
        return {}
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


@mgmt_route("POST", "/users", scope="create:users", description="Create a User")
def create_user(call: Call) -> Response:
    body = validate_body(call.body_any(), CREATE_SCHEMA)
    state = call.state
    conn = _database_connection(state, body["connection"])
    email = str(body.get("email", "")).lower()
    if conn.strategy == "auth0":
        for required in ("email", "password"):
            if required not in body:
                raise body_error(f"Missing required property: {required}")
        if conn.options.get("requires_username") and "username" not in body:
            raise body_error("Missing required property: username")
    if email and state.user_by_email(email, conn.name) is not None:
        raise user_exists()
    username = body.get("username")
    if username and any(
        u.username == username and u.connection == conn.name for u in state.users.values()
    ):
        raise user_exists()
    provider = "auth0" if conn.strategy == "auth0" else conn.strategy
    user_id = f"{provider}|{body.get('user_id') or secrets.token_hex(12)}"
    if user_id in state.users:
        raise user_exists()
    now = iso(call.now())
    user = User(
        user_id=user_id,
        connection=conn.name,
        provider=provider,
        email=email,
        email_verified=bool(body.get("email_verified", False)),
        username=username,
        name=body.get("name") or email,
        nickname=body.get("nickname") or email.split("@")[0],
        given_name=body.get("given_name"),
        family_name=body.get("family_name"),
        picture=body.get("picture") or gravatar(email),
        app_metadata=dict(body.get("app_metadata") or {}),
        user_metadata=dict(body.get("user_metadata") or {}),
        blocked=bool(body.get("blocked", False)),
        created_at=now,
        updated_at=now,
    )
    if "password" in body:
        check_password(body["password"], conn, user, email)
        user.password_hash = hash_password(body["password"])
    for key in ("phone_number", "phone_verified"):
        if key in body:
            user.extra[key] = body[key]
    state.users[user.user_id] = user
    wants_verification = body.get("verify_email", not user.email_verified)
    if conn.strategy == "auth0" and wants_verification and not user.email_verified:
        from .tickets import send_verification_email

        send_verification_email(call, user)
    return json_response(render(user), 201)


@mgmt_route(
    "GET",
    "/users/<id>",
    scope=("read:users", "read:current_user", "read:user_idp_tokens"),
    description="Get a User",
)
def get_user_route(call: Call) -> Response:
    user = get_user(call.state, call.params["id"])
    return json_response(select_fields(render(user), call))


@mgmt_route(
    "PATCH",
    "/users/<id>",
    scope=("update:users", "update:users_app_metadata", "update:current_user_metadata"),
    description="Update a User",
)
def update_user(call: Call) -> Response:
    state = call.state
    user = get_user(state, call.params["id"])
    body = validate_body(call.body_any(), UPDATE_SCHEMA)
    if not call.has_scope("update:users") and set(body) - _METADATA_SCOPE_KEYS:
        # The metadata-only scopes let a token touch app/user metadata and nothing else.
        raise forbidden("Insufficient scope, expected any of: update:users")
    conn = state.connection_by_name(user.connection)
    if body.get("email") is not None:
        email = str(body["email"]).lower()
        other = state.user_by_email(email, user.connection)
        if other is not None and other.user_id != user.user_id:
            # Unlike POST (409), Auth0 answers a taken email on PATCH with a 400.
            raise bad_request("The specified new email already exists")
        if email != user.email:
            user.email = email
            user.email_verified = bool(body.get("email_verified", False))
    if "password" in body:
        if conn is None or conn.strategy != "auth0":
            raise bad_request("Cannot change the password of a non-database user")
        check_password(body["password"], conn, user, user.email)
        user.password_hash = hash_password(body["password"])
    for key in ("email_verified", "blocked"):
        if key in body:
            setattr(user, key, bool(body[key]))
    for key in _NAMES:
        if key in body:
            setattr(user, key, body[key] if body[key] is not None else _unset(key))
    for key in ("app_metadata", "user_metadata"):
        if key in body:
            setattr(user, key, merge_metadata(getattr(user, key), body[key]))
    for key in ("phone_number", "phone_verified"):
        if key in body:
            user.extra[key] = body[key]
    user.updated_at = iso(call.now())
    return json_response(render(user))


def _unset(key: str) -> Any:
    # Root attributes typed `str` fall back to "" (rendered from the email); others vanish.
    return "" if key in ("name", "nickname", "picture") else None


@mgmt_route(
    "DELETE",
    "/users/<id>",
    scope=("delete:users", "delete:current_user"),
    description="Delete a User",
)
def delete_user(call: Call) -> Response:
    # Auth0 answers 204 whether or not the user existed.
    purge_user(call.state, call.params["id"])
    return empty(204)


@mgmt_route(
    "GET",
    "/users",
    scope=("read:users", "read:user_idp_tokens"),
    description="List or Search Users",
)
def list_users(call: Call) -> Response:
    engine = call.args.get("search_engine", "v3")
    if engine not in ("v1", "v2", "v3"):
        raise invalid_query(
            f"Query validation error: 'No enum match for: \"{engine}\"' on property search_engine."
        )
    users = list(call.state.users.values())
    q = call.args.get("q")
    if q:
        query = parse(q)
        users = [u for u in users if matches(render(u), query, default_fields=USER_TEXT_FIELDS)]
    connection = call.args.get("connection")
    if connection:
        users = [u for u in users if u.connection == connection]
    users = _sorted(users, call.args.get("sort"))
    body = offset_page(
        call, users, "users", lambda u: select_fields(render(u), call), default_per_page=50
    )
    return json_response(body)


def _sorted(users: list[User], sort: str | None) -> list[User]:
    if not sort:
        return users
    field, _, order = sort.partition(":")
    if order not in ("", "1", "-1"):
        raise invalid_query("Query validation error: 'Invalid sort order' on property sort.")
    return sorted(users, key=lambda u: str(render(u).get(field, "")), reverse=order == "-1")


@mgmt_route("GET", "/users-by-email", scope="read:users", description="Search Users by Email")
def users_by_email(call: Call) -> Response:
    email = call.args.get("email")
    if not email:
        raise invalid_query("Query validation error: 'Missing required property: email'.")
    # Case-sensitive, as documented; database users' emails are stored in lower case.
    found = [u for u in call.state.users.values() if u.email == email]
    return json_response([select_fields(render(u), call) for u in found])


@mgmt_route(
    "GET",
    "/users/<id>/organizations",
    scope="read:organizations",
    description="List user's organizations",
)
def user_organizations(call: Call) -> Response:
    state = call.state
    user = get_user(state, call.params["id"])
    orgs = [o for o in state.organizations.values() if user.user_id in o.members]

    return json_response(offset_page(call, orgs, "organizations", render_org, max_page=1000))
