"""`/api/v2/roles`: list, create, get, update, delete.

Auth0 answers `POST /roles` with 200 (not 201), 409 when the name is taken, and caps a
tenant at 1,000 roles. Deleting a role takes it away from every organization member.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from sandbox.errors import SandboxError, bad_request, conflict, not_found
from sandbox.paging import offset_page
from sandbox.routing import Call, json_response, mgmt_route
from sandbox.state import JSON, Role, State, new_id

from .schema_check import Schema, validate_body

MAX_ROLES = 1000
_NAME: Schema = {"type": "string", "minLength": 1, "maxLength": 50}
_DESCRIPTION: Schema = {"type": "string", "maxLength": 140}
CREATE_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {"name": _NAME, "description": _DESCRIPTION},
}
UPDATE_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"name": _NAME, "description": _DESCRIPTION},
}


def render(role: Role) -> JSON:
    return {"id": role.id, "name": role.name, "description": role.description}


def get_role(state: State, role_id: str) -> Role:
    role = state.roles.get(role_id)
    if role is None:
        raise not_found("The role does not exist.", "inexistent_role")
    return role


def role_exists() -> SandboxError:
    return conflict("Role name already exists", "role_conflict")


@mgmt_route("GET", "/roles", scope="read:roles", description="Get roles")
def list_roles(call: Call) -> Response:
    roles = list(call.state.roles.values())
    name_filter = call.args.get("name_filter")
    if name_filter:
        # Case-insensitive, as documented; Auth0 matches the start of the name.
        wanted = name_filter.lower()
        roles = [r for r in roles if r.name.lower().startswith(wanted)]
    return json_response(offset_page(call, roles, "roles", render))


@mgmt_route("POST", "/roles", scope="create:roles", description="Create a role")
def create_role(call: Call) -> Response:
    body = validate_body(call.body_any(), CREATE_SCHEMA)
    state = call.state
    if state.role_by_name(body["name"]) is not None:
        raise role_exists()
    if len(state.roles) >= MAX_ROLES:
        raise bad_request(f"You can create up to {MAX_ROLES} roles per tenant", "too_many_roles")
    role = Role(id=new_id("rol"), name=body["name"], description=body.get("description", ""))
    state.roles[role.id] = role
    return json_response(render(role), 200)


@mgmt_route("GET", "/roles/<id>", scope="read:roles", description="Get a role")
def get_role_route(call: Call) -> Response:
    return json_response(render(get_role(call.state, call.params["id"])))


@mgmt_route("PATCH", "/roles/<id>", scope="update:roles", description="Update a role")
def update_role(call: Call) -> Response:
    state = call.state
    role = get_role(state, call.params["id"])
    body = validate_body(call.body_any(), UPDATE_SCHEMA)
    if "name" in body:
        other = state.role_by_name(body["name"])
        if other is not None and other.id != role.id:
            raise role_exists()
        role.name = body["name"]
    if "description" in body:
        role.description = body["description"]
    return json_response(render(role))


@mgmt_route("DELETE", "/roles/<id>", scope="delete:roles", description="Delete a role")
def delete_role(call: Call) -> Response:
    state = call.state
    role = get_role(state, call.params["id"])
    for org in state.organizations.values():
        for member in org.members.values():
            if role.id in member.roles:
                member.roles.remove(role.id)
    del state.roles[role.id]
    # The OpenAPI document lists 200 for this route; Auth0 sends no body.
    return Response(b"", status=200)
