"""Setup links (idp_selfservice/setup_links.py): the organization's admins and staff list,
create, revoke and resend them under /sso/<org>/links; the IT contact opens one at
/setup/<token>, says who they are, and gets a link session (portal/link_access.py) whose
start page is /setup/."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from idp_selfservice import setup_links
from idp_selfservice.models import SetupLink, SetupLinkScope, SetupState
from idp_selfservice.views.common import READ_METHODS, TAB, actor, refuse_method
from orgs.models import Organization
from orgs.services import ServiceError
from orgs.views.access import get_organization_for
from orgs.views.tabs import render_tab
from portal import link_access
from portal.confirm import Confirmation, render_confirmation
from portal.forms import PortalForm

LISTED = 50


class CreateLinkForm(PortalForm):
    scopes = forms.MultipleChoiceField(
        label="What the link lets them do",
        choices=SetupLinkScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[SetupLinkScope.SSO.value],
    )
    lifetime_days = forms.IntegerField(
        label="Works for (days)",
        min_value=setup_links.MIN_DAYS,
        max_value=setup_links.MAX_DAYS,
        initial=setup_links.DEFAULT_DAYS,
        help_text=f"Between {setup_links.MIN_DAYS} and {setup_links.MAX_DAYS} days.",
    )
    invitee_email = forms.EmailField(
        label="Their email address",
        required=False,
        help_text="We email them the link. Leave empty to pass the link on yourself.",
    )


class OpenLinkForm(PortalForm):
    email = forms.EmailField(
        label="Your work email address",
        help_text="Recorded with this visit, so the organization knows who did the setup.",
    )


# --- the organization's admins and staff ---------------------------------------------------


def _manager_org(request: HttpRequest, org_pk: int) -> Organization:
    """Staff or this organization's admin; a link session is anonymous here, so a 404."""
    return get_organization_for(request, org_pk)


def _link_of(org: Organization, link_pk: int) -> SetupLink:
    return get_object_or_404(
        SetupLink.objects.select_related("organization", "created_by"), pk=link_pk, organization=org
    )


def links(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = _manager_org(request, org_pk)
    refused = refuse_method(request, READ_METHODS)
    if refused:
        return refused
    rows = [_row(link) for link in org.setup_links.select_related("created_by")[:LISTED]]
    return render_tab(request, org, TAB, "idp_selfservice/setup_links.html", {"rows": rows})


def _row(link: SetupLink) -> dict[str, Any]:
    uses = list(link.uses.all()[:5])
    state = setup_links.link_state(link)
    return {
        "link": link,
        "state": state,
        "state_words": setup_links.STATE_WORDS[state],
        "scopes": setup_links.scope_words(link.scopes),
        "uses": uses,
        "use_count": link.uses.count(),
        "can_close": state in (setup_links.LinkState.ACTIVE, setup_links.LinkState.EXPIRED),
    }


def create(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = _manager_org(request, org_pk)
    refused = refuse_method(request, (*READ_METHODS, "POST"))
    if refused:
        return refused
    form = CreateLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = setup_links.create_link(
                actor=actor(request),
                organization=org,
                scopes=list(data["scopes"]),
                lifetime_days=data["lifetime_days"],
                invitee_email=data["invitee_email"] or "",
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            return _issued_page(request, org, issued, resent=False)
    return render_tab(request, org, TAB, "idp_selfservice/setup_links_form.html", {"form": form})


def _issued_page(
    request: HttpRequest, org: Organization, issued: setup_links.IssuedLink, *, resent: bool
) -> HttpResponse:
    """The link's URL, shown this once (never cached by the browser)."""
    context = {
        "issued": issued,
        "resent": resent,
        "scopes": setup_links.scope_words(issued.link.scopes),
    }
    response = render_tab(request, org, TAB, "idp_selfservice/setup_links_created.html", context)
    add_never_cache_headers(response)
    return response


def revoke(request: HttpRequest, org_pk: int, link_pk: int) -> HttpResponse:
    org = _manager_org(request, org_pk)
    link = _link_of(org, link_pk)
    refused = refuse_method(request, (*READ_METHODS, "POST"))
    if refused:
        return refused
    if request.method == "POST":
        try:
            setup_links.revoke_link(actor=actor(request), link=link)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "The setup link no longer works.")
        return redirect("idp_selfservice:setup_links", org_pk=org.pk)
    return render_confirmation(request, _revoke_confirmation(org, link))


def _revoke_confirmation(org: Organization, link: SetupLink) -> Confirmation:
    return Confirmation(
        title=f"Revoke the setup link for {link.invitee_email or 'your IT contact'}?",
        action_url=reverse("idp_selfservice:setup_link_revoke", args=[org.pk, link.pk]),
        button="Revoke link",
        cancel_url=reverse("idp_selfservice:setup_links", args=[org.pk]),
        impact=(
            "The link stops working at once.",
            "Anyone using it now is signed out at their next click.",
            "What they already set up stays as it is.",
        ),
    )


def resend(request: HttpRequest, org_pk: int, link_pk: int) -> HttpResponse:
    org = _manager_org(request, org_pk)
    link = _link_of(org, link_pk)
    refused = refuse_method(request, (*READ_METHODS, "POST"))
    if refused:
        return refused
    if request.method == "POST":
        try:
            issued = setup_links.resend_link(actor=actor(request), link=link)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("idp_selfservice:setup_links", org_pk=org.pk)
        return _issued_page(request, org, issued, resent=True)
    return render_confirmation(request, _resend_confirmation(org, link))


def _resend_confirmation(org: Organization, link: SetupLink) -> Confirmation:
    sent = f"It is emailed to {link.invitee_email}." if link.invitee_email else ""
    return Confirmation(
        title="Send a new setup link?",
        action_url=reverse("idp_selfservice:setup_link_resend", args=[org.pk, link.pk]),
        button="Send a new link",
        cancel_url=reverse("idp_selfservice:setup_links", args=[org.pk]),
        impact=tuple(
            line
            for line in (
                "A new link replaces this one: the old link stops working at once.",
                f"The new link works for {link.lifetime_days} days from now.",
                sent,
            )
            if line
        ),
        danger=False,
    )


# --- the IT contact -----------------------------------------------------------------------


def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET: who are you (or the dead-link page); POST: record the use, start the session."""
    link = setup_links.find_link(token)
    if link is None or not setup_links.is_live(link):
        return link_access.dead_link_page(request, link)
    refused = refuse_method(request, (*READ_METHODS, "POST"))
    if refused:
        return refused
    form = OpenLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            _use, contact = setup_links.record_open(
                link=link,
                email=form.cleaned_data["email"],
                ip=request.META.get("REMOTE_ADDR"),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except ServiceError:
            return link_access.dead_link_page(request, link)
        logout(request)  # whoever was signed in here, this browser is now the contact's
        link_access.start_link_session(request, link=link, contact=contact)
        return redirect("setup_link_home")
    context = {
        "form": form,
        "organization": link.organization,
        "scopes": setup_links.scope_words(link.scopes),
        "expires_at": link.expires_at,
    }
    response = render(request, "setup_links/open.html", context)
    add_never_cache_headers(response)
    return response


def contact_home(request: HttpRequest) -> HttpResponse:
    """The link session's start page: what this link lets them do, one link each."""
    session = link_access.link_session(request)
    if session is None or request.user.is_authenticated:
        raise Http404
    org = get_object_or_404(Organization, pk=session.org_pk)
    tasks = [
        {"label": label, "url": _task_url(scope, org)}
        for scope, label in SetupLinkScope.choices
        if scope in session.scopes
    ]
    context = {"organization": org, "tasks": tasks, "email": session.contact.email}
    return render(request, "setup_links/home.html", context)


def _task_url(scope: str, org: Organization) -> str | None:
    """Where each scope starts; directory provisioning lives on the organization's active
    SSO connection, so there is nowhere to go (None: the page says so) until it has one."""
    if scope == "scim":
        active = org.sso_setups.filter(state=SetupState.ACTIVE, replaces=None).first()
        return reverse("idp_selfservice:scim", args=[org.pk, active.pk]) if active else None
    names = {"sso": "idp_selfservice:index", "domains": "orgs:domains"}
    return reverse(names[scope], args=[org.pk])


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    """End the link session (the link itself keeps working until it expires)."""
    if link_access.link_session(request) is not None:
        link_access.end_link_session(request)
    return render(request, "setup_links/left.html")
