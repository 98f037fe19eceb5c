"""A SCIM 2.0 Users endpoint per connection: `{base_url}/scim/v2/connections/{id}/Users`.

What an IdP (Okta, Entra ID) calls once an admin pasted the URL and a token from
`POST /connections/{id}/scim-configuration/tokens`. It creates, reads, replaces, patches
and deletes users *of that connection* (RFC 7643/7644, the parts IdPs use), translating
attributes through the configuration's mapping: `active: false` blocks the user, as
Auth0 does. Bearer tokens are checked against the configuration's tokens (expiry and
scope: `get:users`, `post:users`, `put:users`, `patch:users`, `delete:users`), and a
token that works has its `last_used_at` updated. Errors are SCIM error bodies.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Response

from sandbox.routing import Call, json_response, route
from sandbox.state import JSON, Connection, ScimConfiguration, User, iso, parse_iso

from .scim import token_sha256
from .users import purge_user

BASE = "/scim/v2/connections/<id>"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCOPE_BY_METHOD = {
    "GET": "get:users",
    "POST": "post:users",
    "PUT": "put:users",
    "PATCH": "patch:users",
    "DELETE": "delete:users",
}
_USER_FIELDS = ("email", "name", "nickname", "given_name", "family_name")
_FILTER = re.compile(r'^\s*(\w+(?:\.\w+)?)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.I)
_PATH = re.compile(r"^(\w+)\[(\w+)\s+eq\s+(.+)\]\.(\w+)$", re.I)
MAX_COUNT = 100


class ScimError(Exception):
    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type

    def response(self) -> Response:
        body: JSON = {"schemas": [ERROR_SCHEMA], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return scim_json(body, self.status)


def scim_json(body: Any, status: int = 200) -> Response:
    response = json_response(body, status)
    response.content_type = "application/scim+json"
    return response


# --- the request: connection, token, scope ------------------------------------------------


def _authorize(call: Call) -> tuple[Connection, ScimConfiguration]:
    conn = call.state.connections.get(call.params["id"])
    config = call.state.scim_configurations.get(conn.id) if conn is not None else None
    if conn is None or config is None:
        raise ScimError(404, "SCIM is not configured for this connection")
    scheme, _, raw = call.request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise ScimError(401, "Missing or malformed bearer token")
    digest = token_sha256(raw.strip())
    token = next((t for t in config.tokens.values() if t.token_sha256 == digest), None)
    now = call.now()
    if token is None or (token.valid_until and parse_iso(token.valid_until) <= now):
        raise ScimError(401, "Invalid or expired token")
    if SCOPE_BY_METHOD[call.request.method] not in token.scopes:
        raise ScimError(403, f"The token lacks the scope {SCOPE_BY_METHOD[call.request.method]}")
    token.last_used_at = iso(now)
    return conn, config


def _scim(handler: Any) -> Any:
    """Run a SCIM handler, turning ScimError into a SCIM error response."""

    def run(call: Call) -> Response:
        try:
            conn, config = _authorize(call)
            result: Response = handler(call, conn, config)
            return result
        except ScimError as exc:
            return exc.response()

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


# --- SCIM paths in a resource -------------------------------------------------------------


def _literal(raw: str) -> Any:
    raw = raw.strip()
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return raw.strip('"')


def scim_get(resource: JSON, path: str) -> Any:
    match = _PATH.match(path)
    if match:
        attr, key, wanted, leaf = match.groups()
        for item in resource.get(attr) or []:
            if isinstance(item, dict) and item.get(key) == _literal(wanted):
                return item.get(leaf)
        items = resource.get(attr) or []
        # An IdP that sends a single email without `primary` still means the primary one.
        if key == "primary" and len(items) == 1 and isinstance(items[0], dict):
            return items[0].get(leaf)
        return None
    value: Any = resource
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def scim_set(resource: JSON, path: str, value: Any) -> None:
    match = _PATH.match(path)
    if match:
        attr, key, wanted, leaf = match.groups()
        items = resource.setdefault(attr, [])
        for item in items:
            if isinstance(item, dict) and item.get(key) == _literal(wanted):
                item[leaf] = value
                return
        items.append({key: _literal(wanted), leaf: value})
        return
    *parents, last = path.split(".")
    target = resource
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


# --- Auth0 user <-> SCIM resource, through the mapping --------------------------------------


def _auth0_get(user: User, field: str) -> Any:
    if field == "blocked":
        return not user.blocked  # mapped to SCIM `active`
    if field in _USER_FIELDS:
        return getattr(user, field) or None
    for prefix, store in (
        ("app_metadata.", user.app_metadata),
        ("user_metadata.", user.user_metadata),
    ):
        if field.startswith(prefix):
            return store.get(field.removeprefix(prefix))
    return user.extra.get(field)


def _auth0_set(user: User, field: str, value: Any) -> None:
    if field == "blocked":
        user.blocked = value is False
    elif field in _USER_FIELDS:
        empty = None if field in ("given_name", "family_name") else ""
        setattr(user, field, empty if value is None else str(value))
    elif field.startswith("app_metadata."):
        _store(user.app_metadata, field.removeprefix("app_metadata."), value)
    elif field.startswith("user_metadata."):
        _store(user.user_metadata, field.removeprefix("user_metadata."), value)
    else:
        _store(user.extra, field, value)


def _store(target: JSON, key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def to_scim(call: Call, conn: Connection, config: ScimConfiguration, user: User) -> JSON:
    resource: JSON = {"schemas": [USER_SCHEMA], "id": user.user_id}
    for item in config.mapping:
        value = _auth0_get(user, item["auth0"])
        if value is not None and item.get("scim"):
            scim_set(resource, item["scim"], value)
    resource.setdefault("active", not user.blocked)
    location = f"{call.config.base_url}/scim/v2/connections/{conn.id}/Users/{quote(user.user_id)}"
    resource["meta"] = {
        "resourceType": "User",
        "created": user.created_at,
        "lastModified": user.updated_at or user.created_at,
        "location": location,
    }
    return resource


def _apply(user: User, config: ScimConfiguration, resource: JSON, *, replace: bool) -> None:
    """Write the mapped attributes of `resource` to `user` (PUT also clears absent ones)."""
    for item in config.mapping:
        if not item.get("scim"):
            continue
        value = scim_get(resource, item["scim"])
        if item["auth0"] == "blocked":
            if value is not None or replace:
                user.blocked = value is False
            continue
        if value is not None or replace:
            _auth0_set(user, item["auth0"], value)
    if "active" in resource and not any(m["auth0"] == "blocked" for m in config.mapping):
        user.blocked = resource["active"] is False


def _user_of(call: Call, conn: Connection, user_id: str) -> User:
    user = call.state.users.get(user_id)
    if user is None or user.connection != conn.name:
        raise ScimError(404, f"User {user_id} not found")
    return user


def _resource_body(call: Call) -> JSON:
    try:
        body = call.body_any()
    except Exception:
        raise ScimError(400, "The request body is not JSON", "invalidSyntax") from None
    if not isinstance(body, dict):
        raise ScimError(400, "The request body must be a JSON object", "invalidSyntax")
    return body


# --- routes -------------------------------------------------------------------------------


@route("POST", BASE + "/Users")
@_scim
def create_scim_user(call: Call, conn: Connection, config: ScimConfiguration) -> Response:
    resource = _resource_body(call)
    external = scim_get(resource, config.user_id_attribute) or resource.get("userName")
    if not isinstance(external, str) or not external:
        raise ScimError(400, f"{config.user_id_attribute} is required", "invalidValue")
    user_id = f"{conn.strategy}|{conn.name}|{external}"
    if user_id in call.state.users:
        raise ScimError(409, "A user with this identifier already exists", "uniqueness")
    now = iso(call.now())
    user = User(user_id=user_id, connection=conn.name, provider=conn.strategy, created_at=now)
    user.updated_at = now
    _apply(user, config, resource, replace=True)
    user.email_verified = bool(user.email)
    call.state.users[user_id] = user
    return scim_json(to_scim(call, conn, config, user), 201)


@route("GET", BASE + "/Users")
@_scim
def list_scim_users(call: Call, conn: Connection, config: ScimConfiguration) -> Response:
    users = [u for u in call.state.users.values() if u.connection == conn.name]
    resources = [to_scim(call, conn, config, u) for u in users]
    raw_filter = call.args.get("filter")
    if raw_filter:
        match = _FILTER.match(raw_filter)
        if match is None:
            raise ScimError(
                400, 'Only `attribute eq "value"` filters are supported', "invalidFilter"
            )
        attr, wanted = match.group(1), match.group(2).replace('\\"', '"')
        resources = [r for r in resources if str(scim_get(r, attr) or "").lower() == wanted.lower()]
    start = max(_int_arg(call, "startIndex", 1), 1)
    count = min(max(_int_arg(call, "count", MAX_COUNT), 0), MAX_COUNT)
    page = resources[start - 1 : start - 1 + count]
    body = {
        "schemas": [LIST_SCHEMA],
        "totalResults": len(resources),
        "startIndex": start,
        "itemsPerPage": len(page),
        "Resources": page,
    }
    return scim_json(body)


def _int_arg(call: Call, name: str, default: int) -> int:
    try:
        return int(call.args.get(name, default))
    except ValueError:
        raise ScimError(400, f"{name} must be a number", "invalidValue") from None


@route("GET", BASE + "/Users/<user_id>")
@_scim
def get_scim_user(call: Call, conn: Connection, config: ScimConfiguration) -> Response:
    user = _user_of(call, conn, call.params["user_id"])
    return scim_json(to_scim(call, conn, config, user))


@route("PUT", BASE + "/Users/<user_id>")
@_scim
def replace_scim_user(call: Call, conn: Connection, config: ScimConfiguration) -> Response:
    user = _user_of(call, conn, call.params["user_id"])
    _apply(user, config, _resource_body(call), replace=True)
    user.updated_at = iso(call.now())
    return scim_json(to_scim(call, conn, config, user))


@route("PATCH", BASE + "/Users/<user_id>")
@_scim
def patch_scim_user(call: Call, conn: Connection, config: ScimConfiguration) -> Response:
    user = _user_of(call, conn, call.params["user_id"])
    body = _resource_body(call)
    operations = body.get("Operations")
    if PATCH_SCHEMA not in body.get("schemas", []) or not isinstance(operations, list):
        raise ScimError(400, "A PatchOp body with Operations is required", "invalidSyntax")
    resource = to_scim(call, conn, config, user)
    for operation in operations:
        _patch(resource, operation)
    _apply(user, config, resource, replace=True)
    user.updated_at = iso(call.now())
    return scim_json(to_scim(call, conn, config, user))


def _patch(resource: JSON, operation: Any) -> None:
    """One PatchOp operation: add/replace with or without a path, remove with one."""
    if not isinstance(operation, dict):
        raise ScimError(400, "Each operation must be an object", "invalidSyntax")
    op = str(operation.get("op", "")).lower()
    path = operation.get("path")
    value = operation.get("value")
    if op in ("add", "replace") and not path:
        if not isinstance(value, dict):
            raise ScimError(
                400, "An operation without a path needs an object value", "invalidValue"
            )
        for key, item in value.items():
            scim_set(resource, key, item)
    elif op in ("add", "replace") and isinstance(path, str):
        scim_set(resource, path, value)
    elif op == "remove" and isinstance(path, str):
        scim_set(resource, path, None)
    else:
        raise ScimError(400, f"Unsupported operation {op!r}", "invalidSyntax")


@route("DELETE", BASE + "/Users/<user_id>")
@_scim
def delete_scim_user(call: Call, conn: Connection, config: ScimConfiguration) -> Response:
    user = _user_of(call, conn, call.params["user_id"])
    purge_user(call.state, user.user_id)
    return Response(b"", status=204)
