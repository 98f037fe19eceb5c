"""The organization's application URLs tab."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from orgs.views.access import get_organization_for
from orgs.views.tabs import render_tab


@login_required
def organization_urls(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    return render_tab(
        request,
        org,
        "orgs:urls",
        "orgs/detail/urls.html",
        {"urls": org.application_urls.select_related("application")},
    )
