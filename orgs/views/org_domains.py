"""The organization's domains tab: claim an email domain, prove it (a DNS TXT record or
an https well-known file; "Check now" says what was found), remove it after a
confirmation. Staff approve or refuse the claims of a subdomain of a domain another
organization verified, here and in the queue across organizations."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST

from orgs.domains.checks import VERIFICATION_HOST_PREFIX, domain_check, verification_host
from orgs.domains.claims import domain_approve, domain_claim, domain_refuse, domain_remove
from orgs.domains.wellknown import WELL_KNOWN_PATH, wellknown_url
from orgs.models import Domain, Organization
from orgs.models.organizations import DomainStatus
from orgs.services import ServiceError
from orgs.views.access import get_organization_for, staff_required
from orgs.views.outcome import report
from orgs.views.tabs import render_tab
from portal.confirm import Confirmation, render_confirmation
from portal.forms import PortalForm
from portal.link_access import link_or_login_required
from portal.models import User

__all__ = ["VERIFICATION_HOST_PREFIX", "verification_host", "verification_words"]

TAB = "orgs:domains"


class ClaimForm(PortalForm):
    domain = forms.CharField(
        label="Email domain",
        max_length=253,
        help_text="The part after the @ in your people's email addresses, such as example.com.",
    )


def verification_words(domain: Domain) -> str:
    """Where the domain's verification stands, as the organization's people read it."""
    checked = _when(domain.last_checked_at)
    if domain.status == DomainStatus.VERIFIED:
        verified = _when(domain.verified_at)
        return f"Verified{f' on {verified}' if verified else ''}."
    if domain.status == DomainStatus.AWAITING_APPROVAL:
        return "Waiting for staff approval: another organization verified a domain above it."
    if domain.status == DomainStatus.FAILED:
        when = f" when last checked on {checked}" if checked else ""
        return f"Not verified: the TXT record was not found{when}."
    if checked:
        return f"Waiting for the TXT record: not found yet when last checked on {checked}."
    return "Waiting for the TXT record: not checked yet."


def _when(moment: Any) -> str:
    return date_format(moment, "j M Y, H:i") if moment else ""


def _row(domain: Domain) -> dict[str, Any]:
    return {
        "domain": domain,
        "words": verification_words(domain),
        "host": verification_host(domain),
        "file_url": wellknown_url(domain.domain),
        "checkable": domain.status in (DomainStatus.PENDING, DomainStatus.FAILED),
    }


@link_or_login_required("domains")
def organization_domains(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    return _render(request, org, ClaimForm())


def _render(
    request: HttpRequest, org: Organization, form: ClaimForm, status: int = 200
) -> HttpResponse:
    rows = [_row(domain) for domain in org.domains.order_by("domain")]
    context = {"rows": rows, "form": form, "well_known_path": WELL_KNOWN_PATH}
    return render_tab(request, org, TAB, "orgs/detail/domains.html", context, status=status)


def _domain_for(org: Organization, domain_id: int) -> Domain:
    domain = org.domains.select_related("organization").filter(pk=domain_id).first()
    if domain is None:
        raise Http404
    return domain


@require_POST
@link_or_login_required("domains")
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    form = ClaimForm(request.POST)
    if not form.is_valid():
        return _render(request, org, form, status=400)
    try:
        domain = domain_claim(
            actor=cast(User, request.user), organization=org, text=form.cleaned_data["domain"]
        )
    except ServiceError as exc:
        form.add_service_error(exc)
        return _render(request, org, form, status=400)
    if domain.status == DomainStatus.AWAITING_APPROVAL:
        messages.info(
            request,
            f"{domain.domain} is claimed. Another organization verified a domain above it, "
            "so staff must approve the claim before you can verify it.",
        )
    else:
        messages.success(
            request, f"{domain.domain} is claimed. Add the TXT record or the file, then check."
        )
    return redirect(TAB, pk=org.pk)


@require_POST
@link_or_login_required("domains")
def check(request: HttpRequest, pk: int, domain_id: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    domain = _domain_for(org, domain_id)
    try:
        found = domain_check(
            actor=cast(User, request.user), domain=domain, proof=request.POST.get("proof", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(TAB, pk=org.pk)
    if found.proven:
        messages.success(request, f"{domain.domain} is verified. {found.words}")
    else:
        messages.error(request, f"{domain.domain} is not verified yet. {found.words}")
    return redirect(TAB, pk=org.pk)


@require_http_methods(["GET", "POST"])
@link_or_login_required("domains")
def remove(request: HttpRequest, pk: int, domain_id: int) -> HttpResponse:
    """GET: what removing does; POST: remove."""
    org = get_organization_for(request, pk)
    domain = _domain_for(org, domain_id)
    if request.method != "POST":
        return render_confirmation(request, _remove_confirmation(org, domain))
    report(
        request,
        lambda: domain_remove(actor=cast(User, request.user), domain=domain),
        f"{domain.domain} is removed.",
    )
    return redirect(TAB, pk=org.pk)


def _remove_confirmation(org: Organization, domain: Domain) -> Confirmation:
    impact = ["The claim and its verification token are forgotten."]
    if domain.status == DomainStatus.VERIFIED:
        impact += [
            f"People with an {domain.domain} address are no longer sent to this "
            "organization's sign-in by their email domain.",
            "Single sign-on connections no longer list it.",
        ]
    return Confirmation(
        title=f"Remove {domain.domain}?",
        action_url=reverse("orgs:domain_remove", args=[org.pk, domain.pk]),
        button="Remove domain",
        cancel_url=reverse(TAB, args=[org.pk]),
        impact=impact,
    )


@require_POST
@staff_required
def approve(request: HttpRequest, pk: int, domain_id: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    domain = _domain_for(org, domain_id)
    report(
        request,
        lambda: domain_approve(actor=cast(User, request.user), domain=domain),
        f"The claim of {domain.domain} by {org} is approved; it can now be verified.",
    )
    if request.POST.get("back") == "queue":
        return redirect("orgs:domain_approvals")
    return redirect(TAB, pk=org.pk)


@require_http_methods(["GET", "POST"])
@staff_required
def refuse(request: HttpRequest, pk: int, domain_id: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    domain = _domain_for(org, domain_id)
    if request.method != "POST":
        return render_confirmation(
            request,
            Confirmation(
                title=f"Refuse the claim of {domain.domain} by {org}?",
                action_url=reverse("orgs:domain_refuse", args=[org.pk, domain.pk]),
                button="Refuse claim",
                cancel_url=reverse("orgs:domain_approvals"),
                impact=["The claim is removed; the organization may claim it again later."],
            ),
        )
    report(
        request,
        lambda: domain_refuse(actor=cast(User, request.user), domain=domain),
        f"The claim of {domain.domain} by {org} is refused.",
    )
    return redirect("orgs:domain_approvals")


@staff_required
def approvals(request: HttpRequest) -> HttpResponse:
    """Staff's queue: claims of subdomains of domains other organizations verified."""
    waiting = (
        Domain.objects.filter(status=DomainStatus.AWAITING_APPROVAL)
        .select_related("organization")
        .order_by("created_at", "pk")
    )
    return render(request, "orgs/detail/domains_approvals.html", {"waiting": waiting})
