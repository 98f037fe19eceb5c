"""Require single sign-on, allow passwords again, and (staff only) the break-glass sign-in.

The card on the SSO index (templates/idp_selfservice/enforcement_card.html, through the
`enforcement_card` tag) links here; each GET is a confirmation page (portal.confirm)
saying what changes and what does not, which posts back here; the service re-checks
everything, so a refusal comes back as a plain message on the index. Staff and the
organization's own customer admin only; the break-glass route is staff only (a customer
admin gets the same 404 as anyone else).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from idp_selfservice import enforcement
from idp_selfservice.access import get_org_for
from idp_selfservice.views.common import READ_METHODS, actor, refuse_method
from orgs.models import Organization
from orgs.views.outcome import report
from portal.confirm import Confirmation, render_confirmation

METHODS = (*READ_METHODS, "POST")
NOT_ENDED = (
    "People who are signed in now stay signed in until their session ends; the change "
    "applies from their next sign-in."
)


def require(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = get_org_for(request, org_pk)
    refused = refuse_method(request, METHODS)
    if refused:
        return refused
    if request.method == "POST":
        done = (
            f"Single sign-on is now required: members of {_name(org)} sign in to your "
            "applications only through your identity provider."
        )
        report(
            request, lambda: enforcement.require_sso(actor=actor(request), organization=org), done
        )
        return _back(org)
    standing = enforcement.standing(org)
    if standing.policy.require_sso:
        messages.info(request, "Single sign-on is already required for this organization.")
        return _back(org)
    if standing.refusal:
        messages.error(request, standing.refusal)
        return _back(org)
    return render_confirmation(request, _require_confirmation(org, standing))


def _require_confirmation(org: Organization, standing: enforcement.Standing) -> Confirmation:
    apps = ", ".join(standing.password_applications) or "none of your applications"
    lines = [
        f"Members of {_name(org)} can no longer sign in with a password to: {apps}. They "
        f"sign in through single sign-on ({', '.join(standing.sso_connections)}).",
        _break_glass_line(standing.policy.break_glass),
        NOT_ENDED,
        "You can allow passwords again at any time; they come back in the same applications.",
    ]
    return Confirmation(
        title=f"Require single sign-on for {_name(org)}?",
        action_url=reverse("idp_selfservice:require_sso", args=[org.pk]),
        button="Require single sign-on",
        cancel_url=_index_url(org),
        impact=lines,
    )


def allow(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = get_org_for(request, org_pk)
    refused = refuse_method(request, METHODS)
    if refused:
        return refused
    if request.method == "POST":
        done = f"Members of {_name(org)} can sign in with a password again."
        report(
            request,
            lambda: enforcement.allow_passwords(actor=actor(request), organization=org),
            done,
        )
        return _back(org)
    standing = enforcement.standing(org)
    if not standing.policy.require_sso:
        messages.info(request, "Passwords are already allowed for this organization.")
        return _back(org)
    apps = ", ".join(standing.withheld_applications) or "your applications"
    confirmation = Confirmation(
        title=f"Allow passwords again for {_name(org)}?",
        action_url=reverse("idp_selfservice:allow_passwords", args=[org.pk]),
        button="Allow passwords again",
        cancel_url=_index_url(org),
        impact=[
            f"Members can sign in with a password again to: {apps}.",
            "Single sign-on keeps working as it does now.",
            "Any of your single sign-on connections can then be turned off or deleted, "
            "as long as another way in remains.",
        ],
        danger=False,
    )
    return render_confirmation(request, confirmation)


def break_glass(request: HttpRequest, org_pk: int) -> HttpResponse:
    """Staff only: turn the admins' emergency password sign-in to this portal off or on
    (`turn` = "off" | "on", in the query for the confirmation, posted back with it)."""
    org = get_org_for(request, org_pk)
    if not request.user.is_staff:
        raise Http404
    refused = refuse_method(request, METHODS)
    if refused:
        return refused
    data = request.POST if request.method == "POST" else request.GET
    turn = data.get("turn", "")
    if turn not in ("on", "off"):
        raise Http404
    on = turn == "on"
    if request.method == "POST":
        done = f"The emergency sign-in for {_name(org)} is now {turn}."
        report(
            request,
            lambda: enforcement.set_break_glass(actor=actor(request), organization=org, on=on),
            done,
        )
        return _back(org)
    if enforcement.own_database(org) is None:
        messages.error(request, enforcement.NO_OWN_DATABASE)
        return _back(org)
    policy = enforcement.policy_for(org)
    if policy.break_glass == on:
        messages.info(request, f"The emergency sign-in is already {turn}.")
        return _back(org)
    return render_confirmation(request, _break_glass_confirmation(org, on, policy.require_sso))


def _break_glass_confirmation(org: Organization, on: bool, required: bool) -> Confirmation:
    if on:
        lines = [
            f"Admins of {_name(org)} can sign in to this portal with a password again, to "
            "repair single sign-on when their identity provider is down.",
        ]
    else:
        lines = [
            f"Admins of {_name(org)} can no longer sign in to this portal with a password "
            "while single sign-on is required. If their identity provider is down, only our "
            "staff can repair single sign-on for them.",
        ]
    lines.append(
        "This applies now: single sign-on is required."
        if required
        else "Nothing changes until single sign-on is required."
    )
    lines.append("The organization's admins see on their single sign-on page whether it is on.")
    return Confirmation(
        title=f"Turn the emergency sign-in {'on' if on else 'off'} for {_name(org)}?",
        action_url=reverse("idp_selfservice:break_glass", args=[org.pk]),
        button=f"Turn it {'on' if on else 'off'}",
        cancel_url=_index_url(org),
        impact=lines,
        danger=not on,
        hidden={"turn": "on" if on else "off"},
    )


def _break_glass_line(on: bool) -> str:
    if on:
        return (
            "Admins keep a password sign-in to this portal for emergencies, to repair single "
            "sign-on when your identity provider is down. Our staff control it."
        )
    return (
        "There is no emergency password sign-in: our staff turned it off. If your identity "
        "provider is down, nobody can sign in until it is back or we help."
    )


def _name(org: Organization) -> str:
    return org.display_name or org.name


def _index_url(org: Organization) -> str:
    return reverse("idp_selfservice:index", args=[org.pk])


def _back(org: Organization) -> HttpResponse:
    return redirect(_index_url(org))
