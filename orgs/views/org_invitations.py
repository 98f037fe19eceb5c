"""The organization's invitations tab: who was invited with which roles, where each
invitation stands (and when it expires), inviting someone, resending and revoking (after
a confirmation). Which application an organization admin's invitation opens is the
service's decision (orgs.services.invitations.invitation_application)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.views.decorators.http import require_http_methods, require_POST

from orgs.forms.tabs import InvitationForm
from orgs.models import Invitation, InvitationStatus, Organization
from orgs.services import ServiceError
from orgs.services.invitations import invitation_create as create_invitation
from orgs.services.invitations import invitation_resend as resend_invitation
from orgs.services.invitations import invitation_revoke as revoke_invitation
from orgs.views.access import get_organization_for
from orgs.views.outcome import report
from orgs.views.tabs import render_tab
from portal.confirm import Confirmation, render_confirmation
from portal.models import User

TAB = "orgs:invitations"
INVITATIONS_PER_PAGE = 50
OPEN = (InvitationStatus.PENDING, InvitationStatus.SENT)


def status_words(invitation: Invitation, now: datetime) -> str:
    """The invitation's state as its expiry makes it ("Sent, expires in 6 days",
    "Expired", "Accepted"), also before the reconcile has marked an overdue one expired."""
    expires_at = invitation.expires_at
    if invitation.status in OPEN and expires_at is not None and expires_at <= now:
        return "Expired"
    if invitation.status == InvitationStatus.SENT and expires_at is not None:
        return f"Sent, expires in {timeuntil(expires_at, now, depth=1)}"
    if invitation.status == InvitationStatus.PENDING:
        return "Waiting to be sent"
    return invitation.get_status_display()


@login_required
def organization_invitations(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    return _render(request, org, InvitationForm())


def _render(request: HttpRequest, org: Organization, form: InvitationForm) -> HttpResponse:
    invitations = org.invitations.prefetch_related("roles").order_by("-created_at", "-pk")
    page = Paginator(invitations, INVITATIONS_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows: list[dict[str, Any]] = [
        {
            "invitation": invitation,
            "status": status_words(invitation, now),
            "can_resend": invitation.status != InvitationStatus.ACCEPTED,
            "can_revoke": invitation.status in OPEN,
        }
        for invitation in page.object_list
    ]
    context = {"page": page, "rows": rows, "form": form}
    return render_tab(request, org, TAB, "orgs/detail/invitations.html", context)


def _invitation_for(org: Organization, invitation_id: int) -> Invitation:
    invitation = (
        org.invitations.select_related("organization", "application")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise Http404
    return invitation


@require_POST
@login_required
def invitation_create(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _render(request, org, form)
    try:
        invitation = create_invitation(
            actor=cast(User, request.user),
            organization=org,
            email=form.cleaned_data["email"],
            role_names=form.role_names(),
            application=form.cleaned_data["application"],
        )
    except ServiceError as exc:
        form.add_service_error(exc)
        return _render(request, org, form)
    messages.success(
        request,
        f"Inviting {invitation.email}. It shows as In sync once Auth0 has sent the invitation.",
    )
    return redirect(TAB, pk=org.pk)


@require_POST
@login_required
def invitation_resend(request: HttpRequest, pk: int, invitation_id: int) -> HttpResponse:
    org = get_organization_for(request, pk)
    invitation = _invitation_for(org, invitation_id)
    report(
        request,
        lambda: resend_invitation(actor=cast(User, request.user), invitation=invitation),
        f"Sending {invitation.email} a new invitation. The link in the old one stops working.",
    )
    return redirect(TAB, pk=org.pk)


@require_http_methods(["GET", "POST"])
@login_required
def invitation_revoke(request: HttpRequest, pk: int, invitation_id: int) -> HttpResponse:
    """GET: what revoking does; POST: revoke."""
    org = get_organization_for(request, pk)
    invitation = _invitation_for(org, invitation_id)
    if invitation.status not in OPEN:
        messages.info(
            request,
            f"The invitation for {invitation.email} is "
            f"{invitation.get_status_display().lower()}: there is nothing to revoke.",
        )
        return redirect(TAB, pk=org.pk)
    if request.method != "POST":
        return render_confirmation(request, _confirmation(org, invitation))
    report(
        request,
        lambda: revoke_invitation(actor=cast(User, request.user), invitation=invitation),
        f"Revoking the invitation for {invitation.email}.",
    )
    return redirect(TAB, pk=org.pk)


def _confirmation(org: Organization, invitation: Invitation) -> Confirmation:
    impact = [
        "The link in the invitation email stops working.",
        f"{invitation.email} can be invited again later.",
    ]
    if invitation.uses_ticket:
        impact.append("The account made for the invitation is deleted if it was never used.")
    return Confirmation(
        title=f"Revoke the invitation for {invitation.email}?",
        action_url=reverse("orgs:invitation_revoke", args=[org.pk, invitation.pk]),
        button="Revoke invitation",
        cancel_url=reverse(TAB, args=[org.pk]),
        impact=impact,
    )
