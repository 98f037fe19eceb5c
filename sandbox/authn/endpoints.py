"""Discovery, JWKS, ``/userinfo`` and logout (``/v2/logout`` and ``/oidc/logout``)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from ..state import Client
from . import claims, cookies, pages, rules
from .env import Env
from .finish import log_fields, read_session
from .respond import error_page, html, json_response, redirect, with_query


def openid_configuration(env: Env) -> dict[str, Any]:
    """Auth0's discovery document, narrowed to what the sandbox implements."""
    base = env.base
    return {
        "issuer": env.issuer,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "end_session_endpoint": f"{base}/oidc/logout",
        "scopes_supported": [
            "openid",
            "profile",
            "offline_access",
            "name",
            "given_name",
            "family_name",
            "nickname",
            "email",
            "email_verified",
            "picture",
            "created_at",
            "identities",
        ],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "claims_supported": [
            "aud",
            "auth_time",
            "created_at",
            "email",
            "email_verified",
            "exp",
            "family_name",
            "given_name",
            "iat",
            "identities",
            "iss",
            "name",
            "nickname",
            "org_id",
            "org_name",
            "picture",
            "sid",
            "sub",
        ],
        "request_uri_parameter_supported": False,
        "request_parameter_supported": False,
    }


def _invalid_token(description: str) -> Response:
    body = {"error": "invalid_token", "error_description": description}
    header = f'Bearer error="invalid_token", error_description="{description}"'
    return json_response(body, 401, {"WWW-Authenticate": header})


def userinfo(env: Env, request: Request) -> Response:
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return _invalid_token("Missing or malformed Authorization header")
    try:
        token = env.decode(raw.strip())
    except ValueError:
        return _invalid_token("The access token is invalid or has expired")
    valid = claims.access_token_valid(
        token, issuer=env.issuer, audience=env.userinfo_url, now=env.now()
    )
    user = env.state.users.get(str(token.get("sub")))
    if not valid or user is None:
        return _invalid_token("The access token is invalid or has expired")
    granted = claims.scopes(str(token.get("scope", "")))
    body = {"sub": user.user_id, **claims.profile_claims(claims.user_profile(user), granted)}
    return json_response(body, headers={"Cache-Control": "no-store"})


def _clear_session(response: Response) -> Response:
    response.delete_cookie(cookies.COOKIE_NAME, path="/")
    return response


def _log_logout(env: Env, request: Request, client: Client | None) -> None:
    session = read_session(env, request)
    user = env.state.users.get(session.user_id) if session else None
    if user is not None:
        env.write_log(
            "slo", "User successfully logged out", **log_fields(request, client=client, user=user)
        )


def logout(
    env: Env, request: Request, *, return_param: str, extra: dict[str, str | None] | None = None
) -> Response:
    """Shared by both logout endpoints; only the redirect parameter's name differs."""
    client_id = request.args.get("client_id")
    return_to = request.args.get(return_param)
    client = env.state.clients.get(client_id) if client_id else None
    _log_logout(env, request, client)
    if client_id and client is None:
        return _clear_session(error_page("invalid_request", f"Unknown client: {client_id}"))
    if return_to:
        if client is None:
            description = (
                f'The "{return_param}" querystring parameter "{return_to}" needs a client_id: '
                "the sandbox has no tenant-level Allowed Logout URLs."
            )
            return _clear_session(error_page("invalid_request", description))
        if not rules.url_allowed(return_to, client.allowed_logout_urls):
            description = (
                f'The "{return_param}" querystring parameter "{return_to}" is not defined as '
                f'a valid URL in "Allowed Logout URLs" of the application {client.name}.'
            )
            return _clear_session(error_page("invalid_request", description))
        target = with_query(return_to, extra or {}) if extra else return_to
        return _clear_session(redirect(target))
    if client is not None and client.allowed_logout_urls:
        return _clear_session(redirect(client.allowed_logout_urls[0]))
    return _clear_session(html(pages.message_page("Logged out", "You are now logged out.")))
