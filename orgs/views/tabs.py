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
    ("orgs:domains", "Domains"),
    ("idp_selfservice:index", "Single sign-on"),
    ("orgs:activity", "Activity"),
    ("orgs:audit", "Audit trail"),
)


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
        {"org": org, "tabs": TABS, "current_tab": tab, **(context or {})},
        status=status,
    )
