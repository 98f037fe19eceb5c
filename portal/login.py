"""Login, callback and logout views: OIDC through the Auth0 tenant for everyone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orgs.models import Invitation, InvitationStatus, Organization
from orgs.views.access import SESSION_ORG
from portal import oidc
from portal.access import resolve_access
from portal.models import User

SESSION_LOGIN = "oidc_login"


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and "organization" not in request.GET:
        return login_page(request)
    data = request.POST if request.method == "POST" else request.GET
    organization = _organization_param(data.get("organization", ""))
    try:
        begun = oidc.begin_login(
            organization=organization,
            invitation=data.get("invitation"),
            prompt_login=data.get("prompt") == "login",
        )
    except oidc.LoginError as exc:
        return login_page(request, status=503, error=str(exc))
    next_url = data.get("next", "")
    request.session[SESSION_LOGIN] = {
        "state": begun.state,
        "nonce": begun.nonce,
        "verifier": begun.code_verifier,
        # What the person asked for, to offer it again when the tenant refuses them.
        "organization": organization or "",
        "invitation": data.get("invitation", ""),
        "next": next_url if url_has_allowed_host_and_scheme(next_url, allowed_hosts=None) else "",
    }
    return HttpResponseRedirect(begun.url)


def _organization_param(value: str) -> str | None:
    """Names are lower case in Auth0, so what a person types is lowered; ids (invitation
    links carry `org_...`) are case-sensitive and kept as they are."""
    value = value.strip()
    return (value if value.startswith("org_") else value.lower()) or None


@require_GET
def callback_view(request: HttpRequest) -> HttpResponse:
    # An SSO test sign-in comes back here too; it never logs this browser in as the
    # tested user, nor touches the admin's own login (idp_selfservice/views/testing.py).
    from idp_selfservice.views.testing import is_test_callback, test_callback

    if is_test_callback(request):
        return test_callback(request)
    pending = request.session.pop(SESSION_LOGIN, None)
    if request.GET.get("error"):
        refusal = explain_refusal(
            request.GET["error"],
            request.GET.get("error_description", ""),
            requested=(pending or {}).get("organization", ""),
        )
        return refused(request, refusal)
    if not pending or request.GET.get("state") != pending["state"]:
        return login_failed(request, "This sign-in link has expired. Please start again.")
    try:
        claims = oidc.finish_login(
            code=request.GET.get("code", ""),
            code_verifier=pending["verifier"],
            nonce=pending["nonce"],
        )
    except oidc.LoginError as exc:
        return login_failed(request, str(exc))
    if pending.get("invitation"):
        _mark_invitation_accepted(claims)
    access = resolve_access(claims)
    if not access.allowed:
        return login_failed(request, access.denied_reason, status=403)
    user = _user_from_claims(claims, is_staff=access.is_staff)
    login(request, user)
    if access.organization is not None:
        request.session[SESSION_ORG] = access.organization.pk
    return redirect(pending.get("next") or "home")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(oidc.logout_url(return_to=f"{settings.PORTAL_BASE_URL}/"))


def _mark_invitation_accepted(claims: dict[str, object]) -> None:
    """A sign-in that began from an invitation link and came back signed in to the
    organization means Auth0 accepted it (and deleted it): the portal's rows for this
    email in this organization say so. (The link carries Auth0's ticket id, which the
    portal does not keep, hence organization and email.)"""
    email, org_id = str(claims.get("email") or ""), claims.get("org_id")
    if not email or not org_id:
        return
    Invitation.objects.filter(
        organization__auth0_id=org_id,
        email__iexact=email,
        status__in=(InvitationStatus.PENDING, InvitationStatus.SENT),
    ).update(status=InvitationStatus.ACCEPTED)


def _user_from_claims(claims: dict[str, object], *, is_staff: bool) -> User:
    user, _ = User.objects.get_or_create(sub=str(claims["sub"]))
    user.email = str(claims.get("email") or "")
    user.name = str(claims.get("name") or "")
    user.is_staff = is_staff
    user.save()
    return user


def login_failed(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    """The login page with a plain reason (also used when a session is ended mid-way)."""
    return login_page(request, status=status, error=message)


def refused(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """The tenant refused the sign-in: guidance instead of Auth0's words, and, where
    another account may do, a way to sign in again as someone else."""
    return login_page(
        request,
        status=400,
        error=refusal.message,
        organization=refusal.organization,
        retry_organization=refusal.retry_organization,
    )


def login_page(request: HttpRequest, status: int = 200, **context: Any) -> HttpResponse:
    # Every rendering of the page has the staff button, so it must know the organization.
    context["staff_org"] = settings.AUTH0_STAFF_ORGANIZATION
    context["signup_enabled"] = settings.SIGNUP_ENABLED
    return render(request, "portal/login.html", context, status=status)


# --- the tenant's refusals, in plain words -----------------------------------------------
# Auth0's error_description is written for developers ("user auth0|... is not part of the
# org_... organization") and is never shown; these are the cases a person can act on. The
# wording matched is Auth0's (and the sandbox's, sandbox/authn/authorize.py and finish.py).
_UNKNOWN_ORGANIZATION = re.compile(r"^parameter organization is invalid: (?P<name>.+)$")
_NOT_A_MEMBER = re.compile(r"^user \S+ is not part of the (?P<org_id>\S+) organization$")
_PLAIN = {
    "user is blocked": "Your account is blocked. Contact your administrator.",
    "invitation not found or already used": (
        "This invitation has been used or withdrawn. Sign in, or ask your administrator "
        "for a new invitation."
    ),
    "the invitation has expired": (
        "This invitation has expired: ask your administrator for a new one."
    ),
}
GENERIC_REFUSAL = "Sign-in could not be completed. Please start again."


@dataclass(frozen=True)
class Refusal:
    message: str
    organization: str = ""  # prefills the organization field
    retry_organization: str | None = None  # offers "Sign in as someone else" (prompt=login)


def explain_refusal(error: str, description: str, requested: str = "") -> Refusal:
    """Guidance for an error the tenant sent back to the callback. `requested` is the
    organization this browser asked for."""
    description = description.strip()
    unknown = _UNKNOWN_ORGANIZATION.match(description)
    if unknown:
        name = unknown["name"][:100]
        return Refusal(f"No organization is called '{name}': check the short name", name)
    not_member = _NOT_A_MEMBER.match(description)
    if not_member:
        return _not_a_member(not_member["org_id"], requested)
    if description in _PLAIN:
        return Refusal(_PLAIN[description], requested)
    if error == "access_denied":
        return Refusal("Sign-in was refused for this account.", requested, requested)
    return Refusal(GENERIC_REFUSAL, requested)


def _not_a_member(org_id: str, requested: str) -> Refusal:
    organization = Organization.objects.filter(auth0_id=org_id).first()
    name = organization.name if organization else requested
    label = str(organization) if organization else (requested or "this organization")
    return Refusal(
        f"Your account is not a member of {label}: sign in with another account",
        name,
        name,
    )
