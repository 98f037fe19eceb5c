"""ID-token and access-token claims (the core's key ring signs them, RS256).

Which profile claims appear follows Auth0: ``profile`` brings ``name``, ``nickname``,
``picture``, ``updated_at`` (and given/family names when set), ``email`` brings
``email`` and ``email_verified``. ``org_id`` and ``org_name`` are both present for an
organization login, as on a tenant with "Allow Organization Names in Authentication
API" turned on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..state import User

# Auth0's defaults: ID tokens live 36,000 s, access tokens 86,400 s.
ID_TOKEN_LIFETIME = 36_000
ACCESS_TOKEN_LIFETIME = 86_400

_PROFILE_CLAIMS = ("name", "given_name", "family_name", "nickname", "picture", "updated_at")


def scopes(scope: str | None) -> list[str]:
    """Split a scope string, keeping the first occurrence of each scope in order."""
    seen: list[str] = []
    for item in (scope or "").split():
        if item not in seen:
            seen.append(item)
    return seen


def user_profile(user: User) -> dict[str, Any]:
    """The user's fields that ID tokens and /userinfo may release, by claim name."""
    names = (
        "user_id",
        "email",
        "email_verified",
        "name",
        "nickname",
        "picture",
        "given_name",
        "family_name",
        "updated_at",
    )
    return {name: getattr(user, name) for name in names}


def profile_claims(user: Mapping[str, Any], granted: Iterable[str]) -> dict[str, Any]:
    """The user claims that ``granted`` scopes release (for ID tokens and /userinfo)."""
    granted = set(granted)
    claims: dict[str, Any] = {}
    if "profile" in granted:
        for name in _PROFILE_CLAIMS:
            value = user.get(name)
            if value not in (None, ""):
                claims[name] = value
    if "email" in granted and user.get("email"):
        claims["email"] = user["email"]
        claims["email_verified"] = bool(user.get("email_verified", False))
    return claims


def id_token_claims(
    *,
    issuer: str,
    client_id: str,
    user: Mapping[str, Any],
    scope: str,
    now: int,
    auth_time: int,
    sid: str,
    nonce: str | None = None,
    org_id: str | None = None,
    org_name: str | None = None,
    lifetime: int = ID_TOKEN_LIFETIME,
) -> dict[str, Any]:
    claims: dict[str, Any] = profile_claims(user, scopes(scope))
    claims.update(
        {
            "iss": issuer,
            "aud": client_id,
            "sub": user["user_id"],
            "iat": now,
            "exp": now + lifetime,
            "auth_time": auth_time,
            "sid": sid,
        }
    )
    if nonce:
        claims["nonce"] = nonce
    if org_id:
        claims["org_id"] = org_id
        if org_name:
            claims["org_name"] = org_name
    return claims


def access_token_claims(
    *,
    issuer: str,
    audiences: list[str],
    user_id: str,
    client_id: str,
    scope: str,
    now: int,
    org_id: str | None = None,
    org_name: str | None = None,
    lifetime: int = ACCESS_TOKEN_LIFETIME,
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": user_id,
        "aud": audiences[0] if len(audiences) == 1 else audiences,
        "iat": now,
        "exp": now + lifetime,
        "scope": scope,
        "azp": client_id,
    }
    if org_id:
        claims["org_id"] = org_id
        if org_name:
            claims["org_name"] = org_name
    return claims


def access_token_valid(
    claims: Mapping[str, Any], *, issuer: str, audience: str, now: float
) -> bool:
    """Whether signature-checked ``claims`` are ours, unexpired, and meant for ``audience``."""
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    exp = claims.get("exp")
    if claims.get("iss") != issuer or audience not in audiences:
        return False
    return isinstance(exp, int | float) and exp > now
