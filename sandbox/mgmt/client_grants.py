"""`/api/v2/client-grants` and `/organizations/{id}/client-grants`.

These read and write `state.client_grants`, the same records `POST /oauth/token` turns
into a token's scopes: a grant created here changes what the client's next token holds,
and a grant's `scope` replaced by `PATCH` narrows or widens it. The tenant has one API,
the Management API, so a grant's audience must be its identifier (404 otherwise, as
Auth0 answers for an unknown resource server). Deleting a grant takes it off every
organization it was associated with.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from sandbox.errors import SandboxError, bad_request, conflict, not_found
from sandbox.paging import checkpoint_page, offset_page, wants_checkpoint
from sandbox.routing import Call, empty, json_response, mgmt_route
from sandbox.state import JSON, ClientGrant, State, new_id

from .org_common import get_org
from .schema_check import Schema, validate_body, validate_query

MAX_GRANTS_PER_ORGANIZATION = 100
_ORG_USAGE: Schema = {"type": "string", "enum": ["deny", "allow", "require"]}
_SCOPES: Schema = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 280}}
_DETAIL_TYPES: Schema = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 255},
}
CREATE_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["audience"],
    "properties": {
        "client_id": {"type": "string"},
        "audience": {"type": "string", "minLength": 1},
        "default_for": {"type": "string", "enum": ["third_party_clients"]},
        "organization_usage": _ORG_USAGE,
        "allow_any_organization": {"type": "boolean"},
        "scope": _SCOPES,
        "subject_type": {"type": "string", "enum": ["client", "user"]},
        "authorization_details_types": _DETAIL_TYPES,
        "allow_all_scopes": {"type": "boolean"},
    },
}
UPDATE_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "scope": {**_SCOPES, "type": ["array", "null"]},
        "organization_usage": {
            "type": ["string", "null"],
            "enum": ["deny", "allow", "require", None],
        },
        "allow_any_organization": {"type": ["boolean", "null"]},
        "authorization_details_types": _DETAIL_TYPES,
        "allow_all_scopes": {"type": ["boolean", "null"]},
    },
}
LIST_QUERY: Schema = {
    "type": "object",
    "properties": {
        "allow_any_organization": {"type": "string", "enum": ["true"]},
        "subject_type": {"type": "string", "enum": ["client", "user"]},
        "default_for": {"type": "string", "enum": ["third_party_clients"]},
    },
}
ORG_GRANT_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["grant_id"],
    "properties": {"grant_id": {"type": "string"}},
}
# Stored in ClientGrant.extra and returned as sent.
_EXTRA_FIELDS = (
    "organization_usage",
    "allow_any_organization",
    "default_for",
    "subject_type",
    "authorization_details_types",
    "allow_all_scopes",
)
# The organization view of a grant carries fewer fields (the OpenAPI document's).
_ORG_VIEW_FIELDS = ("id", "client_id", "audience", "scope", "organization_usage")


def render(grant: ClientGrant) -> JSON:
    body: JSON = {
        "id": grant.id,
        "client_id": grant.client_id,
        "audience": grant.audience,
        "scope": list(grant.scope),
    }
    body.update({k: grant.extra[k] for k in _EXTRA_FIELDS if k in grant.extra})
    return body


def render_for_organization(grant: ClientGrant) -> JSON:
    full = render(grant)
    body = {k: full[k] for k in _ORG_VIEW_FIELDS if k in full}
    body["allow_any_organization"] = bool(grant.extra.get("allow_any_organization", False))
    return body


def get_grant(state: State, grant_id: str) -> ClientGrant:
    grant = state.client_grants.get(grant_id)
    if grant is None:
        raise not_found("The client grant does not exist.", "inexistent_client_grant")
    return grant


def delete_grant(state: State, grant_id: str) -> None:
    """Remove a grant and its organization associations (also used when a client goes)."""
    state.client_grants.pop(grant_id, None)
    for org in state.organizations.values():
        if grant_id in org.client_grants:
            org.client_grants.remove(grant_id)


def _same_audience(a: str, b: str) -> bool:
    # The sandbox's SDK callers vary on the trailing slash; /oauth/token ignores it too.
    return a.rstrip("/") == b.rstrip("/")


def _check_audience(call: Call, audience: str) -> None:
    if not _same_audience(audience, call.config.api_audience):
        raise not_found(f"No resource server found by that audience: {audience}")


def _matches(call: Call, grant: ClientGrant) -> bool:
    audience = call.args.get("audience")
    client_id = call.args.get("client_id")
    if audience and not _same_audience(grant.audience, audience):
        return False
    if client_id and grant.client_id != client_id:
        return False
    if call.args.get("allow_any_organization") and not grant.extra.get("allow_any_organization"):
        return False
    subject = call.args.get("subject_type")
    if subject and grant.extra.get("subject_type", "client") != subject:
        return False
    default_for = call.args.get("default_for")
    return not default_for or grant.extra.get("default_for") == default_for


@mgmt_route("GET", "/client-grants", scope="read:client_grants", description="Get client grants")
def list_grants(call: Call) -> Response:
    validate_query(call.args.to_dict(), LIST_QUERY)
    grants = [g for g in call.state.client_grants.values() if _matches(call, g)]
    if wants_checkpoint(call):
        return json_response(checkpoint_page(call, grants, "client_grants", render, _grant_id))
    return json_response(offset_page(call, grants, "client_grants", render))


def _grant_id(grant: ClientGrant) -> str:
    return grant.id


@mgmt_route(
    "POST", "/client-grants", scope="create:client_grants", description="Create client grant"
)
def create_grant(call: Call) -> Response:
    body = validate_body(call.body_any(), CREATE_SCHEMA)
    state = call.state
    client_id = body.get("client_id")
    if not client_id:
        raise bad_request("Payload validation error: 'Missing required property: client_id'.")
    if client_id not in state.clients:
        raise not_found("Client not found", "inexistent_client")
    _check_audience(call, body["audience"])
    for other in state.client_grants.values():
        if other.client_id == client_id and _same_audience(other.audience, body["audience"]):
            raise conflict("client_grant already exists", "client_grant_conflict")
    grant = ClientGrant(
        id=new_id("cgr"),
        client_id=client_id,
        audience=body["audience"],
        scope=list(dict.fromkeys(body.get("scope", []))),
        extra={k: body[k] for k in _EXTRA_FIELDS if k in body},
    )
    state.client_grants[grant.id] = grant
    return json_response(render(grant), 201)


@mgmt_route(
    "GET", "/client-grants/<id>", scope="read:client_grants", description="Get client grant"
)
def get_grant_route(call: Call) -> Response:
    return json_response(render(get_grant(call.state, call.params["id"])))


@mgmt_route(
    "PATCH", "/client-grants/<id>", scope="update:client_grants", description="Update client grant"
)
def update_grant(call: Call) -> Response:
    grant = get_grant(call.state, call.params["id"])
    body = validate_body(call.body_any(), UPDATE_SCHEMA)
    for key, value in body.items():
        if key == "scope":
            grant.scope = list(dict.fromkeys(value or []))
        elif value is None:
            grant.extra.pop(key, None)  # null: back to the default
        else:
            grant.extra[key] = value
    return json_response(render(grant))


@mgmt_route(
    "DELETE", "/client-grants/<id>", scope="delete:client_grants", description="Delete client grant"
)
def delete_grant_route(call: Call) -> Response:
    grant = get_grant(call.state, call.params["id"])
    delete_grant(call.state, grant.id)
    return empty(204)


# --- /organizations/{id}/client-grants ------------------------------------------------


@mgmt_route(
    "GET",
    "/organizations/<id>/client-grants",
    scope="read:organization_client_grants",
    description="Get client grants associated to an organization",
)
def list_org_grants(call: Call) -> Response:
    org = get_org(call)
    state = call.state
    grants = [state.client_grants[g] for g in org.client_grants if g in state.client_grants]
    wanted_ids = call.args.getlist("grant_ids")
    if wanted_ids:
        grants = [g for g in grants if g.id in wanted_ids]
    grants = [g for g in grants if _matches(call, g)]
    return json_response(offset_page(call, grants, "client_grants", render_for_organization))


@mgmt_route(
    "POST",
    "/organizations/<id>/client-grants",
    scope="create:organization_client_grants",
    description="Associate a client grant with an organization",
)
def add_org_grant(call: Call) -> Response:
    org = get_org(call)
    body = validate_body(call.body_any(), ORG_GRANT_SCHEMA)
    grant = call.state.client_grants.get(body["grant_id"])
    if grant is None:
        raise not_found("No client grant found by that id", "inexistent_client_grant")
    if grant.id not in org.client_grants:
        if len(org.client_grants) >= MAX_GRANTS_PER_ORGANIZATION:
            raise SandboxError(
                409,
                "Quota exceeded; cannot add more than "
                f"{MAX_GRANTS_PER_ORGANIZATION} client grants to a single organization",
                "quota_exceeded",
            )
        org.client_grants.append(grant.id)
    return json_response(render_for_organization(grant), 201)


@mgmt_route(
    "DELETE",
    "/organizations/<id>/client-grants/<grant_id>",
    scope="delete:organization_client_grants",
    description="Remove a client grant from an organization",
)
def remove_org_grant(call: Call) -> Response:
    org = get_org(call)
    grant_id = call.params["grant_id"]
    if grant_id in org.client_grants:
        org.client_grants.remove(grant_id)
    return empty(204)
