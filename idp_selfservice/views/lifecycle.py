"""Steps 6 and 7: turn a tested setup on, turn it off and on again, delete it, and change
it safely later through a draft copy (edit, swap in, discard).

Each destructive action is a link to a confirmation page (portal.confirm) saying what it
touches (services.impact_of); the page posts back here and the service re-checks
everything, so a refusal (the organization's last way in) comes back as a plain message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from idp_selfservice import drafts, services
from idp_selfservice.access import get_setup_for
from idp_selfservice.models import SetupState, SsoSetup
from orgs.services.errors import ServiceError
from orgs.views.outcome import report
from orgs.views.tabs import render_tab
from portal.confirm import Confirmation, render_confirmation, typed_matches
from portal.forms import PortalForm
from portal.link_access import link_scope
from portal.models import User

TAB = "idp_selfservice:index"


def _actor(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) else None


def _setup_url(setup: SsoSetup) -> str:
    return reverse("idp_selfservice:setup", args=[setup.organization_id, setup.pk])


def _url(name: str, setup: SsoSetup) -> str:
    return reverse(f"idp_selfservice:{name}", args=[setup.organization_id, setup.pk])


# --- activate -----------------------------------------------------------------------------


class ActivateForm(PortalForm):
    show_as_button = forms.BooleanField(
        label="Show it as a button on the login page",
        help_text="People can also reach it by typing an email address at a verified domain.",
        required=False,
        initial=True,
    )
    assign_membership_on_login = forms.BooleanField(
        label="Add people to the organization when they first sign in",
        help_text="Otherwise only people who are already members can sign in through it.",
        required=False,
        initial=True,
    )
    idp_initiated = forms.BooleanField(
        label="Let people start the sign-in from their identity provider",
        help_text="IdP-initiated sign-in: from the app tile in their IdP's dashboard.",
        required=False,
        initial=False,
    )
    idp_initiated_client_id = forms.ChoiceField(
        label="Application people land in",
        help_text="Where an IdP-initiated sign-in takes them.",
        required=False,
    )

    def __init__(self, *args: Any, setup: SsoSetup, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if not services.offers_idp_initiated(setup):
            del self.fields["idp_initiated"], self.fields["idp_initiated_client_id"]
            return
        applications = services.organization_applications(setup.organization)
        field = self.fields["idp_initiated_client_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose an application")] + [
            (app.client_id, app.name) for app in applications
        ]

    def flags(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "show_as_button": data["show_as_button"],
            "assign_membership_on_login": data["assign_membership_on_login"],
            "idp_initiated": data.get("idp_initiated", False),
            "idp_initiated_client_id": data.get("idp_initiated_client_id") or "",
        }


@link_scope("sso")
def activate(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    refusal = _activation_refusal(setup)
    form = None
    if not refusal:
        initial = {
            "show_as_button": setup.show_as_button,
            "assign_membership_on_login": setup.assign_membership_on_login,
            "idp_initiated": setup.idp_initiated,
            "idp_initiated_client_id": setup.idp_initiated_client_id,
        }
        data = request.POST if request.method == "POST" else None
        form = ActivateForm(data, setup=setup, initial=initial)
        if data is not None and form.is_valid():
            try:
                services.setup_activate(actor=_actor(request), setup=setup, **form.flags())
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(
                    request, f"{setup.connection_name} is being turned on for your organization."
                )
                return redirect(_setup_url(setup))
    elif request.method == "POST":
        messages.error(request, refusal)
        return redirect(_setup_url(setup))
    context = {
        "setup": setup,
        "provider": services.provider_of(setup),
        "refusal": refusal,
        "form": form,
        "applications": [a.name for a in services.organization_applications(setup.organization)],
        "domains": services.verified_domains(setup.organization),
    }
    return render_tab(request, setup.organization, TAB, "idp_selfservice/activate.html", context)


def _activation_refusal(setup: SsoSetup) -> str:
    if setup.is_draft_copy:
        return "A draft copy goes live by swapping it in, not on its own."
    if setup.state == SetupState.ACTIVE:
        return "This connection is already turned on."
    if setup.state not in (SetupState.DRAFT, SetupState.TESTED, SetupState.DISABLED):
        return "This setup is finished and cannot be turned on."
    if not setup.has_passed_test:
        return "Run a test sign-in that passes before turning this on (step 5)."
    return ""


# --- disable, enable, delete ---------------------------------------------------------------


def disable(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    if request.method != "POST":
        try:
            services.refuse_removing_last_method(setup)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect(_setup_url(setup))
        return render_confirmation(request, _disable_confirmation(setup))
    done = f"{setup.connection_name} is being turned off. Turn it on again at any time."
    return _run(request, setup, services.setup_disable, done)


def _disable_confirmation(setup: SsoSetup) -> Confirmation:
    impact = services.impact_of(setup)
    return Confirmation(
        title=f"Turn off {setup.connection_name}?",
        action_url=_url("disable", setup),
        button="Turn it off",
        cancel_url=_setup_url(setup),
        impact=[
            *_impact_lines(impact),
            "The connection and its users stay: turning it on again restores it as it was.",
        ],
    )


def enable(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    if request.method != "POST":
        confirmation = Confirmation(
            title=f"Turn {setup.connection_name} on again?",
            action_url=_url("enable", setup),
            button="Turn it on",
            cancel_url=_setup_url(setup),
            impact=[
                "People of your organization can sign in through it again, with the "
                "settings it had when it was turned off.",
            ],
            danger=False,
        )
        return render_confirmation(request, confirmation)
    done = f"{setup.connection_name} is being turned on again."
    return _run(request, setup, services.setup_enable, done)


def delete(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    setup = get_setup_for(request, org_pk, setup_pk)
    if setup.is_draft_copy:
        return redirect(_url("discard", setup))
    org = setup.organization
    if request.method != "POST":
        if setup.state == SetupState.ACTIVE:
            try:
                services.refuse_removing_last_method(setup)
            except ServiceError as exc:
                messages.error(request, exc.message)
                return redirect(_setup_url(setup))
        return render_confirmation(request, _delete_confirmation(setup))
    if not typed_matches(request, org.name):
        error = f"Type {org.name} exactly to confirm."
        return render_confirmation(request, _delete_confirmation(setup), error=error)
    done = f"{setup.connection_name} is being deleted."
    if report(request, lambda: services.setup_delete(actor=_actor(request), setup=setup), done):
        return redirect("idp_selfservice:index", org_pk=org.pk)
    return redirect(_setup_url(setup))


def _delete_confirmation(setup: SsoSetup) -> Confirmation:
    impact = services.impact_of(setup)
    lines = _impact_lines(impact)
    if impact.deletes_users:
        lines.append(
            "Auth0 deletes the connection and every user who signed in through it; "
            "this cannot be undone."
        )
    if setup.draft_copies.filter(state__in=(SetupState.DRAFT, SetupState.TESTED)).exists():
        lines.append("Its draft copy is deleted too.")
    return Confirmation(
        title=f"Delete {setup.connection_name}?",
        action_url=_url("delete", setup),
        button="Delete it",
        cancel_url=_setup_url(setup),
        impact=lines,
        type_to_confirm=setup.organization.name,
    )


def _impact_lines(impact: services.Impact) -> list[str]:
    if impact.members:
        people = _people(impact.members)
        lines = [f"{people} of your organization sign in through it; they cannot any more."]
    else:
        lines = ["No member of your organization has signed in through it yet."]
    if impact.applications:
        lines.append("These applications stop offering it: " + ", ".join(impact.applications) + ".")
    if impact.other_methods:
        lines.append("People can still sign in with: " + ", ".join(impact.other_methods) + ".")
    else:
        lines.append("Your organization has no other way in.")
    return lines


def _people(count: int) -> str:
    return f"{count} member" + ("" if count == 1 else "s")


# --- draft copies -----------------------------------------------------------------------


@link_scope("sso")
def edit(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    """POST: start (or reopen) the draft copy of a setup in use, and go to its steps."""
    setup = get_setup_for(request, org_pk, setup_pk)
    if request.method != "POST":
        return redirect(_setup_url(setup))
    try:
        copy = drafts.draft_copy_start(actor=_actor(request), setup=setup)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_setup_url(setup))
    messages.success(
        request,
        "This is a draft copy: change and test it while the live connection keeps "
        "working, then swap it in.",
    )
    return redirect(_setup_url(copy))


@link_scope("sso")
def swap(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    draft = get_setup_for(request, org_pk, setup_pk)
    live = draft.replaces
    if live is None or draft.state not in (SetupState.DRAFT, SetupState.TESTED):
        messages.error(request, "This is not a draft copy waiting to be swapped in.")
        return redirect(_setup_url(draft))
    if draft.state != SetupState.TESTED:
        messages.error(
            request, "Run a test sign-in of the draft that passes before swapping it in."
        )
        return redirect(_url("test", draft))
    if request.method != "POST":
        confirmation = Confirmation(
            title=f"Swap the draft into {live.connection_name}?",
            action_url=_url("swap", draft),
            button="Swap it in",
            cancel_url=_setup_url(draft),
            impact=swap_impact(draft, live),
            danger=False,
        )
        return render_confirmation(request, confirmation)
    done = f"The draft's settings are being put on {live.connection_name}."
    report(request, lambda: drafts.draft_copy_swap(actor=_actor(request), draft=draft), done)
    return redirect(_setup_url(live))


# Connection options a person recognises, for "what changes" on the swap page.
OPTION_NAMES = {
    "signInEndpoint": "Sign-in URL",
    "signOutEndpoint": "Sign-out URL",
    "signingCert": "Signing certificate",
    "protocolBinding": "How the sign-in request is sent",
    "signatureAlgorithm": "Signature algorithm",
    "digestAlgorithm": "Digest algorithm",
    "fieldsMap": "Attribute mapping",
    "user_id_attribute": "User id attribute",
    "attribute_map": "Claim mapping",
    "adfs_server": "ADFS metadata URL",
    "fedMetadataXml": "ADFS metadata",
    "pingFederateBaseUrl": "PingFederate server URL",
    "discovery_url": "Discovery URL",
    "issuer": "Issuer",
    "authorization_endpoint": "Authorization endpoint",
    "token_endpoint": "Token endpoint",
    "userinfo_endpoint": "Userinfo endpoint",
    "jwks_uri": "JWKS URL",
    "client_id": "Client ID",
    "scope": "Scopes",
    "type": "Response type",
}


def swap_impact(draft: SsoSetup, live: SsoSetup) -> list[str]:
    """What the swap changes on the live connection, named, never the values (the
    certificate by its fingerprint)."""
    old = live.connection.options if live.connection else {}
    new = draft.connection.options if draft.connection else {}
    changed = [
        label
        for key, label in OPTION_NAMES.items()
        if key in old or key in new
        if old.get(key) != new.get(key)
    ]
    lines = [
        f"{live.connection_name} keeps its name, its users and the app in your identity "
        "provider; people signing in notice nothing.",
    ]
    if changed:
        lines.append("These settings change: " + ", ".join(changed) + ".")
    else:
        lines.append("No setting of the connection changes.")
    new_print = _fingerprint(draft)
    if new_print and new_print != _fingerprint(live):
        lines.append(f"The signing certificate becomes the one with fingerprint {new_print}.")
    lines.append("The draft's own connection is deleted afterwards.")
    return lines


def _fingerprint(setup: SsoSetup) -> str:
    certificates = setup.certificates()
    first = certificates[0] if certificates else {}
    return str(first.get("sha256_fingerprint") or first.get("fingerprint") or "")


@link_scope("sso")
def discard(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    draft = get_setup_for(request, org_pk, setup_pk)
    live = draft.replaces
    if live is None:
        messages.error(request, "This is not a draft copy.")
        return redirect(_setup_url(draft))
    if request.method != "POST":
        confirmation = Confirmation(
            title="Discard the draft copy?",
            action_url=_url("discard", draft),
            button="Discard the draft",
            cancel_url=_setup_url(draft),
            impact=[
                f"The draft's changes and its test connection are deleted; "
                f"{live.connection_name} stays as it is.",
            ],
        )
        return render_confirmation(request, confirmation)
    done = "The draft copy is discarded."
    report(request, lambda: drafts.draft_copy_discard(actor=_actor(request), draft=draft), done)
    return redirect(_setup_url(live))


def _run(
    request: HttpRequest, setup: SsoSetup, service: Callable[..., object], done: str
) -> HttpResponse:
    report(request, lambda: service(actor=_actor(request), setup=setup), done)
    return redirect(_setup_url(setup))
