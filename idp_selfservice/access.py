"""The one way the SSO pages get their organization and setup: only if this user may see
them (staff, or the organization's own customer admin), and a setup only within its own
organization. Anything else is a 404, never a hint that it exists."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from idp_selfservice.models import SsoSetup
from orgs.models import Organization
from orgs.views.access import LINK_GRANT, get_organization_for


def get_org_for(request: HttpRequest, org_pk: int) -> Organization:
    """The organization `org_pk`, if this user may manage its single sign-on."""
    return _organization(request, org_pk)


def _organization(request: HttpRequest, org_pk: int) -> Organization:
    """A setup link's session comes in only with a grant for single sign-on or its
    directory provisioning (portal.link_access.link_scope("sso"/"scim") on the view)."""
    grant = getattr(request, LINK_GRANT, None)
    if grant is not None and grant.scope not in ("sso", "scim"):
        raise Http404
    return get_organization_for(request, org_pk)


def get_setup_for(request: HttpRequest, org_pk: int, setup_pk: int) -> SsoSetup:
    """The setup `setup_pk` of organization `org_pk` (any state), or 404: also when the
    setup belongs to another organization, even one this user may see."""
    organization = _organization(request, org_pk)
    setup = (
        SsoSetup.objects.select_related("organization", "connection", "replaces")
        .filter(pk=setup_pk, organization=organization)
        .first()
    )
    if setup is None:
        raise Http404
    return setup
