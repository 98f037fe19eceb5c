"""The organization's invitations tab."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from orgs.views.access import get_organization_for
from orgs.views.tabs import render_tab


@login_required
def organization_invitations(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    return render_tab(
        request,
        org,
        "orgs:invitations",
        "orgs/detail/invitations.html",
        {"invitations": org.invitations.prefetch_related("roles")[:50]},
    )
