"""Directory provisioning (SCIM) for an active setup: turn it on or off, the SCIM endpoint
URL, tokens (create one, shown once; list; revoke behind a confirmation).

A new token's value is rendered into the answer to the POST that created it, with
`Cache-Control: no-store`: no redirect, so it never sits in the session or the database.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache

from idp_selfservice import scim as services
from idp_selfservice.access import get_setup_for
from idp_selfservice.models import SsoSetup
from idp_selfservice.views.common import READ_METHODS, TAB, actor, refuse_method
from orgs.services.errors import ServiceError
from orgs.views.outcome import report
from orgs.views.tabs import render_tab
from portal.confirm import Confirmation, render_confirmation
from portal.forms import PortalForm
from portal.link_access import link_scope

SCOPE_WORDS = {
    "get:users": "Read users (get:users)",
    "post:users": "Create users (post:users)",
    "put:users": "Replace users (put:users)",
    "patch:users": "Update and deactivate users (patch:users)",
    "delete:users": "Delete users (delete:users)",
}


def _page_url(setup: SsoSetup) -> str:
    return reverse("idp_selfservice:scim", args=[setup.organization_id, setup.pk])


def _url(name: str, setup: SsoSetup, *more: str) -> str:
    return reverse(f"idp_selfservice:{name}", args=[setup.organization_id, setup.pk, *more])


class TokenForm(PortalForm):
    scopes = forms.MultipleChoiceField(
        label="What the token may do",
        help_text="Okta and Microsoft Entra ID need all of these to keep users in step.",
        choices=list(SCOPE_WORDS.items()),
        initial=list(SCOPE_WORDS),
        widget=forms.CheckboxSelectMultiple,
    )
    lifetime_days = forms.IntegerField(
        label="Lifetime in days",
        help_text=f"Between 1 and {services.MAX_LIFETIME_DAYS}. Create a new token before this "
        "one expires, or provisioning stops.",
        min_value=1,
        max_value=services.MAX_LIFETIME_DAYS,
        initial=90,
    )


@never_cache
@link_scope("scim")
def scim_page(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    refused = refuse_method(request, READ_METHODS)
    if refused is not None:
        return refused
    status = services.scim_status(setup)
    context = {
        "setup": setup,
        "status": status,
        "scope_words": SCOPE_WORDS,
        "can_add_token": len(status.tokens) < services.MAX_TOKENS,
        "max_tokens": services.MAX_TOKENS,
    }
    return render_tab(request, setup.organization, TAB, "idp_selfservice/scim.html", context)


@link_scope("scim")
def scim_enable(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    refused = refuse_method(request, ("POST",))
    if refused is not None:
        return refused
    done = "Directory provisioning is being turned on. This page shows it once Auth0 has it."
    report(request, lambda: services.scim_enable(actor=actor(request), setup=setup), done)
    return redirect(_page_url(setup))


@link_scope("scim")
def scim_disable(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    if request.method != "POST":
        return render_confirmation(
            request,
            Confirmation(
                title="Turn off directory provisioning?",
                action_url=_url("scim_disable", setup),
                button="Turn it off",
                cancel_url=_page_url(setup),
                impact=[
                    "Your identity provider can no longer create, change or deactivate users.",
                    "Every SCIM token of this connection stops working and is deleted.",
                    "Users it already created stay, and can still sign in.",
                ],
            ),
        )
    done = "Directory provisioning is being turned off."
    report(request, lambda: services.scim_disable(actor=actor(request), setup=setup), done)
    return redirect(_page_url(setup))


@never_cache
@link_scope("scim")
def scim_token_new(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    refused = refuse_method(request, (*READ_METHODS, "POST"))
    if refused is not None:
        return refused
    form = TokenForm(request.POST if request.method == "POST" else None, label_suffix="")
    if request.method == "POST" and form.is_valid():
        try:
            token = services.scim_token_create(
                actor=actor(request),
                setup=setup,
                scopes=form.cleaned_data["scopes"],
                lifetime_days=form.cleaned_data["lifetime_days"],
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            context = {
                "setup": setup,
                "token": token,
                "scope_words": SCOPE_WORDS,
                "endpoint_url": services.endpoint_url(setup),
            }
            return render_tab(
                request, setup.organization, TAB, "idp_selfservice/scim_token_created.html", context
            )
    context = {"setup": setup, "form": form}
    return render_tab(
        request, setup.organization, TAB, "idp_selfservice/scim_token_new.html", context
    )


@link_scope("scim")
def scim_token_revoke(
    request: HttpRequest, org_pk: int, setup_pk: int, token_id: str
) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    if request.method != "POST":
        return render_confirmation(
            request,
            Confirmation(
                title="Revoke this SCIM token?",
                action_url=_url("scim_token_revoke", setup, token_id),
                button="Revoke the token",
                cancel_url=_page_url(setup),
                impact=[
                    "Your identity provider's requests with this token are refused at once.",
                    "If it is the token your identity provider uses, provisioning stops until "
                    "you paste a new one there.",
                ],
            ),
        )
    done = "The token was revoked."
    report(
        request,
        lambda: services.scim_token_revoke(actor=actor(request), setup=setup, token_id=token_id),
        done,
    )
    return redirect(_page_url(setup))
