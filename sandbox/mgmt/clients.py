"""`/api/v2/clients`: list, get, create, update, delete, rotate-secret.

Kept from Auth0: PATCH replaces each array it is sent whole (callbacks, allowed_logout_urls,
web_origins, allowed_origins, client_aliases, grant_types, ...) and merges
`client_metadata` per key (null deletes); a secret is generated on create; secrets are
shown only to tokens with `read:client_keys`/`read:client_credentials`, and a token with
only `read:client_summary` sees client_id, app_type, name and description.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from werkzeug.wrappers import Response

from sandbox.errors import SandboxError, forbidden, not_found
from sandbox.paging import checkpoint_page, offset_page, wants_checkpoint
from sandbox.routing import Call, empty, json_response, mgmt_route
from sandbox.state import JSON, Client, State, iso

from .client_grants import delete_grant
from .listing import select_fields
from .lucene import matches, parse
from .schema_check import Schema, body_error, validate_body

MAX_METADATA_KEYS = 10
APP_TYPES = ["native", "spa", "regular_web", "non_interactive", "resource_server",
             "express_configuration", "rms", "box", "cloudbees", "concur", "dropbox",
             "mscrm", "echosign", "egnyte", "newrelic", "office365", "salesforce",
             "sentry", "sharepoint", "slack", "springcm", "zendesk", "zoom",
             "sso_integration", "oag"]  # fmt: skip
PUBLIC_APP_TYPES = frozenset({"spa", "native"})
DEFAULT_GRANTS = {
    "non_interactive": ["client_credentials"],
    "spa": ["authorization_code", "implicit", "refresh_token"],
    "native": ["authorization_code", "implicit", "refresh_token"],
}
FALLBACK_GRANTS = ["authorization_code", "implicit", "refresh_token", "client_credentials"]
# Arrays PATCH replaces whole; those with a Client attribute live there, the rest in extra.
ARRAY_FIELDS = ("callbacks", "allowed_logout_urls", "web_origins", "allowed_origins",
                "grant_types", "client_aliases", "allowed_clients")  # fmt: skip
ATTRIBUTES = frozenset(Client.__dataclass_fields__) - {"extra", "client_id", "created_at"}
SUMMARY_FIELDS = ("client_id", "app_type", "name", "description")
SECRET_FIELDS = ("client_secret", "encryption_key", "client_authentication_methods",
                 "signing_keys")  # fmt: skip

_URLS: Schema = {"type": "array", "items": {"type": "string"}}
_METADATA: Schema = {
    "type": "object",
    "maxProperties": MAX_METADATA_KEYS,
    "additionalProperties": {"type": ["string", "null"], "maxLength": 255},
}
_KNOWN: dict[str, Schema] = {
    "name": {"type": "string", "minLength": 1, "pattern": "^[^<>]+$"},
    "description": {"type": "string", "maxLength": 140},
    "logo_uri": {"type": "string", "format": "absolute-uri-or-empty"},
    **dict.fromkeys(ARRAY_FIELDS, _URLS),
    "token_endpoint_auth_method": {
        "type": ["string", "null"],
        "enum": ["none", "client_secret_post", "client_secret_basic", None],
    },
    "app_type": {"type": "string", "enum": APP_TYPES},
    "is_first_party": {"type": "boolean"},
    "oidc_conformant": {"type": "boolean"},
    "sso": {"type": "boolean"},
    "sso_disabled": {"type": "boolean"},
    "cross_origin_authentication": {"type": "boolean"},
    "custom_login_page_on": {"type": "boolean"},
    "jwt_configuration": {"type": "object"},
    "client_metadata": _METADATA,
    "initiate_login_uri": {
        "type": "string",
        "format": "absolute-https-uri-with-placeholders-or-empty",
    },
    "organization_usage": {"type": ["string", "null"], "enum": ["deny", "allow", "require", None]},
    "organization_require_behavior": {
        "type": ["string", "null"],
        "enum": ["no_prompt", "pre_login_prompt", "post_login_prompt", None],
    },
    "organization_discovery_methods": {
        "type": ["array", "null"],
        "minItems": 1,
        "items": {"type": "string", "enum": ["email", "organization_name"]},
    },
    "refresh_token": {"type": ["object", "null"]},
    "default_organization": {"type": ["object", "null"]},
    "client_secret": {"type": "string", "minLength": 1},
}
# The long tail of documented fields: accepted, stored in `extra`, returned as given.
_OTHER = """oidc_logout oidc_backchannel_logout session_transfer is_token_endpoint_ip_header_trusted
encryption_key cross_origin_loc custom_login_page custom_login_page_preview form_template addons
mobile native_social_login fedcm_login client_authentication_methods
require_pushed_authorization_requests require_proof_of_possession signed_request_object
token_vault_privileged_access compliance_level
skip_non_verifiable_callback_uri_confirmation_prompt token_exchange par_request_expiry
token_quota resource_server_identifier identity_assertion_authorization_grant
anonymous_sessions enforce_anon_session_transfer_network_binding third_party_security_mode
redirection_policy express_configuration b2b_integration_configuration
my_organization_configuration async_approval_notification_channels oidc_support"""
_PROPS: dict[str, Schema] = {**{name: {} for name in _OTHER.split()}, **_KNOWN}
CREATE_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {k: v for k, v in _PROPS.items() if k != "client_secret"},
}
UPDATE_SCHEMA: Schema = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": _PROPS,
}
_ALNUM = string.ascii_letters + string.digits
TENANT = "sandbox"


def inexistent_client() -> SandboxError:
    return not_found("The client does not exist", "inexistent_client")


def get_client(state: State, client_id: str) -> Client:
    client = state.clients.get(client_id)
    if client is None:
        raise inexistent_client()
    return client


def new_client_id() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(32))


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def render(client: Client, call: Call, *, secret: bool | None = None) -> JSON:
    """The client as Auth0 returns it; `secret` None means "if the token may read keys"."""
    out: JSON = {
        "client_id": client.client_id,
        "tenant": TENANT,
        "global": False,
        "name": client.name,
        "description": client.description,
        "app_type": client.app_type,
        "is_first_party": client.is_first_party,
        "oidc_conformant": client.oidc_conformant,
        "callbacks": list(client.callbacks),
        "allowed_logout_urls": list(client.allowed_logout_urls),
        "web_origins": list(client.web_origins),
        "allowed_origins": list(client.allowed_origins),
        "grant_types": list(client.grant_types),
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "organization_usage": client.organization_usage,
        "organization_require_behavior": client.organization_require_behavior,
        "client_metadata": dict(client.client_metadata),
        "jwt_configuration": {
            "alg": "RS256",
            "lifetime_in_seconds": 36000,
            "secret_encoded": False,
        },
        "sso_disabled": False,
        "cross_origin_authentication": False,
        "custom_login_page_on": True,
        "client_secret": client.client_secret,
    }
    if client.initiate_login_uri:
        out["initiate_login_uri"] = client.initiate_login_uri
    out.update(client.extra)
    show_secret = (
        secret
        if secret is not None
        else (call.has_scope("read:client_keys") or call.has_scope("read:client_credentials"))
    )
    if not show_secret or not client.client_secret:
        for key in SECRET_FIELDS:
            out.pop(key, None)
    return out


def render_for_read(client: Client, call: Call) -> JSON:
    """GET shapes: a token with only `read:client_summary` sees four fields."""
    out = render(client, call)
    full = ("read:clients", "read:client_keys", "read:client_credentials")
    if not any(call.has_scope(s) for s in full):
        out = {k: v for k, v in out.items() if k in SUMMARY_FIELDS}
    return select_fields(out, call)


def _merge_metadata(current: dict[str, str], patch: dict[str, Any]) -> dict[str, str]:
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > MAX_METADATA_KEYS:
        raise body_error(
            f"Too many properties defined ({len(merged)}), maximum {MAX_METADATA_KEYS}",
            "client_metadata",
        )
    return merged


def _apply(client: Client, body: JSON) -> None:
    """Set every field the body carries: arrays and objects replace, metadata merges."""
    for key, value in body.items():
        if key == "client_metadata":
            client.client_metadata = _merge_metadata(client.client_metadata, value)
        elif key == "initiate_login_uri":
            client.initiate_login_uri = value or None
        elif key == "organization_usage":
            client.organization_usage = value or "deny"
        elif key == "organization_require_behavior":
            client.organization_require_behavior = value or "no_prompt"
        elif key == "token_endpoint_auth_method":
            client.token_endpoint_auth_method = value or "none"
        elif key in ATTRIBUTES:
            setattr(client, key, list(value) if isinstance(value, list) else value)
        elif value is None:
            client.extra.pop(key, None)
        else:
            client.extra[key] = value


@mgmt_route("POST", "/clients", scope="create:clients", description="Create a client")
def create_client(call: Call) -> Response:
    body = validate_body(call.body_any(), CREATE_SCHEMA)
    app_type = body.get("app_type", "regular_web")
    client = Client(
        client_id=new_client_id(),
        name=body["name"],
        client_secret=new_secret(),
        app_type=app_type,
        grant_types=list(DEFAULT_GRANTS.get(app_type, FALLBACK_GRANTS)),
        token_endpoint_auth_method=(
            "none" if app_type in PUBLIC_APP_TYPES else "client_secret_post"
        ),
        oidc_conformant=False,
        created_at=iso(call.now()),
    )
    _apply(client, body)
    call.state.clients[client.client_id] = client
    return json_response(render(client, call, secret=True), 201)


def _listable(call: Call) -> list[Client]:
    clients = list(call.state.clients.values())
    if call.args.get("is_global") is not None and call.query_bool("is_global"):
        return []  # the sandbox has no global client
    if call.args.get("is_first_party") is not None:
        wanted = call.query_bool("is_first_party")
        clients = [c for c in clients if c.is_first_party == wanted]
    app_types = {t for t in (call.args.get("app_type") or "").split(",") if t}
    if app_types:
        clients = [c for c in clients if c.app_type in app_types]
    q = call.args.get("q")
    if q:
        query = parse(q)
        clients = [c for c in clients if matches(render(c, call), query)]
    return clients


@mgmt_route(
    "GET",
    "/clients",
    scope=("read:clients", "read:client_keys", "read:client_credentials", "read:client_summary"),
    description="Get clients",
)
def list_clients(call: Call) -> Response:
    clients = _listable(call)

    def show(client: Client) -> JSON:
        return render_for_read(client, call)

    if wants_checkpoint(call):
        return json_response(checkpoint_page(call, clients, "clients", show, lambda c: c.client_id))
    return json_response(offset_page(call, clients, "clients", show))


@mgmt_route(
    "GET",
    "/clients/<id>",
    scope=("read:clients", "read:client_keys", "read:client_credentials", "read:client_summary"),
    description="Get client by ID",
)
def get_client_route(call: Call) -> Response:
    client = get_client(call.state, call.params["id"])
    return json_response(render_for_read(client, call))


@mgmt_route(
    "PATCH",
    "/clients/<id>",
    scope=("update:clients", "update:client_keys", "update:client_credentials"),
    description="Update a client",
)
def update_client(call: Call) -> Response:
    client = get_client(call.state, call.params["id"])
    body = validate_body(call.body_any(), UPDATE_SCHEMA)
    if "client_secret" in body and not call.has_scope("update:client_keys"):
        raise forbidden("Insufficient scope, expected any of: update:client_keys")
    if set(body) - {"client_secret"} and not call.has_scope("update:clients"):
        raise forbidden("Insufficient scope, expected any of: update:clients")
    _apply(client, body)
    return json_response(render(client, call, secret=True))


@mgmt_route("DELETE", "/clients/<id>", scope="delete:clients", description="Delete a client")
def delete_client(call: Call) -> Response:
    state = call.state
    client_id = call.params["id"]
    # Auth0 answers 204 whether or not the client existed.
    if state.clients.pop(client_id, None) is not None:
        for conn in state.connections.values():
            if client_id in conn.enabled_clients:
                conn.enabled_clients.remove(client_id)
        for grant_id in [g.id for g in state.client_grants.values() if g.client_id == client_id]:
            delete_grant(state, grant_id)
    return empty(204)


@mgmt_route(
    "POST",
    "/clients/<id>/rotate-secret",
    scope="update:client_keys",
    description="Rotate a client secret",
)
def rotate_secret(call: Call) -> Response:
    client = get_client(call.state, call.params["id"])
    client.client_secret = new_secret()
    return json_response(render(client, call, secret=True))
