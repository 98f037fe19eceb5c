"""The one way org-scoped views get their organization: only if this user may see it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from orgs.models import Organization, OrgStatus

SESSION_ORG = "org_pk"


def get_organization_for(request: HttpRequest, pk: int) -> Organization:
    """Staff see every organization; a customer admin only the one their login pinned.
    Anyone else gets a 404, never a hint that the organization exists."""
    user = request.user
    if not user.is_authenticated:
        raise Http404
    organizations = Organization.objects.exclude(status=OrgStatus.DELETED)
    if not user.is_staff and request.session.get(SESSION_ORG) != pk:
        raise Http404
    org = organizations.filter(pk=pk).first()
    if org is None:
        raise Http404
    return org


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped
