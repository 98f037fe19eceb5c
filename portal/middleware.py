"""Re-check, on every request, what login decided once.

Login pins a customer admin's session to their organization. Without this, the pin would
outlive a suspension, a deletion, or the loss of their membership or admin role. So each
request of such a session asks again (the same question as login,
`portal.access.customer_admin_refusal`), with the positive answer cached for at most a
minute (portal.sessions); the services that take access away drop the cache on commit, so
those sessions end at their next request.

Staff are not re-checked here, by decision: staffness comes from the ID token (the staff
organization or a staff email domain), which cannot be re-read without a new login, and
what the portal does hold, the User row's `is_staff` and `is_active`, is already read
afresh on every request by AuthenticationMiddleware, at no extra cost. Setting either to
false ends staff access at the next request.

A setup link's session (no login, portal.link_access) is re-checked here too, on every
request: a link revoked, expired, completed or resent ends it with the dead-link page.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from orgs.models import Organization
from orgs.views.access import SESSION_ORG
from portal import link_access
from portal.access import customer_admin_refusal
from portal.login import login_failed
from portal.sessions import cached_access, remember_access


class AccessRecheckMiddleware:
    """Place after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        dead_link = link_access.recheck(request)
        if dead_link is not None:
            return dead_link
        reason = _refusal(request)
        if reason:
            logout(request)  # flushes the session: the pin goes with it
            return login_failed(request, f"You have been signed out. {reason}", status=403)
        return self.get_response(request)


def _refusal(request: HttpRequest) -> str:
    """Why this request's pinned session may no longer be used ("" when it may)."""
    organization_pk = request.session.get(SESSION_ORG)
    user = request.user
    if not organization_pk or not user.is_authenticated or user.is_staff:
        return ""
    sub = str(user.get_username())
    cached = cached_access(organization_pk, sub)
    if cached.fresh:
        return ""
    checked_at = time.time()
    organization = Organization.objects.filter(pk=organization_pk).first()
    reason = customer_admin_refusal(organization, sub)
    if not reason:
        remember_access(organization_pk, sub, generation=cached.generation, checked_at=checked_at)
    return reason
