"""`/api/v2/connections`: create, list, get, update, delete, and enabled clients.

Auth0 semantics kept on purpose: PATCH replaces `options` whole (left-out options return
to their defaults) and resets `display_name` to the name when it is left out; DELETE
answers 202 and removes every user of the connection; `PATCH /connections/{id}/clients`
adds and removes single clients while the legacy `enabled_clients` array replaces the set.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from sandbox.errors import SandboxError, conflict, forbidden, not_found
from sandbox.paging import checkpoint_page, offset_page, wants_checkpoint
from sandbox.routing import Call, empty, json_response, mgmt_route
from sandbox.state import JSON, Connection, State, iso, new_id

from . import connection_options as opts
from .listing import checkpoint, select_fields
from .schema_check import Schema, body_error, check, query_error, validate_body
from .users import purge_user

NAME_PATTERN = r"^[a-zA-Z0-9](-[a-zA-Z0-9]|[a-zA-Z0-9])*$"
# Every strategy the OpenAPI document's enum lists.
_STRATEGY_NAMES = """
ad adfs amazon apple dropbox bitbucket auth0-oidc auth0 baidu bitly box custom daccount dwolla
email evernote-sandbox evernote exact facebook fitbit github google-apps google-oauth2
instagram ip line linkedin oauth1 oauth2 office365 oidc okta paypal paypal-sandbox
pingfederate planningcenter salesforce-community salesforce-sandbox salesforce samlp
sharepoint shopify shop sms soundcloud thirtysevensignals twitter untappd vkontakte waad
weibo windowslive wordpress yahoo yandex
"""
STRATEGIES = _STRATEGY_NAMES.split()
# Extra top-level fields Auth0 stores and returns as given; kept in `Connection.extra`.
PURPOSE_FIELDS = ("authentication", "connected_accounts", "cross_app_access_requesting_app")
MAX_METADATA_KEYS = 10

_PURPOSE: Schema = {"type": "object", "required": ["active"]}
_COMMON_PROPS: dict[str, Schema] = {
    "display_name": {"type": "string", "minLength": 1, "maxLength": 128},
    "options": {"type": "object"},
    "enabled_clients": {"type": "array", "items": {"type": "string"}},
    "is_domain_connection": {"type": "boolean"},
    "show_as_button": {"type": "boolean"},
    "realms": {"type": "array", "maxItems": 10, "items": {"type": "string"}},
    "metadata": {
        "type": "object",
        "maxProperties": MAX_METADATA_KEYS,
        "additionalProperties": {"type": ["string", "null"], "maxLength": 255},
    },
    **dict.fromkeys(PURPOSE_FIELDS, _PURPOSE),
}
CREATE_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "strategy"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": NAME_PATTERN},
        "strategy": {"type": "string", "enum": STRATEGIES},
        **_COMMON_PROPS,
    },
}
UPDATE_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        **_COMMON_PROPS,
        "options": {"type": ["object", "null"]},
        "enabled_clients": {"type": ["array", "null"], "items": {"type": "string"}},
    },
}
CLIENTS_PATCH_SCHEMA: Schema = {
    "type": "array",
    "minItems": 1,
    "maxItems": 50,
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["client_id", "status"],
        "properties": {"client_id": {"type": "string"}, "status": {"type": "boolean"}},
    },
}


def inexistent_connection() -> SandboxError:
    return not_found("The connection does not exist", "inexistent_connection")


def get_connection(state: State, connection_id: str) -> Connection:
    conn = state.connections.get(connection_id)
    if conn is None:
        raise inexistent_connection()
    return conn


def render(conn: Connection, *, listed: bool = False) -> JSON:
    """The connection as Auth0 returns it; lists leave out the deprecated enabled_clients."""
    out: JSON = {
        "id": conn.id,
        "name": conn.name,
        "display_name": conn.display_name or conn.name,
        "strategy": conn.strategy,
        "options": opts.render(conn.strategy, conn.options),
        "is_domain_connection": conn.is_domain_connection,
        "realms": list(conn.realms),
    }
    if not listed:
        out["enabled_clients"] = list(conn.enabled_clients)
    if conn.show_as_button is not None:
        out["show_as_button"] = conn.show_as_button
    if conn.metadata:
        out["metadata"] = dict(conn.metadata)
    for name in PURPOSE_FIELDS:
        if name in conn.extra:
            out[name] = conn.extra[name]
    return out


def _client_ids(state: State, ids: list[str], where: str) -> list[str]:
    unique: list[str] = []
    for client_id in ids:
        if client_id not in state.clients:
            raise body_error(f"Client {client_id} does not exist", where)
        if client_id not in unique:
            unique.append(client_id)
    return unique


def _metadata(value: dict[str, Any]) -> dict[str, str]:
    # A null value removes the key, as Auth0 does for every metadata map.
    return {k: v for k, v in value.items() if v is not None}


def _apply_common(state: State, conn: Connection, body: JSON) -> None:
    if "is_domain_connection" in body:
        conn.is_domain_connection = body["is_domain_connection"]
    if "show_as_button" in body:
        conn.show_as_button = body["show_as_button"]
    if "realms" in body:
        conn.realms = list(body["realms"]) or [conn.name]
    if "metadata" in body:
        conn.metadata = _metadata(body["metadata"])
    if body.get("enabled_clients") is not None:
        conn.enabled_clients = _client_ids(state, body["enabled_clients"], "enabled_clients")
    for name in PURPOSE_FIELDS:
        if name in body:
            conn.extra[name] = body[name]


@mgmt_route("POST", "/connections", scope="create:connections", description="Create a connection")
def create_connection(call: Call) -> Response:
    body = validate_body(call.body_any(), CREATE_SCHEMA)
    state = call.state
    if state.connection_by_name(body["name"]) is not None:
        raise conflict("A connection with the same name already exists", "connection_conflict")
    strategy = body["strategy"]
    conn = Connection(
        id=new_id("con"),
        name=body["name"],
        strategy=strategy,
        display_name=body.get("display_name") or body["name"],
        options=opts.normalize(strategy, body.get("options")),
        realms=[body["name"]],
        created_at=iso(call.now()),
    )
    if strategy in opts.ENTERPRISE_STRATEGIES:
        conn.show_as_button = False
    _apply_common(state, conn, body)
    state.connections[conn.id] = conn
    return json_response(render(conn), 201)


@mgmt_route("GET", "/connections", scope="read:connections", description="Get all connections")
def list_connections(call: Call) -> Response:
    items = list(call.state.connections.values())
    name = call.args.get("name")
    if name is not None:
        items = [c for c in items if c.name == name]
    strategies = [s for raw in call.args.getlist("strategy") for s in raw.split(",") if s]
    for strategy in strategies:
        if strategy not in STRATEGIES:
            raise query_error(f'No enum match for: "{strategy}"', "strategy")
    if strategies:
        items = [c for c in items if c.strategy in strategies]

    def show(conn: Connection) -> JSON:
        return select_fields(render(conn, listed=True), call)

    if wants_checkpoint(call):
        body = checkpoint_page(call, items, "connections", show, lambda c: c.id)
    else:
        body = offset_page(call, items, "connections", show, default_per_page=100)
    return json_response(body)


@mgmt_route(
    "GET",
    "/connections/<id>",
    scope=("read:connections", "read:connections_options"),
    description="Get a connection",
)
def get_connection_route(call: Call) -> Response:
    conn = get_connection(call.state, call.params["id"])
    return json_response(select_fields(render(conn), call))


@mgmt_route(
    "PATCH",
    "/connections/<id>",
    scope=("update:connections", "update:connections_options"),
    description="Update a connection",
)
def update_connection(call: Call) -> Response:
    conn = get_connection(call.state, call.params["id"])
    body = validate_body(call.body_any(), UPDATE_SCHEMA)
    if not call.has_scope("update:connections") and set(body) - {"options"}:
        # update:connections_options lets a token change `options` and nothing else.
        raise forbidden("Insufficient scope, expected any of: update:connections")
    if "options" in body:
        conn.options = opts.normalize(conn.strategy, body["options"])
    conn.display_name = body.get("display_name") or conn.name
    _apply_common(call.state, conn, body)
    return json_response(render(conn))


@mgmt_route(
    "DELETE", "/connections/<id>", scope="delete:connections", description="Delete a connection"
)
def delete_connection(call: Call) -> Response:
    state = call.state
    conn = get_connection(state, call.params["id"])
    remove_connection(state, conn)
    return empty(202)


def remove_connection(state: State, conn: Connection) -> None:
    """Delete the connection, its users, and its links to organizations."""
    for user in [u for u in state.users.values() if u.connection == conn.name]:
        purge_user(state, user.user_id)
    for org in state.organizations.values():
        org.connections.pop(conn.id, None)
    del state.connections[conn.id]


@mgmt_route(
    "GET",
    "/connections/<id>/clients",
    scope="read:connections",
    description="Get enabled clients for a connection",
)
def list_connection_clients(call: Call) -> Response:
    conn = get_connection(call.state, call.params["id"])
    take = call.query_int("take", 50, minimum=1, maximum=1000) or 50
    ids = [c for c in conn.enabled_clients if c in call.state.clients]
    page, cursor = checkpoint(ids, lambda c: c, call.args.get("from"), take)
    body: JSON = {"clients": [{"client_id": c} for c in page]}
    if cursor:
        body["next"] = cursor
    return json_response(body)


@mgmt_route(
    "PATCH",
    "/connections/<id>/clients",
    scope="update:connections",
    description="Update enabled clients for a connection",
)
def update_connection_clients(call: Call) -> Response:
    conn = get_connection(call.state, call.params["id"])
    changes = call.body_any()
    found = check(changes, CLIENTS_PATCH_SCHEMA)
    if found:
        raise body_error(*found)
    for index, change in enumerate(changes):
        _client_ids(call.state, [change["client_id"]], f"[{index}].client_id")
    for change in changes:
        client_id = change["client_id"]
        if change["status"] and client_id not in conn.enabled_clients:
            conn.enabled_clients.append(client_id)
        elif not change["status"] and client_id in conn.enabled_clients:
            conn.enabled_clients.remove(client_id)
    return empty(204)
