"""`/api/v2/connections/{id}/scim-configuration`: inbound SCIM on an enterprise connection.

The configuration (attribute mapping, `user_id_attribute`) and its tokens, as Auth0
documents them. A token's value exists only in the answer to `POST .../tokens`; the
sandbox keeps its SHA-256 so the SCIM endpoint (`sandbox/scim_users.py`) can check it.
Auth0 allows two tokens per connection (a third is 409) and token lifetimes over 900 s.
"""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

from werkzeug.wrappers import Response

from sandbox.errors import SandboxError, bad_request, conflict, not_found
from sandbox.routing import Call, empty, json_response, mgmt_route
from sandbox.state import JSON, Connection, ScimConfiguration, ScimToken, State, iso, new_id

from .connections import get_connection
from .schema_check import Schema, validate_body

# Strategies Auth0 offers inbound SCIM for (enterprise connections).
SCIM_STRATEGIES = frozenset({"samlp", "oidc", "okta", "waad", "adfs", "pingfederate"})
TOKEN_SCOPES = ("get:users", "post:users", "put:users", "patch:users", "delete:users")
MAX_TOKENS = 2
MIN_TOKEN_LIFETIME = 900
DEFAULT_USER_ID_ATTRIBUTE = "externalId"
# Auth0's default mapping for enterprise connections (the common part of it).
DEFAULT_MAPPING: tuple[JSON, ...] = (
    {"auth0": "preferred_username", "scim": "userName"},
    {"auth0": "email", "scim": "emails[primary eq true].value"},
    {"auth0": "app_metadata.external_id", "scim": "externalId"},
    {"auth0": "blocked", "scim": "active"},
    {"auth0": "name", "scim": "displayName"},
    {"auth0": "given_name", "scim": "name.givenName"},
    {"auth0": "family_name", "scim": "name.familyName"},
    {"auth0": "nickname", "scim": "nickName"},
    {"auth0": "app_metadata.title", "scim": "title"},
)

_MAPPING: Schema = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["auth0", "scim"],
        "properties": {"auth0": {"type": "string", "minLength": 1}, "scim": {"type": "string"}},
    },
}
CREATE_SCHEMA: Schema = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "properties": {"user_id_attribute": {"type": "string", "minLength": 1}, "mapping": _MAPPING},
}
UPDATE_SCHEMA: Schema = {
    **CREATE_SCHEMA,
    "type": "object",
    "required": ["user_id_attribute", "mapping"],
}
TOKEN_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "scopes": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "enum": list(TOKEN_SCOPES)},
        },
        "token_lifetime": {"type": ["integer", "null"], "minimum": MIN_TOKEN_LIFETIME + 1},
    },
}


def tenant_name(call: Call) -> str:
    """The tenant's name: the first label of its host (`acme` for acme.eu.auth0.com)."""
    host = urlsplit(call.config.base_url).hostname or ""
    label = host.split(".")[0]
    return "sandbox" if not label or label.isdigit() or host == "localhost" else label


def no_configuration() -> SandboxError:
    return not_found("The connection does not have a SCIM configuration", "inexistent_scim_config")


def configuration_of(state: State, connection_id: str) -> tuple[Connection, ScimConfiguration]:
    conn = get_connection(state, connection_id)
    config = state.scim_configurations.get(conn.id)
    if config is None:
        raise no_configuration()
    return conn, config


def token_sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def render(call: Call, conn: Connection, config: ScimConfiguration) -> JSON:
    return {
        "tenant_name": tenant_name(call),
        "connection_id": conn.id,
        "connection_name": conn.name,
        "strategy": conn.strategy,
        "created_at": config.created_at,
        "updated_on": config.updated_on,
        "mapping": [dict(item) for item in config.mapping],
        "user_id_attribute": config.user_id_attribute,
    }


def render_token(token: ScimToken) -> JSON:
    out: JSON = {"token_id": token.token_id, "scopes": list(token.scopes)}
    out["created_at"] = token.created_at
    if token.valid_until:
        out["valid_until"] = token.valid_until
    if token.last_used_at:
        out["last_used_at"] = token.last_used_at
    return out


@mgmt_route(
    "GET",
    "/connections/<id>/scim-configuration",
    scope="read:scim_config",
    description="Get a connection's SCIM configuration",
)
def get_configuration(call: Call) -> Response:
    conn, config = configuration_of(call.state, call.params["id"])
    return json_response(render(call, conn, config))


@mgmt_route(
    "POST",
    "/connections/<id>/scim-configuration",
    scope="create:scim_config",
    description="Create a connection's SCIM configuration",
)
def create_configuration(call: Call) -> Response:
    state = call.state
    conn = get_connection(state, call.params["id"])
    body = call.body_any()
    body = validate_body({} if body is None else body, CREATE_SCHEMA)
    if conn.strategy not in SCIM_STRATEGIES:
        raise bad_request(
            f"SCIM is not supported for connections with strategy {conn.strategy}",
            "operation_not_supported",
        )
    if conn.id in state.scim_configurations:
        raise conflict("The connection already has a SCIM configuration")
    now = iso(call.now())
    config = ScimConfiguration(
        connection_id=conn.id,
        user_id_attribute=body.get("user_id_attribute") or DEFAULT_USER_ID_ATTRIBUTE,
        mapping=[dict(m) for m in body.get("mapping") or DEFAULT_MAPPING],
        created_at=now,
        updated_on=now,
    )
    state.scim_configurations[conn.id] = config
    return json_response(render(call, conn, config), 201)


@mgmt_route(
    "PATCH",
    "/connections/<id>/scim-configuration",
    scope="update:scim_config",
    description="Update a connection's SCIM configuration",
)
def update_configuration(call: Call) -> Response:
    conn, config = configuration_of(call.state, call.params["id"])
    body = validate_body(call.body_any(), UPDATE_SCHEMA)
    config.user_id_attribute = body["user_id_attribute"]
    config.mapping = [dict(m) for m in body["mapping"]]
    config.updated_on = iso(call.now())
    return json_response(render(call, conn, config))


@mgmt_route(
    "DELETE",
    "/connections/<id>/scim-configuration",
    scope="delete:scim_config",
    description="Delete a connection's SCIM configuration (and its tokens)",
)
def delete_configuration(call: Call) -> Response:
    conn, _ = configuration_of(call.state, call.params["id"])
    del call.state.scim_configurations[conn.id]
    return empty(204)


@mgmt_route(
    "GET",
    "/connections/<id>/scim-configuration/default-mapping",
    scope="read:scim_config",
    description="Get the default SCIM mapping",
)
def default_mapping(call: Call) -> Response:
    get_connection(call.state, call.params["id"])
    return json_response({"mapping": [dict(m) for m in DEFAULT_MAPPING]})


@mgmt_route(
    "GET",
    "/connections/<id>/scim-configuration/tokens",
    scope="read:scim_token",
    description="List a connection's SCIM tokens",
)
def list_tokens(call: Call) -> Response:
    _, config = configuration_of(call.state, call.params["id"])
    return json_response([render_token(t) for t in config.tokens.values()])


@mgmt_route(
    "POST",
    "/connections/<id>/scim-configuration/tokens",
    scope="create:scim_token",
    description="Create a SCIM token",
)
def create_token(call: Call) -> Response:
    _, config = configuration_of(call.state, call.params["id"])
    body = validate_body(call.body_any(), TOKEN_SCHEMA)
    if len(config.tokens) >= MAX_TOKENS:
        raise conflict(f"Maximum of {MAX_TOKENS} tokens already issued for this connection")
    value = secrets.token_urlsafe(48)
    now = call.now()
    lifetime = body.get("token_lifetime")
    token = ScimToken(
        token_id=new_id("tok"),
        token_sha256=token_sha256(value),
        scopes=list(body.get("scopes") or TOKEN_SCOPES),
        created_at=iso(now),
        valid_until=iso(now + lifetime) if lifetime else None,
    )
    config.tokens[token.token_id] = token
    return json_response({**render_token(token), "token": value}, 201)


@mgmt_route(
    "DELETE",
    "/connections/<id>/scim-configuration/tokens/<token_id>",
    scope="delete:scim_token",
    description="Delete a SCIM token",
)
def delete_token(call: Call) -> Response:
    _, config = configuration_of(call.state, call.params["id"])
    if config.tokens.pop(call.params["token_id"], None) is None:
        raise not_found("The SCIM token does not exist")
    return empty(204)
