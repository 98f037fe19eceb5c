"""Organization members and their organization-specific roles."""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..errors import SandboxError, bad_request, conflict, not_found
from ..paging import checkpoint_page, offset_page, wants_checkpoint
from ..routing import Call, empty, json_response, mgmt_route
from ..state import JSON, Member, Organization, iso
from ..validation import validate
from .org_common import MAX_MEMBERS, MAX_ROLES_PER_MEMBER, filter_fields, get_org, requested_fields

MEMBERS_SCHEMA = {
    "type": "object",
    "required": ["members"],
    "properties": {
        "members": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
    },
}
ROLES_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["roles"],
    "properties": {
        "roles": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
    },
}


def _render_member(call: Call, member: Member, with_roles: bool) -> JSON:
    user = call.state.users.get(member.user_id)
    body: JSON = {"user_id": member.user_id}
    if user is not None:
        body.update({"email": user.email, "name": user.name or user.email, "picture": user.picture})
    if with_roles:
        body["roles"] = [
            {"id": role_id, "name": call.state.roles[role_id].name}
            for role_id in member.roles
            if role_id in call.state.roles
        ]
    return body


@mgmt_route(
    "GET",
    "/organizations/<id>/members",
    scope=("read:organization_members", "read:organization_member_roles"),
    description="Get members of an Organization",
)
def list_members(call: Call) -> Response:
    org = get_org(call)
    fields, include = requested_fields(call)
    with_roles = fields is not None and include and "roles" in fields
    if with_roles:
        # Roles ride along only for tokens that may read them (Auth0's rule).
        call.require_scope("read:organization_member_roles")

    def render(member: Member) -> JSON:
        return filter_fields(_render_member(call, member, with_roles), fields, include, "user_id")

    members = list(org.members.values())
    if wants_checkpoint(call):
        return json_response(checkpoint_page(call, members, "members", render, lambda m: m.user_id))
    return json_response(offset_page(call, members, "members", render, max_page=1000))


@mgmt_route(
    "POST",
    "/organizations/<id>/members",
    scope="create:organization_members",
    description="Add members to an Organization",
)
def add_members(call: Call) -> Response:
    org = get_org(call)
    body = call.body()
    validate(body, MEMBERS_SCHEMA)
    missing = [uid for uid in body["members"] if uid not in call.state.users]
    if missing:
        raise bad_request(f"One or more users do not exist: {', '.join(missing)}")
    new = [uid for uid in dict.fromkeys(body["members"]) if uid not in org.members]
    if len(org.members) + len(new) > MAX_MEMBERS:
        raise SandboxError(400, "The organization has reached its member limit", "invalid_body")
    created = iso(call.now())
    for uid in new:
        org.members[uid] = Member(uid, created_at=created)
    return empty(204)


@mgmt_route(
    "DELETE",
    "/organizations/<id>/members",
    scope="delete:organization_members",
    description="Delete members from an Organization",
)
def remove_members(call: Call) -> Response:
    org = get_org(call)
    body = call.body()
    validate(body, MEMBERS_SCHEMA)
    for uid in body["members"]:
        org.members.pop(uid, None)
    return empty(204)


# --- member roles -----------------------------------------------------------------------


def _member(call: Call, org: Organization) -> Member:
    user_id = call.params["user_id"]
    if user_id not in call.state.users:
        raise not_found("The user does not exist.")
    member = org.members.get(user_id)
    if member is None:
        raise bad_request("The user is not a member of the organization.")
    return member


def _check_roles_exist(call: Call, role_ids: list[str]) -> None:
    missing = [r for r in role_ids if r not in call.state.roles]
    if missing:
        raise bad_request(f"One or more of the specified roles do not exist: {', '.join(missing)}")


@mgmt_route(
    "GET",
    "/organizations/<id>/members/<user_id>/roles",
    scope="read:organization_member_roles",
    description="Get roles of an Organization member",
)
def list_member_roles(call: Call) -> Response:
    member = _member(call, get_org(call))
    roles = [call.state.roles[r] for r in member.roles if r in call.state.roles]
    return json_response(
        offset_page(call, roles, "roles", lambda r: {"id": r.id, "name": r.name}, max_page=1000)
    )


@mgmt_route(
    "POST",
    "/organizations/<id>/members/<user_id>/roles",
    scope="create:organization_member_roles",
    description="Assign roles to an Organization member",
)
def assign_member_roles(call: Call) -> Response:
    org = get_org(call)
    body = call.body()
    validate(body, ROLES_SCHEMA)
    member = _member(call, org)
    _check_roles_exist(call, body["roles"])
    new = [r for r in dict.fromkeys(body["roles"]) if r not in member.roles]
    if len(member.roles) + len(new) > MAX_ROLES_PER_MEMBER:
        raise conflict("No more roles can be assigned to this organization member.")
    member.roles.extend(new)
    return empty(204)


@mgmt_route(
    "DELETE",
    "/organizations/<id>/members/<user_id>/roles",
    scope="delete:organization_member_roles",
    description="Remove roles from an Organization member",
)
def remove_member_roles(call: Call) -> Response:
    org = get_org(call)
    body = call.body()
    validate(body, ROLES_SCHEMA)
    member = _member(call, org)
    member.roles = [r for r in member.roles if r not in set(body["roles"])]
    return empty(204)
