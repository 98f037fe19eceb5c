"""The staff view of sign-ups: the list (a tab per state, with counts; a search), and
Approve / Refuse / Retry. Approve and Refuse are links to a confirmation page that says
what will happen (portal.confirm); the page posts back here and the service checks the
sign-up's state again under its row lock, so a second click only gets a message.

The list costs the same queries at any size: the session, the user, the navigation's
badge, the tab counts (one grouped query), the page's count and the page."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from orgs.models import MembershipModel, OpState, Organization, SyncOperation
from orgs.services.connections import own_database_name
from orgs.services.errors import ServiceError
from orgs.services.organizations import organization_name_problem
from orgs.services.sync_ops import sync_operations_retry
from orgs.signup.models import Signup, SignupStatus
from orgs.signup.services import signup_approve, signup_refuse
from orgs.signup.staff_filters import (
    ALL,
    STATES,
    STATES_BY_KEY,
    filtered,
    state_counts,
    with_state,
)
from orgs.signup.staff_forms import RefuseForm, SignupSearchForm
from orgs.views.access import staff_required
from portal.confirm import Confirmation, render_confirmation
from portal.models import User

SIGNUPS_PER_PAGE = 50
# What a row shows; the rest of the sign-up (its nonce, its address's hash) stays behind.
_LIST_COLUMNS = (
    "company_name",
    "slug",
    "admin_name",
    "email",
    "status",
    "created_at",
    "verified_at",
    "organization__name",
    "organization__status",
    "organization__open_operations",
    "organization__failed_operations",
)


# --- the list --------------------------------------------------------------------------------


@staff_required
def staff_list(request: HttpRequest) -> HttpResponse:
    form = SignupSearchForm(request.GET)
    chosen, query = form.chosen_state(), form.query()
    searched = _matching(query)
    counts = state_counts(searched)
    signups = (
        filtered(with_state(searched), chosen).select_related("organization").only(*_LIST_COLUMNS)
    )
    # get_page, not page: a junk or out-of-range ?page= gives the first or last page.
    page = Paginator(signups, SIGNUPS_PER_PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "rows": [(signup, STATES_BY_KEY.get(signup.staff_state)) for signup in page.object_list],
        "tabs": _tabs(counts, chosen),
        "chosen": chosen,
        "chosen_label": STATES_BY_KEY[chosen].label if chosen in STATES_BY_KEY else "",
        "query": query,
        "all_state": ALL,
    }
    return render(request, "signup/staff/list.html", context)


def _matching(query: str) -> QuerySet[Signup]:
    signups = Signup.objects.all()
    if not query:
        return signups
    return signups.filter(
        Q(company_name__icontains=query) | Q(slug__icontains=query) | Q(email__icontains=query)
    )


def _tabs(counts: dict[str, int], chosen: str) -> list[dict[str, Any]]:
    tabs = [(state.key, state.label) for state in STATES] + [(ALL, "All")]
    return [
        {"key": key, "label": label, "count": counts.get(key, 0), "current": key == chosen}
        for key, label in tabs
    ]


def _to_list(state: str) -> HttpResponse:
    return redirect(f"{reverse('signup:staff_list')}?status={state}")


def _tab_of(signup: Signup) -> str:
    """The tab a sign-up is on now (one query)."""
    annotated = with_state(Signup.objects.filter(pk=signup.pk)).only("pk").first()
    return str(getattr(annotated, "staff_state", "")) or ALL


def _person(request: HttpRequest) -> User:
    return cast(User, request.user)  # staff_required: signed in


# --- approve ---------------------------------------------------------------------------------


@staff_required
def staff_approve(request: HttpRequest, pk: int) -> HttpResponse:
    signup = get_object_or_404(Signup, pk=pk)
    if request.method != "POST":
        if signup.status != SignupStatus.AWAITING_APPROVAL:
            messages.error(request, _nothing_to_decide(signup, "approve"))
            return _to_list(_tab_of(signup))
        return render_confirmation(request, _approve_confirmation(signup))
    try:
        approved = signup_approve(actor=_person(request), signup=signup)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return _to_list(_tab_of(signup))
    if approved.status == SignupStatus.NAME_TAKEN:
        messages.warning(
            request,
            f"{approved.slug} was taken meanwhile, so nothing was created: "
            f"{approved.email} is asked to choose another short name.",
        )
        return _to_list("name_taken")
    messages.success(
        request,
        f"{approved.company_name} is approved: {approved.slug} is being set up in Auth0 "
        f"and {approved.email} is invited as its admin.",
    )
    return _to_list("provisioning")


def _approve_confirmation(signup: Signup) -> Confirmation:
    return Confirmation(
        title=f"Approve {signup.company_name}?",
        action_url=reverse("signup:staff_approve", args=[signup.pk]),
        button="Approve and set up",
        cancel_url=f"{reverse('signup:staff_list')}?status=awaiting_approval",
        impact=approve_impact(signup),
        danger=False,
    )


def approve_impact(signup: Signup) -> list[str]:
    """What approving does, line by line, as orgs.signup.services._provision will do it."""
    if organization_name_problem(signup.slug):
        return [
            f"{signup.slug} is taken now, so nothing is created: {signup.email} is asked to "
            "choose another short name, and the sign-up waits for approval again."
        ]
    return [
        f"Creates {signup.slug} ({signup.company_name}) in Auth0 with its sign-in "
        f"connection: {_sign_in_connection(signup)}.",
        f"Invites {signup.email} as its admin: Auth0 emails the invitation, from "
        f"{settings.SIGNUP_INVITER_NAME}.",
        f"{signup.admin_name}'s sign-up page follows the setup step by step.",
    ]


def _sign_in_connection(signup: Signup) -> str:
    if settings.SIGNUP_MEMBERSHIP_MODEL == MembershipModel.OWN_DATABASE:
        name = own_database_name(Organization(name=signup.slug))
        return f"a database connection of its own, {name}"
    return "the shared database connection"


def _nothing_to_decide(signup: Signup, verb: str) -> str:
    return f"There is nothing to {verb}: this sign-up is {signup.get_status_display().lower()}."


# --- refuse ----------------------------------------------------------------------------------


@staff_required
def staff_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    signup = get_object_or_404(Signup, pk=pk)
    refusable = signup.status in (SignupStatus.AWAITING_APPROVAL, SignupStatus.NAME_TAKEN)
    if request.method != "POST" and not refusable:
        messages.error(request, _nothing_to_decide(signup, "refuse"))
        return _to_list(_tab_of(signup))
    form = RefuseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            signup_refuse(actor=_person(request), signup=signup, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            messages.error(request, exc.message)
            return _to_list(_tab_of(signup))
        messages.success(
            request,
            f"The sign-up for {signup.company_name} is refused; {signup.email} is told by email.",
        )
        return _to_list("refused")
    context = {"confirm": _refuse_confirmation(signup), "form": form}
    return render(request, "signup/staff/refuse.html", context, status=400 if form.errors else 200)


def _refuse_confirmation(signup: Signup) -> Confirmation:
    return Confirmation(
        title=f"Refuse {signup.company_name}?",
        action_url=reverse("signup:staff_refuse", args=[signup.pk]),
        button="Refuse sign-up",
        cancel_url=f"{reverse('signup:staff_list')}?status={_tab_of(signup)}",
        impact=[
            f"Nothing is created in Auth0 for {signup.slug}, and the short name is free again.",
            f"{signup.email} is told by email that the sign-up was not accepted, with the "
            "reason below if you give one.",
            "Their sign-up page says it was refused.",
        ],
    )


# --- retry -----------------------------------------------------------------------------------


@require_POST
@staff_required
def staff_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Every failed operation of the sign-up's organization, queued again."""
    signup = get_object_or_404(Signup.objects.select_related("organization"), pk=pk)
    failed = (
        list(
            SyncOperation.objects.filter(
                organization=signup.organization, state=OpState.FAILED
            ).values_list("pk", flat=True)
        )
        if signup.organization is not None and signup.status == SignupStatus.PROVISIONED
        else []
    )
    if not failed:
        messages.error(request, "There is nothing to retry: none of its setup has failed.")
        return _to_list(_tab_of(signup))
    outcome = sync_operations_retry(actor=_person(request), operation_ids=failed)
    if outcome.refused:
        reasons = "; ".join(sorted({reason for _, reason in outcome.refused}))
        messages.warning(
            request,
            f"{len(outcome.done)} of {len(failed)} failed steps of {signup.slug} are tried "
            f"again; the others could not be: {reasons}",
        )
    else:
        messages.success(
            request,
            f"The failed steps of {signup.slug}'s setup ({len(outcome.done)}) are tried again.",
        )
    return _to_list("provisioning")
