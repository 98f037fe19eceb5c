"""``POST /oauth/token`` with ``grant_type=authorization_code`` (plugged into the core).

Client authentication accepts ``client_secret_post`` and ``client_secret_basic``;
clients whose ``token_endpoint_auth_method`` is ``none`` (SPAs, native apps) send no
secret and must use PKCE.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from werkzeug.wrappers import Response

from ..errors import OAuthError
from ..oauth import authenticate_client, grant_type
from ..routing import Call, json_response
from ..state import Client, User
from . import claims, pkce, store
from .env import Env

# Scopes a login may put into a Management API access token: the user's own profile only.
_USER_API_SCOPES = frozenset(
    {"read:current_user", "update:current_user_metadata", "update:current_user_identities"}
)
_OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})


def _claimed_client_id(call: Call, params: dict[str, str]) -> str:
    if params.get("client_id"):
        return params["client_id"]
    header = call.request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            return base64.b64decode(header[6:]).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return ""
    return ""


def _authenticate(call: Call, params: dict[str, str]) -> Client:
    claimed = call.state.clients.get(_claimed_client_id(call, params))
    public = claimed is not None and claimed.token_endpoint_auth_method == "none"
    client = authenticate_client(call, params, require_secret=not public)
    if client.grant_types and "authorization_code" not in client.grant_types:
        raise OAuthError(
            403,
            "unauthorized_client",
            "Grant type 'authorization_code' not allowed for the client.",
        )
    return client


def _redeem(env: Env, client: Client, params: dict[str, str]) -> dict[str, Any]:
    code = params.get("code")
    if not code:
        raise OAuthError(400, "invalid_request", "Missing required parameter: code")
    # Taken (removed) before any other check: a code is single-use even when the
    # exchange then fails, as RFC 6749 section 4.1.2 asks.
    grant = store.take_code(env.state, code, env.now())
    if grant is None or grant["client_id"] != client.client_id:
        raise OAuthError(400, "invalid_grant", "Invalid authorization code")
    sent_uri = params.get("redirect_uri")
    if (grant["redirect_uri_sent"] or sent_uri) and sent_uri != grant["redirect_uri"]:
        raise OAuthError(
            400,
            "invalid_grant",
            "redirect_uri does not match the one used in the authorization request",
        )
    challenge = grant.get("code_challenge")
    verifier = params.get("code_verifier")
    if challenge:
        if not verifier:
            raise OAuthError(400, "invalid_request", "Missing required parameter: code_verifier")
        if not pkce.verify(challenge, grant["code_challenge_method"] or "", verifier):
            raise OAuthError(400, "invalid_grant", "Failed to verify code verifier")
    elif client.token_endpoint_auth_method == "none":
        raise OAuthError(400, "invalid_grant", "Failed to verify code verifier")
    if grant["user_id"] not in env.state.users:
        raise OAuthError(400, "invalid_grant", "Invalid authorization code")
    return grant


@grant_type("authorization_code")
def authorization_code(call: Call, params: dict[str, str]) -> Response:
    env = Env(call)
    client_id = _claimed_client_id(call, params) or None
    try:
        client = _authenticate(call, params)
        grant = _redeem(env, client, params)
    except OAuthError as exc:
        env.write_log("feacft", exc.description, client_id=client_id, ip=call.request.remote_addr)
        raise
    user = env.state.users[grant["user_id"]]
    now = int(env.now())
    scope: str = grant["scope"] or ""
    granted = claims.scopes(scope)
    org_id: str | None = grant.get("org_id")
    org_name: str | None = grant.get("org_name")
    audiences = [env.userinfo_url]
    if grant.get("audience"):
        # Management API audience: only the current-user scopes a login may carry.
        audiences.insert(0, env.config.api_audience)
        granted = [s for s in granted if s in _OIDC_SCOPES or s in _USER_API_SCOPES]
    else:
        granted = [s for s in granted if s in _OIDC_SCOPES]
    body = user_token_body(
        env,
        client,
        user,
        audiences=audiences,
        granted=granted,
        id_scope=scope,
        now=now,
        auth_time=grant["auth_time"],
        sid=grant["sid"],
        nonce=grant.get("nonce"),
        org_id=org_id,
        org_name=org_name,
    )
    env.write_log(
        "seacft",
        "Authorization Code for Access Token",
        client_id=client.client_id,
        client_name=client.name,
        user_id=user.user_id,
        user_name=user.email,
        ip=call.request.remote_addr,
    )
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def user_token_body(
    env: Env,
    client: Client,
    user: User,
    *,
    audiences: list[str],
    granted: list[str],
    id_scope: str,
    now: int,
    auth_time: int,
    sid: str,
    nonce: str | None = None,
    org_id: str | None = None,
    org_name: str | None = None,
) -> dict[str, Any]:
    """A user's token response (every grant that signs a person in): the access token for
    `audiences` with the `granted` scopes, and an ID token when `openid` is among them."""
    access = claims.access_token_claims(
        issuer=env.issuer,
        audiences=audiences,
        user_id=user.user_id,
        client_id=client.client_id,
        scope=" ".join(granted),
        now=now,
        org_id=org_id,
        org_name=org_name,
        lifetime=env.config.access_token_lifetime,
    )
    body: dict[str, Any] = {
        "access_token": env.sign(access),
        "token_type": "Bearer",
        "expires_in": env.config.access_token_lifetime,
        "scope": " ".join(granted),
    }
    if "openid" in granted:
        id_claims = claims.id_token_claims(
            issuer=env.issuer,
            client_id=client.client_id,
            user=claims.user_profile(user),
            scope=id_scope,
            now=now,
            auth_time=auth_time,
            sid=sid,
            nonce=nonce,
            org_id=org_id,
            org_name=org_name,
        )
        body["id_token"] = env.sign(id_claims)
    return body
