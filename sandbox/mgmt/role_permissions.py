"""`/api/v2/roles/{id}/permissions`: list, add, remove.

A permission names an API (`resource_server_identifier`) and one of its scopes. The
sandbox tenant has one API, the Management API, whose scopes are the ones its routes
declare plus the portal's; anything else is refused as Auth0 refuses an unknown API or
scope. Adding a permission the role already has is a no-op; removing one it lacks too.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from sandbox.errors import bad_request, not_found
from sandbox.paging import offset_page
from sandbox.routing import Call, json_response, mgmt_route
from sandbox.seed import portal_scopes
from sandbox.state import JSON

from .roles import get_role
from .schema_check import Schema, validate_body

MANAGEMENT_API_NAME = "Auth0 Management API"
PERMISSIONS_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["permissions"],
    "properties": {
        "permissions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["resource_server_identifier", "permission_name"],
                "properties": {
                    "resource_server_identifier": {"type": "string"},
                    "permission_name": {"type": "string"},
                },
            },
        }
    },
}


def _api_scopes() -> set[str]:
    return set(portal_scopes())


def _permissions(call: Call) -> list[dict[str, str]]:
    body = validate_body(call.body_any(), PERMISSIONS_SCHEMA)
    return [
        {
            "resource_server_identifier": p["resource_server_identifier"],
            "permission_name": p["permission_name"],
        }
        for p in body["permissions"]
    ]


def _check_exists(call: Call, permission: dict[str, str]) -> None:
    identifier = permission["resource_server_identifier"]
    if identifier.rstrip("/") != call.config.api_audience.rstrip("/"):
        raise not_found("The resource server does not exist.", "inexistent_resource_server")
    if permission["permission_name"] not in _api_scopes():
        raise bad_request(
            f"Permission {permission['permission_name']} does not exist on {identifier}.",
            "invalid_body",
        )


def render(call: Call, permission: dict[str, str]) -> JSON:
    return {**permission, "resource_server_name": MANAGEMENT_API_NAME}


@mgmt_route(
    "GET", "/roles/<id>/permissions", scope="read:roles", description="Get permissions of a role"
)
def list_permissions(call: Call) -> Response:
    role = get_role(call.state, call.params["id"])
    return json_response(
        offset_page(call, role.permissions, "permissions", lambda p: render(call, p))
    )


@mgmt_route(
    "POST",
    "/roles/<id>/permissions",
    scope="update:roles",
    description="Associate permissions with a role",
)
def add_permissions(call: Call) -> Response:
    role = get_role(call.state, call.params["id"])
    wanted = _permissions(call)
    for permission in wanted:
        _check_exists(call, permission)
    for permission in wanted:
        if permission not in role.permissions:
            role.permissions.append(permission)
    return Response(b"", status=201)


@mgmt_route(
    "DELETE",
    "/roles/<id>/permissions",
    scope="update:roles",
    description="Remove permissions from a role",
)
def remove_permissions(call: Call) -> Response:
    role = get_role(call.state, call.params["id"])
    for permission in _permissions(call):
        if permission in role.permissions:
            role.permissions.remove(permission)
    # The OpenAPI document lists 200 for this route; Auth0 sends no body.
    return Response(b"", status=200)
