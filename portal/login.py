"""Login, callback and logout views: OIDC through the Auth0 tenant for everyone."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orgs.views.access import SESSION_ORG
from portal import oidc
from portal.access import resolve_access
from portal.models import User

SESSION_LOGIN = "oidc_login"


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and "organization" not in request.GET:
        return render(
            request, "portal/login.html", {"staff_org": settings.AUTH0_STAFF_ORGANIZATION}
        )
    data = request.POST if request.method == "POST" else request.GET
    organization = data.get("organization", "").strip().lower() or None
    try:
        begun = oidc.begin_login(
            organization=organization,
            invitation=data.get("invitation"),
            prompt_login=data.get("prompt") == "login",
        )
    except oidc.LoginError as exc:
        return render(request, "portal/login.html", {"error": str(exc)}, status=503)
    next_url = data.get("next", "")
    request.session[SESSION_LOGIN] = {
        "state": begun.state,
        "nonce": begun.nonce,
        "verifier": begun.code_verifier,
        "next": next_url if url_has_allowed_host_and_scheme(next_url, allowed_hosts=None) else "",
    }
    return HttpResponseRedirect(begun.url)


@require_GET
def callback_view(request: HttpRequest) -> HttpResponse:
    pending = request.session.pop(SESSION_LOGIN, None)
    if request.GET.get("error"):
        return login_failed(request, request.GET.get("error_description") or "Sign-in was refused.")
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


def _user_from_claims(claims: dict[str, object], *, is_staff: bool) -> User:
    user, _ = User.objects.get_or_create(sub=str(claims["sub"]))
    user.email = str(claims.get("email") or "")
    user.name = str(claims.get("name") or "")
    user.is_staff = is_staff
    user.save()
    return user


def login_failed(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    """The login page with a plain reason (also used when a session is ended mid-way)."""
    return render(request, "portal/login.html", {"error": message}, status=status)
