"""The organization's members tab."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from orgs.views.access import get_organization_for
from orgs.views.tabs import render_tab


@login_required
def organization_members(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    return render_tab(
        request,
        org,
        "orgs:members",
        "orgs/detail/members.html",
        {"members": org.members.prefetch_related("roles")[:200]},
    )
