"""The organization page's tabs: one URL per tab, server-rendered, the current one marked
(templates/orgs/detail/base.html). Each tab's view lives in its own module and renders
through `render_tab`, which adds the header and the tab list."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from orgs.models import Organization

# (url name, label); the order is the order on the page.
TABS: tuple[tuple[str, str], ...] = (
    ("orgs:detail", "Overview"),
    ("orgs:connections", "Connections"),
    ("orgs:urls", "Application URLs"),
    ("orgs:invitations", "Invitations"),
    ("orgs:members", "Members"),
    ("usermigration:index", "Migrations"),
    ("orgs:domains", "Domains"),
    ("idp_selfservice:index", "Single sign-on"),
    ("orgs:activity", "Activity"),
    ("orgs:api_keys", "API keys"),
    ("orgs:history", "History"),
    ("orgs:audit", "Audit trail"),
)


# What a setup link's scope opens (portal/link_access.py): its IT contact sees only these tabs.
LINK_SCOPE_TABS = {"sso": "idp_selfservice:index", "domains": "orgs:domains"}


def tabs_for(request: HttpRequest) -> tuple[tuple[str, str], ...]:
    from portal.link_access import link_grant, link_session

    session = link_session(request)
    if session is None or link_grant(request) is None:
        return TABS
    allowed = {LINK_SCOPE_TABS[s] for s in session.scopes if s in LINK_SCOPE_TABS}
    return tuple(tab for tab in TABS if tab[0] in allowed)


def render_tab(
    request: HttpRequest,
    org: Organization,
    tab: str,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    """Render `template` (which extends orgs/detail/base.html) as the `tab` tab."""
    return render(
        request,
        template,
        {"org": org, "tabs": tabs_for(request), "current_tab": tab, **(context or {})},
        status=status,
    )
