"""The public sign-up pages: the form, "check your email", the verification link, and the
sign-up's own page, which follows it from waiting for the link to the finished setup.

A sign-up's page is addressed by its random public id: whoever has the link (the person,
from the form's redirect or from the email) sees where it got to, and nothing else."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from orgs.services.errors import ServiceError
from orgs.signup import captcha, ratelimits
from orgs.signup.forms import HONEYPOT_FIELD, NewSlugForm, SignupForm, clean_slug_value
from orgs.signup.models import Signup, SignupStatus
from orgs.signup.progress import provisioning_progress
from orgs.signup.services import (
    SignupRateLimited,
    resend_wait_seconds,
    signup_choose_slug,
    signup_resend,
    signup_start,
    signup_verify,
)
from orgs.signup.tokens import LinkProblem

SEND_FAILED = "We could not send the email just now. Nothing is lost: send it again in a minute."
STATUS_TEMPLATES = {
    SignupStatus.AWAITING_VERIFICATION: "signup/check_email.html",
    SignupStatus.AWAITING_APPROVAL: "signup/awaiting_approval.html",
    SignupStatus.NAME_TAKEN: "signup/name_taken.html",
    SignupStatus.PROVISIONED: "signup/progress.html",
    SignupStatus.REFUSED: "signup/refused.html",
    SignupStatus.EXPIRED: "signup/abandoned.html",
}


def _require_enabled() -> None:
    if not settings.SIGNUP_ENABLED:
        raise Http404


def signup_form(request: HttpRequest) -> HttpResponse:
    _require_enabled()
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and request.POST.get(HONEYPOT_FIELD):
        # A bot: it sees the usual answer and nothing is recorded or mailed.
        return render(request, "signup/check_email.html", {"signup": None, "honeypot": True})
    status = 200
    if request.method == "POST" and form.is_valid() and _captcha_passes(request, form):
        try:
            signup = signup_start(details=form.details(), ip=ratelimits.client_ip(request))
        except SignupRateLimited as exc:
            form.add_service_error(exc)
            status = 429
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            return redirect("signup:status", public_id=signup.public_id)
    return render(request, "signup/form.html", _form_context(form), status=status)


def _captcha_passes(request: HttpRequest, form: SignupForm) -> bool:
    if not captcha.captcha_enabled():
        return True
    token = request.POST.get(settings.SIGNUP_CAPTCHA_FIELD, "")
    if captcha.verify_captcha(token, ratelimits.client_ip(request)):
        return True
    form.add_error(None, "We could not check that you are a person. Try the check again.")
    return False


def _form_context(form: SignupForm) -> dict[str, object]:
    return {
        "form": form,
        "honeypot_field": HONEYPOT_FIELD,
        "captcha": captcha.captcha_enabled(),
        "captcha_site_key": settings.SIGNUP_CAPTCHA_SITE_KEY,
        "captcha_script_url": settings.SIGNUP_CAPTCHA_SCRIPT_URL,
    }


def name_check(request: HttpRequest) -> HttpResponse:
    """The short name's availability, as a fragment for the form's live region."""
    _require_enabled()
    slug = (request.GET.get("slug") or request.GET.get("name") or "").strip().lower()
    limit = ratelimits.limit_from_setting("SIGNUP_NAME_CHECK_RATE_PER_IP")
    problem = ""
    if slug:
        wait = ratelimits.hit(limit, ratelimits.client_ip(request))
        if wait:
            problem = "Checked too often: it is checked again when you send the form."
        else:
            try:
                clean_slug_value(slug)
            except ValidationError as exc:
                problem = " ".join(exc.messages)
    return render(request, "orgs/partials/form_name_check.html", {"name": slug, "problem": problem})


def _signup_or_404(public_id: uuid.UUID) -> Signup:
    return get_object_or_404(Signup.objects.select_related("organization"), public_id=public_id)


def signup_status(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The sign-up's own page: whatever step it is at."""
    _require_enabled()
    signup = _signup_or_404(public_id)
    if signup.status == SignupStatus.NAME_TAKEN and request.method == "POST":
        return _choose_slug(request, signup)
    return render(request, STATUS_TEMPLATES[SignupStatus(signup.status)], _status_context(signup))


def _status_context(signup: Signup, **extra: object) -> dict[str, object]:
    context: dict[str, object] = {
        "signup": signup,
        "resend_wait": resend_wait_seconds(signup),
        "verify_hours": settings.SIGNUP_VERIFY_HOURS,
        "unverified_days": settings.SIGNUP_UNVERIFIED_DAYS,
        "outbox_url": _development_outbox(signup),
        **extra,
    }
    if signup.status == SignupStatus.PROVISIONED:
        context["progress"] = provisioning_progress(signup)
    if signup.status == SignupStatus.NAME_TAKEN and "form" not in context:
        context["form"] = NewSlugForm()
    return context


def _development_outbox(signup: Signup) -> str:
    """In development the emails are in the sandbox's outbox: the pages link to it."""
    if settings.PRODUCTION or not settings.EMAIL_BACKEND.endswith("SandboxOutboxBackend"):
        return ""
    return f"{settings.AUTH0_DOMAIN.rstrip('/')}/__sandbox__/emails?to={signup.email}"


def _choose_slug(request: HttpRequest, signup: Signup) -> HttpResponse:
    form = NewSlugForm(request.POST)
    if form.is_valid():
        try:
            signup_choose_slug(signup=signup, slug=form.cleaned_data["slug"])
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            return redirect("signup:status", public_id=signup.public_id)
    return render(request, "signup/name_taken.html", _status_context(signup, form=form))


def signup_progress(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The steps alone, for htmx to swap in every second until they settle; a sign-up
    that moved on (approved, say) sends the page to its new step."""
    _require_enabled()
    signup = _signup_or_404(public_id)
    if signup.status != SignupStatus.PROVISIONED:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "signup/partials/progress_steps.html", _status_context(signup))


@require_POST
def resend(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require_enabled()
    signup = _signup_or_404(public_id)
    notice, status = "We sent the link again. It works for {hours} hours.", 200
    try:
        signup_resend(signup=signup)
    except SignupRateLimited as exc:
        notice, status = exc.message, 429
    except ServiceError:
        return redirect("signup:status", public_id=signup.public_id)
    signup.refresh_from_db()
    if status == 200 and signup.verification_send_failed:
        notice, status = SEND_FAILED, 503
    context = _status_context(
        signup,
        notice=notice.format(hours=settings.SIGNUP_VERIFY_HOURS),
        notice_is_error=status == 503,
        notice_is_wait=status == 429,
    )
    return render(request, "signup/check_email.html", context, status=status)


def verify(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the email. Used once, it creates the organization; used again (a
    double click, a reload, another tab, a forwarded mail) it shows the same progress."""
    _require_enabled()
    outcome = signup_verify(token)
    signup = outcome.signup
    if signup is None or outcome.problem is LinkProblem.INVALID:
        return render(request, "signup/link_problem.html", {"problem": "invalid"}, status=400)
    if outcome.problem is LinkProblem.ABANDONED or signup.status == SignupStatus.EXPIRED:
        return render(request, "signup/abandoned.html", _status_context(signup), status=410)
    if (
        outcome.problem is LinkProblem.EXPIRED
        and signup.status == SignupStatus.AWAITING_VERIFICATION
    ):
        context = _status_context(signup, problem="expired")
        return render(request, "signup/link_problem.html", context, status=410)
    return redirect("signup:status", public_id=signup.public_id)
