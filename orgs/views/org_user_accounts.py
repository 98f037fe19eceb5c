"""Creating and deleting user accounts from the Members tab, for organizations whose users
live in a database connection of their own (orgs.services.user_accounts). Elsewhere the
pages say plainly why not, and offer nothing to press.

Creating is a form (GET shows it, POST records the creation); deleting confirms first
(GET says what it does, POST acts), like removing a member."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from orgs.models import Member, Organization, Role
from orgs.services import ServiceError
from orgs.services.user_accounts import account_refusal, user_create, user_delete
from orgs.views.access import get_organization_for
from orgs.views.org_member_actions import MemberUnavailable, _acting_member
from orgs.views.org_members import TAB
from orgs.views.tabs import render_tab
from portal.confirm import Confirmation, render_confirmation
from portal.forms import PortalForm
from portal.models import User


class UserCreateForm(PortalForm):
    email = forms.EmailField(
        label="Email address",
        error_messages={
            "required": "Enter the email address of the person.",
            "invalid": "Enter an email address like name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(label="Name", required=False, max_length=300)
    roles = forms.ModelMultipleChoiceField(
        queryset=Role.objects.order_by("name"),
        to_field_name="name",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Roles",
        help_text="What they may do in the organization.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@require_http_methods(["GET", "POST"])
@login_required
def user_create_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form (or why accounts are not made here); POST: create the account."""
    org = get_organization_for(request, pk)
    refusal = account_refusal(org)
    form = UserCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if refusal:
            messages.error(request, refusal)
            return redirect(TAB, pk=org.pk)
        if form.is_valid():
            try:
                user_create(
                    actor=cast(User, request.user),
                    organization=org,
                    email=form.cleaned_data["email"],
                    name=form.cleaned_data["name"],
                    role_names=[role.name for role in form.cleaned_data["roles"]],
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                email = form.cleaned_data["email"].strip().lower()
                messages.success(
                    request,
                    f"Creating the account of {email}. They get an email with a link to "
                    "choose their password; nobody else ever knows it.",
                )
                return redirect(TAB, pk=org.pk)
    context = {"form": form, "refusal": refusal}
    status = 400 if form.errors else 200
    return render_tab(request, org, TAB, "orgs/detail/user_create.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def user_delete_page(request: HttpRequest, pk: int, user_id: str) -> HttpResponse:
    """GET: what deleting does; POST: delete the account."""
    org = get_organization_for(request, pk)
    refusal = account_refusal(org)
    if refusal:
        messages.error(request, refusal)
        return redirect("orgs:member", pk=org.pk, user_id=user_id)
    try:
        member = _acting_member(org, user_id)
    except MemberUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(TAB, pk=org.pk)
    if request.method != "POST":
        return render_confirmation(request, _deletion(org, member))
    try:
        user_delete(actor=cast(User, request.user), member=member)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("orgs:member", pk=org.pk, user_id=user_id)
    messages.success(request, f"Deleting the account of {member}.")
    return redirect(TAB, pk=org.pk)


def _deletion(org: Organization, member: Member) -> Confirmation:
    return Confirmation(
        title=f"Delete the account of {member}?",
        action_url=reverse("orgs:user_delete", args=[org.pk, member.user_id]),
        button="Delete account",
        cancel_url=reverse("orgs:member", args=[org.pk, member.user_id]),
        impact=[
            f"Their account in {org}'s database is deleted, with its password and every way "
            "they sign in: they can no longer sign in anywhere.",
            f"They leave {org} and lose their roles in it.",
            "This cannot be undone: to let them back in, create a new account or invite them.",
            "Their Auth0 sessions end with the account, but access tokens already issued "
            "stay valid until they expire.",
        ],
    )
