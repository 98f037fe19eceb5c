from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from orgs.views.access import SESSION_ORG


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Staff land on the organization list; customer admins on their own organization."""
    if request.user.is_staff:
        return redirect("orgs:list")
    if request.session.get(SESSION_ORG):
        return redirect("orgs:mine")
    return render(request, "portal/no_access.html", status=403)
