"""The organization's audit tab."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from orgs.views.access import get_organization_for
from orgs.views.tabs import render_tab


@login_required
def organization_audit(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    return render_tab(
        request,
        org,
        "orgs:audit",
        "orgs/detail/audit.html",
        {"events": org.audit_events.all()[:100]},
    )
