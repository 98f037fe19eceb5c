"""OpenID Connect login against the Auth0 tenant (or the sandbox): the relying-party side.

authlib supplies the PKCE and random-token primitives, joserfc verifies the RS256 ID token
against the tenant's JWKS. HTTP goes through httpx with a mandatory timeout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.conf import settings
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

DISCOVERY_CACHE_SECONDS = 3600


class LoginError(Exception):
    """A login that cannot complete; the message is safe to show to the person."""


@dataclass(frozen=True)
class LoginRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


def tenant_base_url() -> str:
    domain: str = settings.AUTH0_DOMAIN
    return domain.rstrip("/") if "://" in domain else f"https://{domain}"


def callback_url() -> str:
    return f"{settings.PORTAL_BASE_URL}/auth/callback"


def _http() -> httpx.Client:
    from orgs.auth0.tokens import auth0_tls_verify

    return httpx.Client(timeout=settings.AUTH0_TIMEOUT, verify=auth0_tls_verify())


def discovery() -> dict[str, Any]:
    key = f"oidc:discovery:{tenant_base_url()}"
    document: dict[str, Any] | None = cache.get(key)
    if document is None:
        with _http() as client:
            response = client.get(f"{tenant_base_url()}/.well-known/openid-configuration")
        if response.status_code != 200:
            raise LoginError("The sign-in service is unavailable. Please try again shortly.")
        document = response.json()
        cache.set(key, document, DISCOVERY_CACHE_SECONDS)
    return document


def _jwks(refresh: bool = False) -> KeySet:
    key = f"oidc:jwks:{tenant_base_url()}"
    data: dict[str, Any] | None = None if refresh else cache.get(key)
    if data is None:
        with _http() as client:
            data = client.get(discovery()["jwks_uri"]).json()
        cache.set(key, data, DISCOVERY_CACHE_SECONDS)
    return KeySet.import_key_set(data)  # type: ignore[arg-type]


def begin_login(
    *,
    organization: str | None = None,
    invitation: str | None = None,
    prompt_login: bool = False,
    connection: str | None = None,
) -> LoginRequest:
    """The authorize URL and the secrets the callback must check (kept in the session).
    `connection` skips the login page and goes straight to that connection (SSO tests)."""
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    params = {
        "response_type": "code",
        "client_id": settings.AUTH0_LOGIN_CLIENT_ID,
        "redirect_uri": callback_url(),
        "scope": "openid profile email",
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    if organization:
        params["organization"] = organization
    if invitation:
        params["invitation"] = invitation
    if prompt_login:
        params["prompt"] = "login"
    if connection:
        params["connection"] = connection
    url = f"{discovery()['authorization_endpoint']}?{urlencode(params)}"
    return LoginRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)


def finish_login(*, code: str, code_verifier: str, nonce: str) -> dict[str, Any]:
    """Exchange the code and return the verified ID token's claims."""
    with _http() as client:
        response = client.post(
            discovery()["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "client_id": settings.AUTH0_LOGIN_CLIENT_ID,
                "client_secret": settings.AUTH0_LOGIN_CLIENT_SECRET,
                "code": code,
                "code_verifier": code_verifier,
                "redirect_uri": callback_url(),
            },
        )
    if response.status_code != 200:
        raise LoginError("Sign-in could not be completed. Please start again.")
    id_token = response.json().get("id_token")
    if not id_token:
        raise LoginError("The sign-in service returned no identity. Please start again.")
    return verify_id_token(id_token, nonce=nonce)


def verify_id_token(id_token: str, *, nonce: str) -> dict[str, Any]:
    try:
        try:
            token = jwt.decode(id_token, _jwks(), algorithms=["RS256"])
        except JoseError:
            token = jwt.decode(id_token, _jwks(refresh=True), algorithms=["RS256"])  # key rotation
    except (JoseError, ValueError) as exc:
        raise LoginError("The identity token could not be verified.") from exc
    claims: dict[str, Any] = dict(token.claims)
    issuer = discovery()["issuer"]
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    now = time.time()
    if claims.get("iss") != issuer or settings.AUTH0_LOGIN_CLIENT_ID not in audiences:
        raise LoginError("The identity token was not issued for this portal.")
    if float(claims.get("exp", 0)) < now - 60:
        raise LoginError("The identity token has expired. Please sign in again.")
    if claims.get("nonce") != nonce:
        raise LoginError("The sign-in response did not match this browser. Please start again.")
    return claims


def logout_url(return_to: str) -> str:
    query = urlencode({"client_id": settings.AUTH0_LOGIN_CLIENT_ID, "returnTo": return_to})
    return f"{tenant_base_url()}/v2/logout?{query}"
