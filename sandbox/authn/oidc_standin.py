"""A stand-in OIDC provider for the portal's discovery path.

``/__sandbox__/oidc-idp/.well-known/openid-configuration`` answers a well-formed
discovery document whose endpoints live under the same prefix, and ``jwks`` serves a
JWK set (the tenant's public key: any valid set will do for discovery checks). Logins
through an OIDC connection still go through the stand-in page, so ``authorize``,
``token`` and ``userinfo`` only answer that they are stand-ins.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..routing import Call, control_route, html_response, json_response

PATH = "/__sandbox__/oidc-idp"


def issuer(base_url: str) -> str:
    return base_url.rstrip("/") + PATH


def discovery_document(base_url: str) -> dict[str, Any]:
    iss = issuer(base_url)
    return {
        "issuer": iss,
        "authorization_endpoint": f"{iss}/authorize",
        "token_endpoint": f"{iss}/token",
        "userinfo_endpoint": f"{iss}/userinfo",
        "jwks_uri": f"{iss}/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": ["sub", "email", "email_verified", "name", "given_name", "family_name"],
        "grant_types_supported": ["authorization_code"],
    }


@control_route("GET", "/oidc-idp/.well-known/openid-configuration")
def openid_configuration(call: Call) -> Response:
    return json_response(discovery_document(call.config.base_url))


@control_route("GET", "/oidc-idp/jwks")
def jwks(call: Call) -> Response:
    return json_response(call.app.keys.jwks())


@control_route("GET", "/oidc-idp/authorize")
def authorize(call: Call) -> Response:
    return html_response(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Stand-in OIDC provider</title></head><body><main>"
        "<h1>Stand-in OIDC provider</h1><p>Logins through an OIDC connection go to the "
        "sandbox's stand-in identity provider page, not here.</p></main></body></html>"
    )


@control_route("POST", "/oidc-idp/token")
def token(call: Call) -> Response:
    body = {
        "error": "invalid_request",
        "error_description": "The stand-in OIDC provider issues no tokens.",
    }
    return json_response(body, 400)


@control_route("GET", "/oidc-idp/userinfo")
def userinfo(call: Call) -> Response:
    response = json_response(
        {"error": "invalid_token", "error_description": "The stand-in issues no tokens."}, 401
    )
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response
