"""`POST /oauth/token`: dispatch by grant_type; the client_credentials grant lives here.

Other grants register themselves from their own modules:

    @grant_type("authorization_code")
    def code_grant(call: Call, params: dict[str, str]) -> Response: ...

Errors are Authentication API shaped (`raise OAuthError(status, error, description)`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable

from werkzeug.wrappers import Response

from .auth import mint_access_token
from .errors import OAuthError, SandboxError
from .routing import Call, json_response, route
from .state import Client

GrantHandler = Callable[[Call, dict[str, str]], Response]
GRANTS: dict[str, GrantHandler] = {}


def grant_type(name: str) -> Callable[[GrantHandler], GrantHandler]:
    def register(fn: GrantHandler) -> GrantHandler:
        GRANTS[name] = fn
        return fn

    return register


def token_params(call: Call) -> dict[str, str]:
    """Form or JSON body as flat strings (Auth0 accepts both on /oauth/token)."""
    try:
        data = call.body_any()
    except SandboxError:
        raise OAuthError(400, "invalid_request", "Invalid request payload JSON format") from None
    if not isinstance(data, dict):
        raise OAuthError(400, "invalid_request", "Invalid request body")
    return {str(k): v if isinstance(v, str) else str(v) for k, v in data.items() if v is not None}


def authenticate_client(
    call: Call, params: dict[str, str], *, require_secret: bool = True
) -> Client:
    """The client from `client_id`/`client_secret` in the body or HTTP Basic.

    401 `access_denied` "Unauthorized" for a wrong secret, as Auth0 answers.
    """
    client_id = params.get("client_id", "")
    secret = params.get("client_secret")
    header = call.request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError(401, "invalid_client", "Invalid authorization header") from None
        basic_id, _, basic_secret = decoded.partition(":")
        client_id = client_id or basic_id
        secret = secret if secret is not None else basic_secret
    if not client_id:
        raise OAuthError(401, "access_denied", "Unauthorized")
    client = call.state.clients.get(client_id)
    if client is None:
        raise OAuthError(401, "access_denied", "Unauthorized")
    checks_secret = require_secret or secret is not None
    if checks_secret and (not secret or not hmac.compare_digest(secret, client.client_secret)):
        raise OAuthError(401, "access_denied", "Unauthorized")
    return client


@route("POST", "/oauth/token")
def token(call: Call) -> Response:
    params = token_params(call)
    grant = params.get("grant_type")
    if not grant:
        raise OAuthError(400, "invalid_request", "Missing required parameter: grant_type")
    handler = GRANTS.get(grant)
    if handler is None:
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
    response = handler(call, params)
    response.headers["Cache-Control"] = "no-store"
    return response


@grant_type("client_credentials")
def client_credentials(call: Call, params: dict[str, str]) -> Response:
    client_id = params.get("client_id") or None
    try:
        client = authenticate_client(call, params)
        scopes = _granted_scopes(call, client, params)
    except OAuthError as exc:
        call.log("feccft", exc.description, client_id=client_id)
        raise
    access_token, lifetime = mint_access_token(call, client.client_id, scopes)
    call.log(
        "seccft",
        "Client Credentials for Access Token",
        client_id=client.client_id,
        client_name=client.name,
        audience=call.config.api_audience,
        scope=" ".join(scopes),
    )
    return json_response(
        {
            "access_token": access_token,
            "scope": " ".join(scopes),
            "expires_in": lifetime,
            "token_type": "Bearer",
        }
    )


def _granted_scopes(call: Call, client: Client, params: dict[str, str]) -> list[str]:
    audience = params.get("audience")
    api = call.config.api_audience
    if not audience:
        raise OAuthError(
            403,
            "access_denied",
            "No audience parameter was provided, and no default audience has been configured",
        )
    # The tenant's Management API is the only resource server; accept it with or
    # without the trailing slash, as Auth0 matches identifiers exactly but SDKs vary.
    if audience.rstrip("/") != api.rstrip("/"):
        raise OAuthError(403, "access_denied", f"Service not found: {audience}")
    if client.grant_types and "client_credentials" not in client.grant_types:
        raise OAuthError(
            403,
            "unauthorized_client",
            "Grant type 'client_credentials' not allowed for the client.",
        )
    grants = [
        g
        for g in call.state.client_grants.values()
        if g.client_id == client.client_id and g.audience.rstrip("/") == api.rstrip("/")
    ]
    if not grants:
        raise OAuthError(
            403,
            "access_denied",
            f'Client is not authorized to access "{api}". You need to create a "client-grant" '
            "associated to this API.",
        )
    granted: list[str] = []
    for grant in grants:
        granted += [s for s in grant.scope if s not in granted]
    requested = params.get("scope")
    if requested:
        wanted = requested.split()
        missing = [s for s in wanted if s not in granted]
        if missing:
            raise OAuthError(
                403, "access_denied", f"Client has not been granted scopes: {','.join(missing)}"
            )
        return wanted
    return granted
