"""The organization's domains tab."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from orgs.views.access import get_organization_for
from orgs.views.tabs import render_tab


@login_required
def organization_domains(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    return render_tab(
        request, org, "orgs:domains", "orgs/detail/domains.html", {"domains": org.domains.all()}
    )
