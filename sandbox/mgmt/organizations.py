"""Organizations: create, get, get by name, list (offset and checkpoint), update, delete."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..errors import SandboxError, bad_request, conflict, invalid_query, not_found
from ..paging import checkpoint_page, offset_page, wants_checkpoint
from ..routing import Call, empty, json_response, mgmt_route
from ..state import JSON, Organization, OrgConnection, iso, new_id
from ..validation import validate
from .org_common import (
    MAX_ENABLED_CONNECTIONS,
    MAX_ORGANIZATIONS,
    get_org,
    render_enabled_connection,
    render_org,
)

_NAME = {"type": "string", "minLength": 1, "maxLength": 50, "format": "organization-name"}
_DISPLAY_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
_BRANDING = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "logo_url": {"type": ["string", "null"], "format": "https-uri"},
        "colors": {
            "type": "object",
            "additionalProperties": False,
            "required": ["primary", "page_background"],
            "properties": {
                "primary": {"type": "string", "format": "html-color"},
                "page_background": {"type": "string", "format": "html-color"},
            },
        },
    },
}
_METADATA = {
    "type": "object",
    "maxProperties": 25,
    "additionalProperties": {"type": ["string", "null"], "maxLength": 255},
}
_TOKEN_QUOTA = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "required": ["client_credentials"],
    "properties": {
        "client_credentials": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "enforce": {"type": "boolean"},
                "per_day": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                "per_hour": {"type": "integer", "minimum": 1, "maximum": 2147483647},
            },
        }
    },
}
_CONNECTION_FOR_ORG = {
    "type": "object",
    "additionalProperties": False,
    "required": ["connection_id"],
    "properties": {
        "connection_id": {"type": "string"},
        "assign_membership_on_login": {"type": "boolean"},
        "show_as_button": {"type": "boolean"},
        "is_signup_enabled": {"type": "boolean"},
    },
}
# Fields newer than the OpenAPI document that auth0-python 6.8 can send.
_SDK_EXTRAS = {
    "third_party_client_access": {"type": "string"},
    "is_app_entitlement_active": {"type": "boolean"},
}
CREATE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": _NAME,
        "display_name": _DISPLAY_NAME,
        "branding": _BRANDING,
        "metadata": _METADATA,
        "enabled_connections": {
            "type": "array",
            "maxItems": MAX_ENABLED_CONNECTIONS,
            "items": _CONNECTION_FOR_ORG,
        },
        "token_quota": _TOKEN_QUOTA,
        **_SDK_EXTRAS,
    },
}
UPDATE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": _NAME,
        "display_name": _DISPLAY_NAME,
        "branding": {**_BRANDING, "type": ["object", "null"]},
        "metadata": {**_METADATA, "type": ["object", "null"]},
        "token_quota": _TOKEN_QUOTA,
        **_SDK_EXTRAS,
    },
}
_SORTABLE = {"name", "display_name", "created_at"}


def _clean_metadata(value: dict[str, Any] | None) -> dict[str, str]:
    # A null value means "no such key": Auth0 drops it rather than storing null.
    return {k: v for k, v in (value or {}).items() if v is not None}


def _name_taken(call: Call, name: str, except_id: str | None = None) -> bool:
    found = call.state.organization_by_name(name)
    return found is not None and found.id != except_id


def _conflict() -> SandboxError:
    return conflict("An organization with this name already exists.", "organization_conflict")


@mgmt_route(
    "POST",
    "/organizations",
    scope=("create:organizations", "create:organization_connections"),
    description="Create an Organization",
)
def create_organization(call: Call) -> Response:
    body = call.body()
    validate(body, CREATE_SCHEMA)
    state = call.state
    if _name_taken(call, body["name"]):
        raise _conflict()
    if len(state.organizations) >= MAX_ORGANIZATIONS:
        raise SandboxError(403, "The organizations limit has been reached", "limit_exceeded")
    entries: list[OrgConnection] = []
    for item in body.get("enabled_connections", []):
        # POST /organizations documents no 404: an unknown connection is a bad body.
        if item["connection_id"] not in state.connections:
            raise bad_request(f"The connection does not exist: {item['connection_id']}")
        if any(e.connection_id == item["connection_id"] for e in entries):
            raise bad_request(f"Duplicate connection_id: {item['connection_id']}")
        entries.append(
            OrgConnection(
                connection_id=item["connection_id"],
                assign_membership_on_login=bool(item.get("assign_membership_on_login", False)),
                show_as_button=bool(item.get("show_as_button", True)),
                is_signup_enabled=bool(item.get("is_signup_enabled", False)),
            )
        )
    org = Organization(
        id=new_id("org"),
        name=body["name"],
        display_name=body.get("display_name", ""),
        branding=body.get("branding"),
        metadata=_clean_metadata(body.get("metadata")),
        token_quota=body.get("token_quota"),
        created_at=iso(call.now()),
        connections={e.connection_id: e for e in entries},
    )
    for key in _SDK_EXTRAS:
        if key in body:
            org.extra[key] = body[key]
    state.organizations[org.id] = org
    result = render_org(org)
    if entries:
        result["enabled_connections"] = [render_enabled_connection(call, e) for e in entries]
    return json_response(result, 201)


@mgmt_route(
    "GET",
    "/organizations/<id>",
    scope=("read:organizations", "read:organizations_summary"),
    description="Get an Organization",
)
def get_organization(call: Call) -> Response:
    return json_response(render_org(get_org(call)))


@mgmt_route(
    "GET",
    "/organizations/name/<name>",
    scope="read:organizations",
    description="Get an Organization by name",
)
def get_organization_by_name(call: Call) -> Response:
    org = call.state.organization_by_name(call.params["name"])
    if org is None:
        raise not_found("No organization found by that id or name")
    return json_response(render_org(org))


@mgmt_route(
    "GET",
    "/organizations",
    scope=("read:organizations", "read:organizations_summary"),
    description="List Organizations",
)
def list_organizations(call: Call) -> Response:
    orgs = list(call.state.organizations.values())
    if wants_checkpoint(call):
        return json_response(
            checkpoint_page(call, orgs, "organizations", render_org, lambda o: o.id)
        )
    sort = call.args.get("sort")
    if sort:
        orgs = _sorted(orgs, sort)
    return json_response(offset_page(call, orgs, "organizations", render_org, max_page=1000))


def _sorted(orgs: list[Organization], sort: str) -> list[Organization]:
    field, _, order = sort.partition(":")
    if field not in _SORTABLE or order not in ("1", "-1"):
        raise invalid_query(
            "Query validation error: 'sort' must be one of name, display_name, created_at "
            "followed by :1 or :-1 on property sort."
        )
    return sorted(orgs, key=lambda o: str(getattr(o, field)), reverse=order == "-1")


@mgmt_route(
    "PATCH",
    "/organizations/<id>",
    scope="update:organizations",
    description="Update an Organization",
)
def update_organization(call: Call) -> Response:
    org = get_org(call)
    body = call.body()
    validate(body, UPDATE_SCHEMA)
    if "name" in body and _name_taken(call, body["name"], except_id=org.id):
        raise _conflict()
    if "name" in body:
        org.name = body["name"]
    if "display_name" in body:
        org.display_name = body["display_name"]
    if "branding" in body:
        org.branding = body["branding"] or None
    if "metadata" in body:
        # Sent metadata replaces the stored object whole (hence the portal's lock).
        org.metadata = _clean_metadata(body["metadata"])
    if "token_quota" in body:
        org.token_quota = body["token_quota"]
    for key in _SDK_EXTRAS:
        if key in body:
            org.extra[key] = body[key]
    return json_response(render_org(org))


@mgmt_route(
    "DELETE",
    "/organizations/<id>",
    scope="delete:organizations",
    description="Delete an Organization",
)
def delete_organization(call: Call) -> Response:
    org = get_org(call)
    # Members are detached (user accounts stay); invitations and associations go with it.
    del call.state.organizations[org.id]
    return empty(204)


def organizations_of_user(call: Call, user_id: str) -> list[JSON]:
    """For `/users/{id}/organizations` (MGMT-REST): the user's organizations, rendered."""
    return [render_org(o) for o in call.state.organizations.values() if user_id in o.members]
