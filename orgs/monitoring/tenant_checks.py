"""Tenant checks: is the Auth0 tenant set up the way production needs it?

Each check reads the tenant through the gateway (so the rate limiter and the token cache
apply, in the bulk lane so people's changes go first) and answers with a `CheckResult`:
ok, or the problem and what to do about it in plain words. A check that could not run
(Auth0 unreachable or busy) answers UNKNOWN, which neither raises nor clears an alert.
`run_tenant_checks` (beat, every TENANT_CHECK_SECONDS) stores the latest answers in
`TenantCheckResult` for the dashboard and for `orgs.monitoring.conditions`.

The scopes the portal needs are `REQUIRED_SCOPES` (orgs/monitoring/scopes.py: every
Management API call the portal makes, kept in step with the code by a test).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from orgs.auth0 import tokens
from orgs.auth0.client import as_dict, auth0_call, found_or_none, management_client
from orgs.auth0.errors import Auth0Error
from orgs.monitoring.models import CheckStatus, TenantCheckResult
from orgs.monitoring.scopes import GATEWAY_CALLS, REQUIRED_SCOPES, calls_needing
from orgs.sync.priority import bulk_priority
from portal.access import ADMIN_ROLE

log = logging.getLogger(__name__)

# The roles the portal assigns and reads by name: customer admins need org-admin (portal
# access checks), invited members get org-member (README's tenant setup).
MEMBER_ROLE = "org-member"
REQUIRED_ROLES: tuple[str, ...] = (ADMIN_ROLE, MEMBER_ROLE)
# Auth0's words for a stream it no longer sends to: paused by a person, suspended by
# Auth0 after the destination kept failing.
STOPPED_STREAM_STATES = ("paused", "suspended")


@dataclass(frozen=True)
class CheckResult:
    name: str
    title: str
    status: str
    problem: str = ""
    what_to_do: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == CheckStatus.OK


def _ok(name: str, title: str, **details: Any) -> CheckResult:
    return CheckResult(name, title, CheckStatus.OK, details=details)


def _problem(name: str, title: str, problem: str, what_to_do: str, **details: Any) -> CheckResult:
    return CheckResult(name, title, CheckStatus.PROBLEM, problem, what_to_do, details)


# --- the checks ------------------------------------------------------------------------------

EMAIL_PROVIDER = "email_provider"
LOG_STREAMS = "log_streams"
STAFF_ORGANIZATION = "staff_organization"
ROLES = "roles"
M2M_SCOPES = "m2m_scopes"


def check_email_provider() -> CheckResult:
    """A custom email provider is configured and on (404: Auth0's built-in provider)."""
    title = "Custom email provider"
    client = management_client().emails.provider
    provider = found_or_none(
        lambda: client.get(fields="name,enabled,default_from_address", include_fields=True)
    )
    if provider is None:
        return _problem(
            EMAIL_PROVIDER,
            title,
            "No email provider is configured, so Auth0 sends invitations, password resets "
            "and verification emails through its built-in provider, which is for testing "
            "only: it sends few emails and they often land in spam.",
            "In the Auth0 Dashboard, open Branding, Email Provider, set up your provider "
            "(SendGrid, Amazon SES, SMTP, ...) with a from address on your domain, and send "
            "a test email.",
        )
    name = str(provider.get("name", ""))
    if provider.get("enabled") is False:
        return _problem(
            EMAIL_PROVIDER,
            title,
            f"The email provider ({name}) is configured but turned off, so Auth0 falls back "
            "to its built-in provider.",
            "In the Auth0 Dashboard, open Branding, Email Provider and turn it on.",
            provider=name,
        )
    return _ok(
        EMAIL_PROVIDER,
        title,
        provider=name,
        from_address=str(provider.get("default_from_address", "")),
    )


def check_log_streams() -> CheckResult:
    """At least one log stream, and every stream active."""
    title = "Log streams"
    with auth0_call():
        streams = [as_dict(s) for s in management_client().log_streams.list()]
    found = [
        {"name": str(s.get("name", "")), "type": str(s.get("type", "")), "status": s.get("status")}
        for s in streams
    ]
    if not found:
        return _problem(
            LOG_STREAMS,
            title,
            "No log stream is set up. Auth0 keeps its logs for 2 to 30 days only; the "
            "portal's archive is one copy, a stream to your log platform is the other.",
            "In the Auth0 Dashboard, open Monitoring, Streams and create a stream to your "
            "log platform (Datadog, Splunk, an HTTP endpoint, ...).",
            streams=found,
        )
    stopped = [s for s in found if s["status"] in STOPPED_STREAM_STATES]
    if stopped:
        names = ", ".join(f"{s['name']} ({s['status']})" for s in stopped)
        return _problem(
            LOG_STREAMS,
            title,
            f"Not sending: {names}. Auth0 suspends a stream whose destination keeps failing; "
            "events it could not send are lost after a while.",
            "Fix the destination (address, credentials), then in the Auth0 Dashboard open "
            "Monitoring, Streams, the stream, and set it back to Active.",
            streams=found,
        )
    return _ok(LOG_STREAMS, title, streams=found)


def check_staff_organization() -> CheckResult:
    """The organization staff sign in through exists (AUTH0_STAFF_ORGANIZATION)."""
    title = "Staff organization"
    name = settings.AUTH0_STAFF_ORGANIZATION
    organizations = management_client().organizations
    found = found_or_none(lambda: organizations.get_by_name(name))
    if found is None:
        return _problem(
            STAFF_ORGANIZATION,
            title,
            f'There is no organization "{name}" in Auth0, so staff cannot sign in through it.',
            f'Create the organization "{name}" in Auth0 (Organizations), enable the staff '
            "connection on it and add the staff as members; or set AUTH0_STAFF_ORGANIZATION "
            "to the name it has.",
            organization=name,
        )
    return _ok(STAFF_ORGANIZATION, title, organization=name, id=str(found.get("id", "")))


def check_roles() -> CheckResult:
    """The roles the portal assigns by name exist."""
    title = "Roles the portal uses"
    missing = [role for role in REQUIRED_ROLES if not _role_exists(role)]
    if missing:
        names = ", ".join(missing)
        return _problem(
            ROLES,
            title,
            f"Missing in Auth0: {names}. Customer admins are recognised by the org-admin "
            "role, and invited members are given org-member.",
            f"In the Auth0 Dashboard, open User Management, Roles and create {names} "
            "(exactly these names).",
            missing=missing,
        )
    return _ok(ROLES, title, roles=list(REQUIRED_ROLES))


def _role_exists(name: str) -> bool:
    with auth0_call():
        page = management_client().roles.list(name_filter=name, per_page=50)
    return any(as_dict(role).get("name") == name for role in page)


def check_m2m_scopes() -> CheckResult:
    """The portal's M2M token carries every scope in REQUIRED_SCOPES."""
    title = "Scopes of the portal's application"
    granted = token_scopes(tokens.management_token())
    if granted is None:
        return CheckResult(
            M2M_SCOPES,
            title,
            CheckStatus.UNKNOWN,
            "The Management API token could not be read, so its scopes are not known.",
        )
    missing = [scope for scope in REQUIRED_SCOPES if scope not in granted]
    if missing:
        return _problem(
            M2M_SCOPES,
            title,
            f"The portal's application lacks {len(missing)} scope"
            f"{'s' if len(missing) != 1 else ''} it uses: {', '.join(missing)}. The calls "
            "needing them fail.",
            "In the Auth0 Dashboard, open Applications, APIs, Auth0 Management API, Machine "
            "to Machine Applications, expand the portal's application and tick these scopes. "
            "The portal uses them from its next token (at most a day; restarting the "
            "workers after clearing auth0:mgmt_token in the coordination store is at once).",
            missing=missing,
            needed_by={scope: calls_needing(scope) for scope in missing},
        )
    return _ok(M2M_SCOPES, title, scopes=len(REQUIRED_SCOPES))


def token_scopes(token: str) -> set[str] | None:
    """The `scope` claim of a JWT access token (None when it is not a readable JWT).

    The signature is not checked: the token came straight from Auth0 over TLS and only
    tells us what Auth0 granted."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except ValueError:
        return None
    scope = claims.get("scope") if isinstance(claims, dict) else None
    return set(scope.split()) if isinstance(scope, str) else None


# --- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    run: Callable[[], CheckResult]
    # The SDK calls it makes (scopes.GATEWAY_CALLS), to name the scope behind a 403.
    reads: tuple[str, ...] = ()


CHECKS: tuple[Check, ...] = (
    Check(EMAIL_PROVIDER, "Custom email provider", check_email_provider, ("emails.provider.get",)),
    Check(LOG_STREAMS, "Log streams", check_log_streams, ("log_streams.list",)),
    Check(
        STAFF_ORGANIZATION,
        "Staff organization",
        check_staff_organization,
        ("organizations.get_by_name",),
    ),
    Check(ROLES, "Roles the portal uses", check_roles, ("roles.list",)),
    Check(M2M_SCOPES, "Scopes of the portal's application", check_m2m_scopes),
)


def run_check(check: Check) -> CheckResult:
    """One check; an Auth0 failure becomes a plain answer instead of an exception."""
    try:
        return check.run()
    except Auth0Error as exc:
        return _failed_read(check, exc)


def _failed_read(check: Check, exc: Auth0Error) -> CheckResult:
    if exc.status == 403:
        scopes = sorted({c.scope for c in GATEWAY_CALLS if c.sdk and c.sdk in check.reads})
        lacking = f" (it lacks the scope {', '.join(scopes)})" if scopes else ""
        return _problem(
            check.name,
            check.title,
            f"Auth0 refused the portal's application this read{lacking}.",
            "In the Auth0 Dashboard, open Applications, APIs, Auth0 Management API, Machine "
            "to Machine Applications and check the portal's application is authorized with "
            "the scopes the portal uses.",
            missing=scopes,
        )
    log.warning("tenant check %s could not run: %s", check.name, exc)
    words = (
        "Auth0 was busy (rate limit)"
        if exc.code == "too_many_requests"
        else "Auth0 could not be reached or answered with an error"
    )
    return CheckResult(
        check.name,
        check.title,
        CheckStatus.UNKNOWN,
        f"{words}, so this was not checked; it runs again at its next turn.",
    )


def run_tenant_checks(*, now: datetime | None = None) -> list[CheckResult]:
    """Run every check (bulk lane) and store the answers; the answers in CHECKS' order."""
    moment = now or timezone.now()
    with bulk_priority():
        results = [run_check(check) for check in CHECKS]
    for result in results:
        TenantCheckResult.objects.update_or_create(
            name=result.name,
            defaults={
                "title": result.title,
                "status": result.status,
                "problem": result.problem,
                "what_to_do": result.what_to_do,
                "details": result.details,
                "checked_at": moment,
            },
        )
    return results
