"""`Authorization: Bearer oap_...`: which key calls, whether it may still, and how often.

The key itself is never logged nor stored: only its row (request.auth) travels on."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from orgs.api import keys, ratelimit
from orgs.api.errors import ApiError
from orgs.models import ApiKey, OrgStatus


class ApiKeyAuth(HttpBearer):
    openapi_description = "An organization's API key, `oap_<id>_<secret>`."

    def __call__(self, request: HttpRequest) -> ApiKey:
        # Parsed here rather than by HttpBearer, which logs a malformed header (the key).
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "invalid_key", "Send an API key: Authorization: Bearer <key>.")
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        key = keys.find_key(token)
        if key is None or key.organization.status == OrgStatus.DELETED:
            raise ApiError(401, "invalid_key", "This API key is not valid.")
        if key.revoked:
            raise ApiError(401, "revoked_key", "This API key was revoked.")
        if key.expired:
            raise ApiError(401, "expired_key", "This API key has expired: make a new one.")
        wait = ratelimit.seconds_to_wait(key)
        if wait:
            raise ApiError(
                429,
                "rate_limited",
                f"Too many calls with this key: try again in {wait} seconds.",
                headers={"Retry-After": str(wait)},
            )
        keys.mark_used(key, request.META.get("REMOTE_ADDR"))
        return key


def require_scope(key: ApiKey, scope: str) -> None:
    if scope not in key.scopes:
        raise ApiError(403, "missing_scope", f"This API key may not do this: it needs {scope}.")
