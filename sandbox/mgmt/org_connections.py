"""An organization's connections, through both of Auth0's views of the same state:
`/organizations/{id}/enabled_connections` (the long-standing one) and
`/organizations/{id}/connections` (newer: adds `is_enabled` and per-org names)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..errors import SandboxError, conflict
from ..paging import offset_page
from ..routing import Call, empty, json_response, mgmt_route
from ..state import OrgConnection
from ..validation import validate
from .org_common import (
    check_connection_capacity,
    flag,
    get_org,
    render_enabled_connection,
    render_org_connection,
    require_known_connection,
)

_FLAGS = {
    "assign_membership_on_login": {"type": "boolean"},
    "is_signup_enabled": {"type": "boolean"},
    "show_as_button": {"type": "boolean"},
}
ADD_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["connection_id"],
    "properties": {"connection_id": {"type": "string", "minLength": 1}, **_FLAGS},
}
UPDATE_SCHEMA = {"type": "object", "additionalProperties": False, "properties": _FLAGS}
_ACCESS = ["none", "readonly", "limited", "full"]
_NEW_FIELDS: dict[str, dict[str, Any]] = {
    "organization_connection_name": {
        "type": "string",
        "minLength": 1,
        "maxLength": 50,
        "pattern": "^[^\u0000]*$",
    },
    "organization_access_level": {"type": "string", "enum": _ACCESS},
    "organization_member_access_level": {"type": "string"},
    "is_enabled": {"type": "boolean"},
}
CREATE_ALL_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["connection_id"],
    "properties": {
        "connection_id": {"type": "string", "minLength": 1, "maxLength": 50},
        **_FLAGS,
        **_NEW_FIELDS,
    },
}
UPDATE_ALL_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **_FLAGS,
        **{k: {**v, "type": [v["type"], "null"]} for k, v in _NEW_FIELDS.items()},
        "organization_access_level": {"type": ["string", "null"], "enum": [*_ACCESS, None]},
    },
}


def _apply_flags(entry: OrgConnection, body: dict[str, object]) -> None:
    for key in ("assign_membership_on_login", "is_signup_enabled", "show_as_button"):
        if key in body and body[key] is not None:
            setattr(entry, key, bool(body[key]))


def _apply_new_fields(entry: OrgConnection, body: dict[str, object]) -> None:
    if "organization_connection_name" in body:
        value = body["organization_connection_name"]
        entry.organization_connection_name = str(value) if value is not None else None
    if "organization_access_level" in body:
        value = body["organization_access_level"]
        entry.organization_access_level = str(value) if value is not None else None
    if "organization_member_access_level" in body:
        value = body["organization_member_access_level"]
        if value is None:
            entry.extra.pop("organization_member_access_level", None)
        else:
            entry.extra["organization_member_access_level"] = value
    if "is_enabled" in body:
        entry.is_enabled = body["is_enabled"] is not False  # null: back to the default


def _not_enabled() -> SandboxError:
    return SandboxError(404, "No connection found by that id for this organization")


# --- /enabled_connections ---------------------------------------------------------------


@mgmt_route(
    "GET",
    "/organizations/<id>/enabled_connections",
    scope="read:organization_connections",
    description="Get enabled connections of an Organization",
)
def list_enabled(call: Call) -> Response:
    org = get_org(call)
    items = org.enabled_connections()
    return json_response(
        offset_page(
            call, items, "enabled_connections", lambda e: render_enabled_connection(call, e)
        )
    )


@mgmt_route(
    "POST",
    "/organizations/<id>/enabled_connections",
    scope="create:organization_connections",
    description="Add a connection to an Organization",
)
def add_enabled(call: Call) -> Response:
    org = get_org(call)
    body = call.body()
    validate(body, ADD_SCHEMA)
    require_known_connection(call, body["connection_id"])
    entry = org.connections.get(body["connection_id"])
    if entry is None:
        check_connection_capacity(org)
        entry = OrgConnection(
            connection_id=body["connection_id"],
            assign_membership_on_login=flag(body, "assign_membership_on_login", False),
            show_as_button=flag(body, "show_as_button", True),
            is_signup_enabled=flag(body, "is_signup_enabled", False),
        )
        org.connections[entry.connection_id] = entry
    else:
        # Adding again is not an error: the flags sent win (add is idempotent).
        if not entry.is_enabled:
            check_connection_capacity(org)
        entry.is_enabled = True
        _apply_flags(entry, body)
    return json_response(render_enabled_connection(call, entry), 201)


@mgmt_route(
    "GET",
    "/organizations/<id>/enabled_connections/<connection_id>",
    scope="read:organization_connections",
    description="Get an enabled connection of an Organization",
)
def get_enabled(call: Call) -> Response:
    org = get_org(call)
    entry = org.enabled_connection(call.params["connection_id"])
    if entry is None:
        raise _not_enabled()
    return json_response(render_enabled_connection(call, entry))


@mgmt_route(
    "PATCH",
    "/organizations/<id>/enabled_connections/<connection_id>",
    scope="update:organization_connections",
    description="Update an enabled connection of an Organization",
)
def update_enabled(call: Call) -> Response:
    org = get_org(call)
    body = call.body()
    validate(body, UPDATE_SCHEMA)
    entry = org.enabled_connection(call.params["connection_id"])
    if entry is None:
        raise _not_enabled()
    _apply_flags(entry, body)
    return json_response(render_enabled_connection(call, entry))


@mgmt_route(
    "DELETE",
    "/organizations/<id>/enabled_connections/<connection_id>",
    scope="delete:organization_connections",
    description="Remove a connection from an Organization",
)
def remove_enabled(call: Call) -> Response:
    org = get_org(call)
    # Removing an association that is not there is a no-op (204), like the other
    # add/remove endpoints, so a retried remove after a lost response succeeds.
    org.connections.pop(call.params["connection_id"], None)
    return empty(204)


# --- /connections -----------------------------------------------------------------------


@mgmt_route(
    "GET",
    "/organizations/<id>/connections",
    scope="read:organization_connections",
    description="Get connections of an Organization",
)
def list_all(call: Call) -> Response:
    org = get_org(call)
    items = list(org.connections.values())
    if "is_enabled" in call.args:
        wanted = call.query_bool("is_enabled")
        items = [e for e in items if e.is_enabled == wanted]
    return json_response(
        offset_page(call, items, "connections", lambda e: render_org_connection(call, e))
    )


@mgmt_route(
    "POST",
    "/organizations/<id>/connections",
    scope="create:organization_connections",
    description="Add a connection to an Organization",
)
def create_all(call: Call) -> Response:
    org = get_org(call)
    body = call.body()
    validate(body, CREATE_ALL_SCHEMA)
    require_known_connection(call, body["connection_id"])
    if body["connection_id"] in org.connections:
        raise conflict("The organization connection already exists.")
    entry = OrgConnection(connection_id=body["connection_id"])
    _apply_flags(entry, body)
    _apply_new_fields(entry, body)
    if entry.is_enabled:
        check_connection_capacity(org)
    org.connections[entry.connection_id] = entry
    return json_response(render_org_connection(call, entry), 201)


def _get_any(call: Call) -> OrgConnection:
    entry = get_org(call).connections.get(call.params["connection_id"])
    if entry is None:
        raise _not_enabled()
    return entry


@mgmt_route(
    "GET",
    "/organizations/<id>/connections/<connection_id>",
    scope="read:organization_connections",
    description="Get a connection of an Organization",
)
def get_all(call: Call) -> Response:
    return json_response(render_org_connection(call, _get_any(call)))


@mgmt_route(
    "PATCH",
    "/organizations/<id>/connections/<connection_id>",
    scope="update:organization_connections",
    description="Update a connection of an Organization",
)
def update_all(call: Call) -> Response:
    org = get_org(call)
    body = call.body()
    validate(body, UPDATE_ALL_SCHEMA)
    entry = _get_any(call)
    enabling = "is_enabled" in body and body["is_enabled"] is not False
    if enabling and not entry.is_enabled:
        check_connection_capacity(org)
    _apply_flags(entry, body)
    _apply_new_fields(entry, body)
    return json_response(render_org_connection(call, entry))


@mgmt_route(
    "DELETE",
    "/organizations/<id>/connections/<connection_id>",
    scope="delete:organization_connections",
    description="Remove a connection from an Organization",
)
def delete_all(call: Call) -> Response:
    org = get_org(call)
    org.connections.pop(call.params["connection_id"], None)
    return empty(204)
