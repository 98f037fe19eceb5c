"""A member's changes, from their page (orgs.views.org_members): add and remove roles,
remove them from the organization, and deprovision their Auth0 user (block / unblock,
sign out everywhere, send a password reset). Removing, blocking and signing out confirm
first (GET shows what happens, POST acts); the services re-check every rule.

Someone Auth0 lists as a member may have no `Member` row yet (they joined through an
invitation or in Auth0's dashboard): before a change, the row is made or brought in step
from Auth0 (orgs.services.users.member_for_auth0_user), so a role is added to the roles
Auth0 has. If Auth0 cannot be reached, the portal's row is used as it is."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from orgs.auth0.errors import Auth0Error
from orgs.forms.members import ADD_PREFIX, REMOVE_PREFIX, role_forms
from orgs.models import Member, Organization
from orgs.services import ServiceError
from orgs.services.users import (
    is_last_admin,
    member_for_auth0_user,
    member_give_role,
    member_remove_from_organization,
    member_take_role,
    user_block,
    user_send_password_reset,
    user_sign_out_everywhere,
    user_unblock,
)
from orgs.views.access import get_organization_for
from orgs.views.member_directory import MemberView, auth0_member, member_view, row_from_local
from orgs.views.org_members import TAB, render_member
from portal.confirm import Confirmation, render_confirmation
from portal.models import User

IDP_SESSION = (
    "Auth0 does not end a session at their own identity provider (for example their "
    "company's single sign-on)."
)


class MemberUnavailable(Exception):
    """The change cannot be made to this user now; the message says why, in plain words."""


def _acting_member(org: Organization, user_id: str, *, stale_ok: bool = False) -> Member:
    """The row to change, in step with Auth0 when Auth0 answers. `stale_ok`: a row Auth0
    no longer lists may still be removed (the removal then only tidies the portal)."""
    local = org.members.select_related("organization").filter(user_id=user_id).first()
    if not org.auth0_id:
        if local is None:
            raise Http404
        return local
    try:
        remote = auth0_member(org, user_id)
    except Auth0Error as exc:
        if local is None:
            raise MemberUnavailable(
                "Auth0 cannot be reached, and the portal has no record of this member yet. "
                "Try again in a minute."
            ) from exc
        return local
    if remote is None:
        if local is not None and stale_ok:
            return local
        who = local or "This user"
        raise MemberUnavailable(f"{who} is not a member of {org}: there is nothing to change.")
    return member_for_auth0_user(
        organization=org,
        user_id=user_id,
        email=remote.email,
        name=remote.name,
        role_ids=remote.role_ids,
    )


def _member_page(org: Organization, user_id: str) -> HttpResponse:
    return redirect("orgs:member", pk=org.pk, user_id=user_id)


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


# --- roles -----------------------------------------------------------------------------------


@require_POST
@login_required
def member_role_add(request: HttpRequest, pk: int, user_id: str) -> HttpResponse:
    return _change_role(request, pk, user_id, ADD_PREFIX)


@require_POST
@login_required
def member_role_remove(request: HttpRequest, pk: int, user_id: str) -> HttpResponse:
    return _change_role(request, pk, user_id, REMOVE_PREFIX)


def _change_role(request: HttpRequest, pk: int, user_id: str, which: str) -> HttpResponse:
    org = get_organization_for(request, pk)
    try:
        member = _acting_member(org, user_id)
    except MemberUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(TAB, pk=org.pk)
    forms = role_forms(request.POST, held=member.role_names(), which=which)
    form = forms[0] if which == ADD_PREFIX else forms[1]
    if form.is_valid():
        role = form.role_name()
        change = member_give_role if which == ADD_PREFIX else member_take_role
        try:
            change(actor=_actor(request), member=member, role_name=role)
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            words = f"Adding the role {role} to" if which == ADD_PREFIX else f"Removing {role} from"
            messages.success(request, f"{words} {member}. It shows as In sync once Auth0 has it.")
            return _member_page(org, user_id)
    view = member_view(org, user_id) or MemberView(row=row_from_local(member))
    return render_member(request, org, view, forms)


# --- removal and deprovisioning ---------------------------------------------------------------

Service = Callable[..., object]


def _act(
    request: HttpRequest,
    org: Organization,
    member: Member,
    service: Service,
    done: str,
    *,
    then: str = "",
) -> HttpResponse:
    try:
        service(actor=_actor(request), member=member)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
        if then:
            return redirect(then, pk=org.pk)
    return _member_page(org, member.user_id)


def _confirm_or_act(
    request: HttpRequest,
    pk: int,
    user_id: str,
    confirmation: Callable[[Organization, Member], Confirmation],
    act: Callable[[HttpRequest, Organization, Member], HttpResponse],
    *,
    stale_ok: bool = False,
) -> HttpResponse:
    org = get_organization_for(request, pk)
    try:
        member = _acting_member(org, user_id, stale_ok=stale_ok)
    except MemberUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(TAB, pk=org.pk)
    if request.method != "POST":
        return render_confirmation(request, confirmation(org, member))
    return act(request, org, member)


@require_http_methods(["GET", "POST"])
@login_required
def member_remove(request: HttpRequest, pk: int, user_id: str) -> HttpResponse:
    """GET: what removing does; POST: remove from the organization."""

    def act(request: HttpRequest, org: Organization, member: Member) -> HttpResponse:
        done = f"Removing {member} from {org}."
        return _act(request, org, member, member_remove_from_organization, done, then=TAB)

    return _confirm_or_act(request, pk, user_id, _removal, act, stale_ok=True)


def _removal(org: Organization, member: Member) -> Confirmation:
    return Confirmation(
        title=f"Remove {member} from {org}?",
        action_url=reverse("orgs:member_remove", args=[org.pk, member.user_id]),
        button="Remove from organization",
        cancel_url=reverse("orgs:member", args=[org.pk, member.user_id]),
        impact=[
            f"They can no longer sign in to {org} and lose their roles in it.",
            "Their account is not deleted: other organizations they belong to keep them.",
            "Sessions they have now go on until they end: use Sign out everywhere first "
            "to end those too.",
        ],
    )


@require_http_methods(["GET", "POST"])
@login_required
def member_block(request: HttpRequest, pk: int, user_id: str) -> HttpResponse:
    """GET: what blocking does; POST: block the user."""

    def act(request: HttpRequest, org: Organization, member: Member) -> HttpResponse:
        done = f"Blocking {member}. Once Auth0 has it, they cannot sign in."
        return _act(request, org, member, user_block, done)

    return _confirm_or_act(request, pk, user_id, _blocking, act)


def _blocking(org: Organization, member: Member) -> Confirmation:
    impact = [
        "They cannot sign in anywhere this Auth0 tenant serves, in every organization they "
        "belong to, until someone unblocks them.",
        "Blocking does not end the sessions they have now: use Sign out everywhere as well.",
        IDP_SESSION,
    ]
    if is_last_admin(member):
        impact.append(
            f"{member} is the last administrator of {org}: nobody there can manage it in "
            "the portal while they are blocked."
        )
    return Confirmation(
        title=f"Block {member}?",
        action_url=reverse("orgs:member_block", args=[org.pk, member.user_id]),
        button="Block user",
        cancel_url=reverse("orgs:member", args=[org.pk, member.user_id]),
        impact=impact,
    )


@require_http_methods(["GET", "POST"])
@login_required
def member_sign_out(request: HttpRequest, pk: int, user_id: str) -> HttpResponse:
    """GET: what signing out everywhere does; POST: end the sessions and refresh tokens."""

    def act(request: HttpRequest, org: Organization, member: Member) -> HttpResponse:
        done = f"Signing {member} out everywhere."
        return _act(request, org, member, user_sign_out_everywhere, done)

    return _confirm_or_act(request, pk, user_id, _signing_out, act)


def _signing_out(org: Organization, member: Member) -> Confirmation:
    return Confirmation(
        title=f"Sign {member} out everywhere?",
        action_url=reverse("orgs:member_sign_out", args=[org.pk, member.user_id]),
        button="Sign out everywhere",
        cancel_url=reverse("orgs:member", args=[org.pk, member.user_id]),
        impact=[
            "Ends all their Auth0 sessions: each application asks them to sign in again "
            "the next time it sends them to Auth0.",
            "Revokes their refresh tokens, so applications cannot get new tokens for them.",
            "Access tokens already issued stay valid until they expire.",
            IDP_SESSION + " They may get straight back in from there: block them to stop that.",
            "Applications that keep a session of their own (this portal too) end it only "
            "when that session runs out.",
        ],
    )


@require_POST
@login_required
def member_unblock(request: HttpRequest, pk: int, user_id: str) -> HttpResponse:
    return _post_only(request, pk, user_id, user_unblock, "Unblocking {member}.")


@require_POST
@login_required
def member_password_reset(request: HttpRequest, pk: int, user_id: str) -> HttpResponse:
    done = "Asking Auth0 to email {member} a link to choose a new password."
    return _post_only(request, pk, user_id, user_send_password_reset, done)


def _post_only(
    request: HttpRequest, pk: int, user_id: str, service: Service, done: str
) -> HttpResponse:
    org = get_organization_for(request, pk)
    try:
        member = _acting_member(org, user_id)
    except MemberUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(TAB, pk=org.pk)
    return _act(request, org, member, service, done.format(member=member))
