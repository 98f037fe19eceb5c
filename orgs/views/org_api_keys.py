"""The organization's API keys tab: make a key (shown once, with a copy button), list the
keys (name, scopes, created, expires, last used) and revoke one (after a confirmation).
Who may: staff and the organization's own administrators (get_organization_for)."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from orgs.api import keys
from orgs.models import ApiKey, ApiScope, Organization
from orgs.services.errors import ServiceError
from orgs.views.access import get_organization_for
from orgs.views.outcome import report
from orgs.views.tabs import render_tab
from portal.confirm import Confirmation, render_confirmation
from portal.forms import PortalForm
from portal.models import User

TAB = "orgs:api_keys"
TEMPLATE = "orgs/detail/api_keys.html"


class ApiKeyForm(PortalForm):
    name = forms.CharField(
        label="Name", max_length=100, help_text="What uses it, for example “HR system”"
    )
    scopes = forms.MultipleChoiceField(
        label="What it may do",
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiScope.MEMBERS_READ],
    )
    days = forms.IntegerField(
        label="Lasts (days)",
        min_value=1,
        max_value=keys.MAX_DAYS,
        initial=keys.DEFAULT_DAYS,
        help_text=f"At most {keys.MAX_DAYS} days; make a new key before it expires",
    )


def _page(
    request: HttpRequest, org: Organization, form: ApiKeyForm, new_key: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "keys": org.api_keys.select_related("created_by"),
        "new_key": new_key,
        "api_docs": reverse("api:openapi-view"),
    }
    response = render_tab(request, org, TAB, TEMPLATE, context, status=status)
    if new_key:
        response["Cache-Control"] = "no-store"  # the one showing of the key stays nowhere
    return response


@login_required
def organization_api_keys(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the keys and the form; POST: make a key and show it, once."""
    org = get_organization_for(request, pk)
    if request.method != "POST":
        return _page(request, org, ApiKeyForm())
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, org, form, status=422)
    try:
        made = keys.api_key_create(
            actor=cast(User, request.user),
            organization=org,
            name=form.cleaned_data["name"],
            scopes=list(form.cleaned_data["scopes"]),
            days=form.cleaned_data["days"],
        )
    except ServiceError as exc:
        form.add_service_error(exc)
        return _page(request, org, form, status=422)
    return _page(request, org, ApiKeyForm(), new_key=made.key)


@login_required
def api_key_revoke(request: HttpRequest, pk: int, key_id: int) -> HttpResponse:
    """GET: what revoking does; POST: revoke."""
    org = get_organization_for(request, pk)
    key = org.api_keys.filter(pk=key_id).first()
    if key is None:
        raise Http404
    if key.revoked:
        messages.info(request, f"The key {key.name} is revoked already.")
        return redirect(TAB, pk=org.pk)
    if request.method != "POST":
        return render_confirmation(request, _confirmation(org, key))
    report(
        request,
        lambda: keys.api_key_revoke(actor=cast(User, request.user), key=key),
        f"Revoked the key {key.name}: it no longer works.",
    )
    return redirect(TAB, pk=org.pk)


def _confirmation(org: Organization, key: ApiKey) -> Confirmation:
    return Confirmation(
        title=f"Revoke the API key {key.name}?",
        action_url=reverse("orgs:api_key_revoke", args=[org.pk, key.pk]),
        button="Revoke key",
        cancel_url=reverse(TAB, args=[org.pk]),
        impact=(
            f"Every call with {key.name} is refused from now on (revoked_key).",
            "Whatever uses it stops working until it is given a new key.",
            "This cannot be undone.",
        ),
    )
