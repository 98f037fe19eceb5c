"""The organization's single sign-on: its setups (with their draft copies), how each one
stands, its signing certificate's health, and the verified domains; and step 1, picking
the identity provider."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from idp_selfservice import certificate_watch, services
from idp_selfservice.access import get_org_for
from idp_selfservice.forms import ProviderForm
from idp_selfservice.models import SetupState, SsoSetup
from idp_selfservice.providers import get_provider
from idp_selfservice.views.common import READ_METHODS, TAB, actor, refuse_method, state_words
from orgs.models import Organization
from orgs.models.organizations import DomainStatus
from orgs.services import ServiceError
from orgs.views.tabs import render_tab
from portal.link_access import link_or_login_required


@link_or_login_required("sso")
def index(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = get_org_for(request, org_pk)
    refused = refuse_method(request, READ_METHODS)
    if refused:
        return refused
    setups = list(
        services.live_setups(org).select_related("connection", "replaces").order_by("created_at")
    )
    copies: dict[int, list[SsoSetup]] = {}
    for setup in setups:
        if setup.replaces_id is not None:
            copies.setdefault(setup.replaces_id, []).append(setup)
    live_ids = {s.pk for s in setups}
    rows = [
        {**_row(org, setup), "drafts": [_row(org, c) for c in copies.get(setup.pk, [])]}
        for setup in setups
        if setup.replaces_id is None or setup.replaces_id not in live_ids
    ]
    domains = list(org.domains.order_by("domain"))
    context = {
        "rows": rows,
        "verified_domains": [d for d in domains if d.status == DomainStatus.VERIFIED],
        "other_domains": [d for d in domains if d.status != DomainStatus.VERIFIED],
        "can_start": len(setups) < services.MAX_SETUPS,
        "max_setups": services.MAX_SETUPS,
    }
    return render_tab(request, org, TAB, "idp_selfservice/index.html", context)


def _row(org: Organization, setup: SsoSetup) -> dict[str, Any]:
    provider = get_provider(setup.provider)
    return {
        "setup": setup,
        "provider": provider,
        "state_words": state_words(setup),
        "signs_in": _who_signs_in(org, setup),
        "certificate": certificate_watch.known_certificate_health(setup),
    }


def _who_signs_in(org: Organization, setup: SsoSetup) -> str:
    if setup.state == SetupState.ACTIVE:
        names = [a.name for a in services.organization_applications(org)]
        where = ", ".join(names) if names else "the organization's applications"
        return f"People of {org.display_name or org.name}, signing in to {where}."
    if setup.state == SetupState.DISABLED:
        return "Nobody: it is turned off."
    if setup.replaces_id is not None:
        return "Only test sign-ins from this portal; the live connection keeps working."
    return "Only test sign-ins from this portal, until it is turned on."


@link_or_login_required("sso")
def pick(request: HttpRequest, org_pk: int) -> HttpResponse:
    """Step 1: a radio list of the providers; choosing one starts the setup."""
    org = get_org_for(request, org_pk)
    refused = refuse_method(request, (*READ_METHODS, "POST"))
    if refused:
        return refused
    form = ProviderForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            setup = services.setup_start(
                actor=actor(request), organization=org, provider_key=form.cleaned_data["provider"]
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, f"Started setting up {setup.connection_name}.")
            return redirect("idp_selfservice:setup", org_pk=org.pk, setup_pk=setup.pk)
    context = {"form": form, "step": 1, "steps": 6}
    return render_tab(request, org, TAB, "idp_selfservice/pick.html", context)
