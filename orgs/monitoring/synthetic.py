"""The synthetic sign-in: a no-privilege test user signs in against the tenant, as a
customer would, so a broken login (Auth0 down, the database connection misconfigured, an
Action throwing) is noticed before customers report it.

It uses the Resource Owner Password grant (`password-realm`, realm =
SYNTHETIC_SIGNIN_CONNECTION): one POST to /oauth/token, no browser. The application
(SYNTHETIC_SIGNIN_CLIENT_ID) needs the Password grant type and the connection enabled;
the user should belong to no organization and hold no role. Each attempt is kept
(`SyntheticSignIn`: success, latency, the reason in plain words) for
SYNTHETIC_SIGNIN_KEEP_DAYS; `orgs.monitoring.conditions` alerts on failure. The password
and client secret come from the environment only and are never logged or stored.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone

from orgs.auth0.tokens import auth0_base_url, auth0_tls_verify
from orgs.monitoring.models import SyntheticSignIn

log = logging.getLogger(__name__)

PASSWORD_REALM = "http://auth0.com/oauth/grant-type/password-realm"
REQUIRED_SETTINGS = (
    "SYNTHETIC_SIGNIN_CLIENT_ID",
    "SYNTHETIC_SIGNIN_CLIENT_SECRET",
    "SYNTHETIC_SIGNIN_USERNAME",
    "SYNTHETIC_SIGNIN_PASSWORD",
    "SYNTHETIC_SIGNIN_CONNECTION",
)
# Auth0's error codes, in words for the on-call engineer (Auth0's own text is not shown).
REASONS = {
    "invalid_grant": "Auth0 refused the test user's email or password: check the user "
    "exists in the connection and SYNTHETIC_SIGNIN_USERNAME / _PASSWORD match it.",
    "unauthorized": "Auth0 refused the test user (blocked, or an Action denied the sign-in).",
    "unauthorized_client": "The application may not use the password grant: turn on "
    "Password in its Advanced Settings, Grant Types.",
    "access_denied": "Auth0 refused the application: check SYNTHETIC_SIGNIN_CLIENT_ID and "
    "_CLIENT_SECRET, and any Action or rule that denies sign-ins.",
    "invalid_request": "Auth0 found the request incomplete: check SYNTHETIC_SIGNIN_CONNECTION "
    "is a database connection enabled for the application.",
    "too_many_requests": "Auth0 rate-limited the sign-in (too many attempts for this user or "
    "address): brute-force protection may have blocked the test user.",
    "mfa_required": "The test user is asked for multi-factor authentication: exempt it or "
    "use a user without MFA.",
}


def synthetic_signin(*, now: datetime | None = None) -> SyntheticSignIn | None:
    """One attempt, recorded (None while SYNTHETIC_SIGNIN_ENABLED is off); old attempts
    past SYNTHETIC_SIGNIN_KEEP_DAYS are deleted."""
    if not settings.SYNTHETIC_SIGNIN_ENABLED:
        return None
    started_at = now or timezone.now()
    missing = [name for name in REQUIRED_SETTINGS if not getattr(settings, name)]
    if missing:
        attempt = _record(
            started_at, None, "not_configured", f"Not set: {', '.join(missing)}.", ok=False
        )
    else:
        attempt = _attempt(started_at)
    keep = timedelta(days=settings.SYNTHETIC_SIGNIN_KEEP_DAYS)
    SyntheticSignIn.objects.filter(started_at__lt=started_at - keep).delete()
    return attempt


def _attempt(started_at: datetime) -> SyntheticSignIn:
    form = {
        "grant_type": PASSWORD_REALM,
        "realm": settings.SYNTHETIC_SIGNIN_CONNECTION,
        "username": settings.SYNTHETIC_SIGNIN_USERNAME,
        "password": settings.SYNTHETIC_SIGNIN_PASSWORD,
        "client_id": settings.SYNTHETIC_SIGNIN_CLIENT_ID,
        "client_secret": settings.SYNTHETIC_SIGNIN_CLIENT_SECRET,
        "scope": "openid",
    }
    clock = time.monotonic()
    try:
        with httpx.Client(timeout=settings.AUTH0_TIMEOUT, verify=auth0_tls_verify()) as client:
            response = client.post(f"{auth0_base_url()}/oauth/token", data=form)
    except httpx.TimeoutException:
        return _record(
            started_at, _ms(clock), "timeout",
            f"Auth0 did not answer within {settings.AUTH0_TIMEOUT:g} seconds.", ok=False,
        )  # fmt: skip
    except httpx.HTTPError as exc:
        return _record(
            started_at, None, "unreachable",
            f"Auth0 could not be reached ({type(exc).__name__}).", ok=False,
        )  # fmt: skip
    latency = _ms(clock)
    body = _json(response)
    if response.status_code == 200 and isinstance(body.get("access_token"), str):
        return _record(started_at, latency, "", "", ok=True)
    code = str(body.get("error") or f"http_{response.status_code}")
    return _record(started_at, latency, code, _reason(code, response.status_code), ok=False)


def _reason(code: str, status: int) -> str:
    if code in REASONS:
        return REASONS[code]
    if status == 429:
        return REASONS["too_many_requests"]
    if status >= 500:
        return f"Auth0 answered with a server error (HTTP {status}): see Auth0's status page."
    return f"Auth0 refused the sign-in ({code}, HTTP {status})."


def _record(
    started_at: datetime, latency_ms: int | None, code: str, error: str, *, ok: bool
) -> SyntheticSignIn:
    if ok:
        log.info("synthetic sign-in ok in %d ms", latency_ms or 0)
    else:
        log.warning("synthetic sign-in failed: %s", code)
    return SyntheticSignIn.objects.create(
        started_at=started_at, ok=ok, latency_ms=latency_ms, error_code=code[:64], error=error
    )


def _ms(clock: float) -> int:
    return max(0, round((time.monotonic() - clock) * 1000))


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
