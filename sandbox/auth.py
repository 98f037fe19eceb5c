"""Bearer tokens for the Management API: minting (client credentials) and checking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import forbidden, unauthorized
from .state import new_id

if TYPE_CHECKING:
    from .routing import Call


@dataclass(frozen=True)
class AccessToken:
    client_id: str
    scopes: frozenset[str]
    claims: dict[str, Any]


def mint_access_token(call: Call, client_id: str, scopes: list[str]) -> tuple[str, int]:
    cfg = call.config
    now = int(call.now())
    claims = {
        "iss": cfg.issuer,
        "sub": f"{client_id}@clients",
        "aud": cfg.api_audience,
        "iat": now,
        "exp": now + cfg.access_token_lifetime,
        "scope": " ".join(scopes),
        "gty": "client-credentials",
        "azp": client_id,
        "jti": new_id("", 24),
    }
    return call.app.keys.sign(claims), cfg.access_token_lifetime


def authenticate(call: Call) -> AccessToken:
    """401 for a missing, malformed, foreign or expired token; 403 for a missing scope."""
    header = call.request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if not header:
        raise unauthorized("Missing authentication")
    if scheme.lower() != "bearer" or not raw.strip():
        raise unauthorized("Bad HTTP authentication header format")
    try:
        claims = call.app.keys.decode(raw.strip())
    except ValueError:
        raise unauthorized("Invalid token") from None
    cfg = call.config
    if claims.get("iss") != cfg.issuer:
        raise unauthorized("Invalid token")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if cfg.api_audience not in audiences:
        raise unauthorized("Bad audience: " + " ".join(str(a) for a in audiences))
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= call.now():
        raise unauthorized("Expired token received for JSON Web Token validation")
    scopes = frozenset(str(claims.get("scope", "")).split())
    token = AccessToken(str(claims.get("azp") or claims.get("sub", "")), scopes, claims)
    call.token = token
    wanted = call.spec.scopes
    if wanted and not scopes.intersection(wanted):
        raise forbidden(f"Insufficient scope, expected any of: {','.join(wanted)}")
    return token
