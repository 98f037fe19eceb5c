"""Staff only: Auth0 Self-Service SSO tickets for an organization (idp_selfservice.sso_tickets).

One page lists the tickets issued and holds the two forms (create a profile, issue a
ticket). Issuing answers with the same page showing the ticket's URL once: rendered, not
redirected, so the bearer link never passes through the session or a flash message, and
marked no-store so the browser keeps no copy. Anyone but staff gets a 404 on every route.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from idp_selfservice import sso_tickets
from idp_selfservice.access import get_org_for
from idp_selfservice.models import SsoTicket
from idp_selfservice.services import verified_domains
from idp_selfservice.views.common import READ_METHODS, TAB, actor, refuse_method
from orgs.models import Organization
from orgs.services import ServiceError
from orgs.views.tabs import render_tab
from portal.confirm import Confirmation, render_confirmation
from portal.forms import PortalForm

METHODS = (*READ_METHODS, "POST")
_DOMAIN_CHOICES = [
    ("none", "Not asked: the connection gets no domains from the ticket"),
    ("optional", "Optional: the IT contact may add the organization's verified domains"),
    ("required", "Required: the connection needs at least one verified domain"),
]


class ProfileForm(PortalForm):
    name = forms.CharField(max_length=100, label="Profile name")
    strategies = forms.MultipleChoiceField(
        choices=list(sso_tickets.STRATEGIES.items()),
        widget=forms.CheckboxSelectMultiple,
        label="Identity provider types the IT contact may pick",
    )
    attributes = forms.MultipleChoiceField(
        choices=[(k, v) for k, v in sso_tickets.ATTRIBUTES.items() if k != "email"],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Also ask for (email is always required)",
    )


class TicketForm(PortalForm):
    profile_id = forms.ChoiceField(label="Self-service profile")
    domain_verification = forms.ChoiceField(
        choices=_DOMAIN_CHOICES, initial="none", widget=forms.RadioSelect, label="Domains"
    )
    ttl_days = forms.IntegerField(
        min_value=1,
        max_value=sso_tickets.MAX_TTL_DAYS,
        initial=sso_tickets.DEFAULT_TTL_DAYS,
        label=f"Valid for (days, at most {sso_tickets.MAX_TTL_DAYS})",
    )

    def __init__(self, *args: Any, profiles: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["profile_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(p["id"], _profile_label(p)) for p in profiles]


def _profile_label(profile: dict[str, Any]) -> str:
    names = [sso_tickets.STRATEGIES.get(s, s) for s in profile.get("allowed_strategies") or []]
    return f"{profile.get('name', profile['id'])} ({', '.join(names)})"


def _staff_org(request: HttpRequest, org_pk: int) -> Organization:
    org = get_org_for(request, org_pk)
    if not request.user.is_staff:
        raise Http404
    return org


def tickets(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = _staff_org(request, org_pk)
    refused = refuse_method(request, METHODS)
    if refused:
        return refused
    profiles, profiles_error = _profiles()
    if request.method != "POST":
        return _page(request, org, profiles, profiles_error, TicketForm(profiles=profiles))
    form = TicketForm(request.POST, profiles=profiles)
    if not form.is_valid():
        return _page(request, org, profiles, profiles_error, form, status=400)
    try:
        issued = sso_tickets.issue_ticket(
            actor=actor(request),
            organization=org,
            profile_id=form.cleaned_data["profile_id"],
            domain_verification=form.cleaned_data["domain_verification"],
            ttl_days=form.cleaned_data["ttl_days"],
        )
    except ServiceError as exc:
        form.add_service_error(exc)
        return _page(request, org, profiles, profiles_error, form, status=400)
    response = _page(request, org, profiles, "", TicketForm(profiles=profiles), issued=issued)
    add_never_cache_headers(response)
    return response


def new_profile(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = _staff_org(request, org_pk)
    refused = refuse_method(request, ("POST",))
    if refused:
        return refused
    form = ProfileForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the profile a name and pick at least one provider type.")
        return redirect(_tickets_url(org))
    try:
        created = sso_tickets.create_profile(
            actor=actor(request),
            name=form.cleaned_data["name"],
            strategies=form.cleaned_data["strategies"],
            attributes=form.cleaned_data["attributes"],
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Created the self-service profile {created.get('name')}.")
    return redirect(_tickets_url(org))


def revoke(request: HttpRequest, org_pk: int, ticket_pk: int) -> HttpResponse:
    org = _staff_org(request, org_pk)
    ticket = get_object_or_404(SsoTicket, pk=ticket_pk, organization=org)
    refused = refuse_method(request, METHODS)
    if refused:
        return refused
    if request.method == "POST":
        try:
            sso_tickets.revoke_ticket(actor=actor(request), ticket=ticket)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Revoked the ticket for {ticket.connection_name}.")
        return redirect(_tickets_url(org))
    if ticket.revoked_at is not None:
        messages.info(request, "This ticket is already revoked.")
        return redirect(_tickets_url(org))
    return render_confirmation(
        request,
        Confirmation(
            title=f"Revoke the ticket for {ticket.connection_name}?",
            action_url=reverse("idp_selfservice:sso_ticket_revoke", args=[org.pk, ticket.pk]),
            button="Revoke ticket",
            cancel_url=_tickets_url(org),
            impact=[
                "The link stops working at once: whoever holds it can no longer set up "
                "a connection with it.",
                "A connection already created through it stays; delete it in Auth0 or on "
                "the single sign-on tab if it should go too.",
            ],
        ),
    )


def _profiles() -> tuple[list[dict[str, Any]], str]:
    try:
        return sso_tickets.profiles(), ""
    except ServiceError as exc:
        return [], exc.message


def _page(
    request: HttpRequest,
    org: Organization,
    profiles: list[dict[str, Any]],
    error: str,
    form: TicketForm,
    *,
    issued: sso_tickets.Issued | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = [
        {"ticket": t, "state": sso_tickets.ticket_state(t)}
        for t in SsoTicket.objects.filter(organization=org).select_related("issued_by")
    ]
    context = {
        "rows": rows,
        "profiles": profiles,
        "error": error,
        "form": form,
        "profile_form": ProfileForm(),
        "issued": issued,
        "domains": verified_domains(org),
    }
    return render_tab(request, org, TAB, "idp_selfservice/sso_tickets.html", context, status=status)


def _tickets_url(org: Organization) -> str:
    return reverse("idp_selfservice:sso_tickets", args=[org.pk])
