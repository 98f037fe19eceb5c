"""`/api/v2/self-service-profiles`: profiles, SSO access tickets, revocation.

Kept from Auth0: at most 20 profiles per tenant (409 beyond), tickets live at most five
days, a ticket takes either `connection_id` (edit an existing connection) or
`connection_config` (create one; 409 if the name is taken), and revoking answers 202
whether or not the ticket exists. The ticket URL (`FLOW_PATH`) is served by
`sandbox/authn/self_service_page.py`.
"""

from __future__ import annotations

import secrets
import string
from urllib.parse import quote

from werkzeug.wrappers import Response

from sandbox.errors import conflict, not_found
from sandbox.paging import offset_page
from sandbox.routing import Call, empty, json_response, mgmt_route
from sandbox.state import JSON, SelfServiceProfile, State, Ticket, iso

from .connections import NAME_PATTERN
from .schema_check import Schema, body_error, validate_body

MAX_PROFILES = 20
MAX_TTL = 432_000  # 5 days
SSO_TICKET = "sso-access"
FLOW_PATH = "/self-service/connections-flow"
STRATEGIES = ["oidc", "samlp", "waad", "google-apps", "adfs", "okta", "auth0-samlp",
              "okta-samlp", "keycloak-samlp", "pingfederate"]  # fmt: skip

_BRANDING: Schema = {
    "type": "object",
    "properties": {
        "logo_url": {"type": "string", "maxLength": 1024, "pattern": "^https://"},
        "colors": {
            "type": "object",
            "required": ["primary"],
            "properties": {
                "primary": {"type": "string", "pattern": r"^#([\dA-Fa-f]{6}|[\dA-Fa-f]{3})$"}
            },
        },
    },
}
_ATTRIBUTES: Schema = {
    "type": ["array", "null"],
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "description", "is_optional"],
        "properties": {
            "name": {"type": "string", "maxLength": 250},
            "description": {"type": "string"},
            "is_optional": {"type": "boolean"},
        },
    },
}
_PROFILE_PROPS: dict[str, Schema] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 100},
    "description": {"type": ["string", "null"], "minLength": 1, "maxLength": 140},
    "branding": {**_BRANDING, "type": ["object", "null"]},
    "allowed_strategies": {
        "type": "array",
        "minItems": 1,
        "items": {"type": "string", "enum": STRATEGIES},
    },
    "user_attributes": _ATTRIBUTES,
    "user_attribute_profile_id": {"type": ["string", "null"]},
}
CREATE_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": _PROFILE_PROPS,
}
UPDATE_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": _PROFILE_PROPS,
}
TICKET_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "connection_id": {"type": "string"},
        "connection_config": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 128,
                    "pattern": NAME_PATTERN,
                },
                "display_name": {"type": "string", "maxLength": 128},
                "is_domain_connection": {"type": "boolean"},
                "show_as_button": {"type": "boolean"},
                "metadata": {"type": "object", "maxProperties": 10},
                "options": {"type": ["object", "null"]},
            },
        },
        "enabled_clients": {"type": "array", "items": {"type": "string"}},
        "enabled_organizations": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["organization_id"],
                "properties": {
                    "organization_id": {"type": "string", "maxLength": 50},
                    "assign_membership_on_login": {"type": "boolean"},
                    "show_as_button": {"type": "boolean"},
                },
            },
        },
        "ttl_sec": {"type": "integer", "minimum": 0, "maximum": MAX_TTL},
        "domain_aliases_config": {
            "type": "object",
            "additionalProperties": False,
            "required": ["domain_verification"],
            "properties": {
                "domain_verification": {
                    "type": "string",
                    "enum": ["none", "optional", "required"],
                },
                "pending_domains": {"type": "array", "items": {"type": "string"}},
            },
        },
        "provisioning_config": {"type": "object"},
        "use_for_organization_discovery": {"type": "boolean"},
        "third_party_client_access_config": {"type": "object"},
        "enabled_features": {"type": "object"},
    },
}
_B62 = string.ascii_letters + string.digits


def render(profile: SelfServiceProfile) -> JSON:
    out: JSON = {
        "id": profile.id,
        "name": profile.name,
        "user_attributes": list(profile.user_attributes),
        "allowed_strategies": list(profile.allowed_strategies),
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
    }
    if profile.description:
        out["description"] = profile.description
    if profile.branding:
        out["branding"] = profile.branding
    if profile.extra.get("user_attribute_profile_id"):
        out["user_attribute_profile_id"] = profile.extra["user_attribute_profile_id"]
    return out


def get_profile(state: State, profile_id: str) -> SelfServiceProfile:
    profile = state.self_service_profiles.get(profile_id)
    if profile is None:
        raise not_found("Self-service profile not found", "inexistent_self_service_profile")
    return profile


def _apply(profile: SelfServiceProfile, body: JSON) -> None:
    if "name" in body:
        profile.name = body["name"]
    if "description" in body:
        profile.description = body["description"] or ""
    if "branding" in body:
        profile.branding = body["branding"] or None
    if "allowed_strategies" in body:
        profile.allowed_strategies = list(body["allowed_strategies"])
    if "user_attributes" in body:
        profile.user_attributes = list(body["user_attributes"] or [])
    if "user_attribute_profile_id" in body:
        profile.extra["user_attribute_profile_id"] = body["user_attribute_profile_id"]


@mgmt_route(
    "POST",
    "/self-service-profiles",
    scope="create:self_service_profiles",
    description="Create a self-service profile",
)
def create_profile(call: Call) -> Response:
    body = validate_body(call.body_any(), CREATE_SCHEMA)
    state = call.state
    if len(state.self_service_profiles) >= MAX_PROFILES:
        raise conflict("No more profiles can be created for this tenant.", "too_many_profiles")
    now = iso(call.now())
    profile = SelfServiceProfile(
        id="ssp_" + "".join(secrets.choice(_B62) for _ in range(22)),
        name=body["name"],
        allowed_strategies=list(STRATEGIES),
        created_at=now,
        updated_at=now,
    )
    _apply(profile, body)
    state.self_service_profiles[profile.id] = profile
    return json_response(render(profile), 201)


@mgmt_route(
    "GET",
    "/self-service-profiles",
    scope="read:self_service_profiles",
    description="Get self-service profiles",
)
def list_profiles(call: Call) -> Response:
    profiles = list(call.state.self_service_profiles.values())
    return json_response(offset_page(call, profiles, "self_service_profiles", render))


@mgmt_route(
    "GET",
    "/self-service-profiles/<id>",
    scope="read:self_service_profiles",
    description="Get a self-service profile by Id",
)
def get_profile_route(call: Call) -> Response:
    return json_response(render(get_profile(call.state, call.params["id"])))


@mgmt_route(
    "PATCH",
    "/self-service-profiles/<id>",
    scope="update:self_service_profiles",
    description="Update a self-service profile",
)
def update_profile(call: Call) -> Response:
    profile = get_profile(call.state, call.params["id"])
    _apply(profile, validate_body(call.body_any(), UPDATE_SCHEMA))
    profile.updated_at = iso(call.now())
    return json_response(render(profile))


@mgmt_route(
    "DELETE",
    "/self-service-profiles/<id>",
    scope="delete:self_service_profiles",
    description="Delete a self-service profile by Id",
)
def delete_profile(call: Call) -> Response:
    # No 404 is documented for this route: deleting an unknown profile is a no-op.
    call.state.self_service_profiles.pop(call.params["id"], None)
    return empty(204)


def _check_ticket_targets(call: Call, body: JSON, profile: SelfServiceProfile) -> None:
    state = call.state
    if ("connection_id" in body) == ("connection_config" in body):
        raise body_error("Exactly one of connection_id or connection_config is required")
    if "connection_id" in body:
        conn = state.connections.get(body["connection_id"])
        if conn is None:
            raise not_found("The connection does not exist", "inexistent_connection")
        if conn.strategy not in profile.allowed_strategies:
            raise body_error(
                f"The connection strategy {conn.strategy} is not allowed by the profile"
            )
    elif state.connection_by_name(body["connection_config"]["name"]) is not None:
        raise conflict("A connection with this name already exists.", "connection_conflict")
    for client_id in body.get("enabled_clients", []):
        if client_id not in state.clients:
            raise not_found("The client does not exist", "inexistent_client")
    for entry in body.get("enabled_organizations", []):
        if entry["organization_id"] not in state.organizations:
            raise not_found("No organization found by that id or name")


@mgmt_route(
    "POST",
    "/self-service-profiles/<id>/sso-ticket",
    scope="create:sso_access_tickets",
    description="Create an access ticket to initiate the Self-Service Enterprise "
    "Configuration flow",
)
def create_sso_ticket(call: Call) -> Response:
    profile = get_profile(call.state, call.params["id"])
    body = validate_body(call.body_any(), TICKET_SCHEMA)
    _check_ticket_targets(call, body, profile)
    now = call.now()
    ticket = Ticket(
        id=secrets.token_urlsafe(24),
        kind=SSO_TICKET,
        created_at=now,
        expires_at=now + (body.get("ttl_sec") or MAX_TTL),
        data={"profile_id": profile.id, **body},
    )
    call.state.tickets[ticket.id] = ticket
    url = f"{call.config.base_url}{FLOW_PATH}?ticket={quote(ticket.id)}"
    return json_response({"ticket": url}, 201)


@mgmt_route(
    "POST",
    "/self-service-profiles/<profileId>/sso-ticket/<id>/revoke",
    scope="delete:sso_access_tickets",
    description="Revoke a Self-Service Enterprise Configuration access ticket",
)
def revoke_sso_ticket(call: Call) -> Response:
    ticket = call.state.tickets.get(call.params["id"])
    if (
        ticket is not None
        and ticket.kind == SSO_TICKET
        and ticket.data.get("profile_id") == call.params["profileId"]
    ):
        ticket.used = True
        ticket.data["revoked"] = True
        ticket.expires_at = min(ticket.expires_at, call.now())
    return empty(202)
