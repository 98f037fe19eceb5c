"""The one way org-scoped views get their organization: only if this user may see it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from orgs.models import Organization, OrgStatus

SESSION_ORG = "org_pk"
# Set on the request by portal.link_access.link_scope, only inside a view that accepts a
# setup link's session for that link's scope: a LinkGrant (link_id, org_pk, scope, email).
LINK_GRANT = "setup_link_grant"


def get_organization_for(request: HttpRequest, pk: int) -> Organization:
    """Staff see every organization; a customer admin only the one their login pinned.
    Anyone else gets a 404, never a hint that the organization exists. A setup link's
    session, where the view granted it, sees its own organization only."""
    grant = getattr(request, LINK_GRANT, None)
    if grant is not None:
        return _granted_organization(grant.org_pk, pk)
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


def _granted_organization(granted_pk: int, pk: int) -> Organization:
    org = Organization.objects.filter(pk=pk, status=OrgStatus.ACTIVE).first()
    if granted_pk != pk or org is None:
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
