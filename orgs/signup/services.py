"""Self sign-up, step by step: start (the form), send the verification link, verify, and
provision (the organization and its first admin's invitation, recorded as ordinary
operations in the interactive lane); staff approve or refuse in approve-first mode.

Each step is safe to repeat: the sign-up's row is locked while it moves on, and a step
that finds it already moved on does nothing, so double clicks, two tabs and replayed
links end with one organization and one invitation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orgs.emails import render_email, send_telling_apart
from orgs.models import Invitation, Organization
from orgs.services.audit import acting_as, audit
from orgs.services.errors import ServiceError
from orgs.services.organizations import organization_create, organization_name_problem
from orgs.signup import ratelimits
from orgs.signup.models import LIVE_STATUSES, Signup, SignupStatus
from orgs.signup.tokens import LinkProblem, make_token, read_token
from portal.metrics import SIGNUPS_STARTED
from portal.models import User

log = logging.getLogger(__name__)


class SignupRateLimited(ServiceError):
    """Too many attempts: the message says when to try again."""


@dataclass(frozen=True)
class SignupDetails:
    company_name: str
    slug: str
    admin_name: str
    email: str


def ip_hash(ip: str) -> str:
    """Keyed like the rate-limit counters (a plain sha256 of an IPv4 address is reversed
    by trying them all)."""
    return ratelimits.subject_hash(ip) if ip else ""


# --- start -----------------------------------------------------------------------------------


def signup_start(*, details: SignupDetails, ip: str) -> Signup:
    """Record a sign-up (nothing reaches Auth0) and mail its verification link. The same
    person asking again for the same short name gets the same sign-up, not a second one."""
    _check_rate_limits(ip, details.email)
    with transaction.atomic():
        signup = _same_request(details)
        if signup is None:
            _check_name_and_cap(details)
            signup = Signup.objects.create(
                company_name=details.company_name,
                slug=details.slug,
                admin_name=details.admin_name,
                email=details.email,
                terms_version=settings.SIGNUP_TERMS_VERSION,
                ip_hash=ip_hash(ip),
            )
            audit(actor=None, action="signup.start", target=details.slug, email=details.email)
            transaction.on_commit(SIGNUPS_STARTED.inc)  # a new sign-up, not a repeat
    if signup.verification_sent_at is None or resend_wait_seconds(signup) == 0:
        send_verification(signup)
    return signup


def _check_rate_limits(ip: str, email: str) -> None:
    for setting, subject, who in (
        ("SIGNUP_RATE_PER_IP", ip, "network"),
        ("SIGNUP_RATE_PER_EMAIL", email, "email address"),
    ):
        wait = ratelimits.hit(ratelimits.limit_from_setting(setting), subject)
        if wait:
            raise SignupRateLimited(
                f"Too many sign-ups from this {who}. Try again "
                f"{ratelimits.retry_after_words(wait)}."
            )


def _same_request(details: SignupDetails) -> Signup | None:
    return (
        Signup.objects.select_for_update()
        .filter(
            email=details.email,
            slug=details.slug,
            status=SignupStatus.AWAITING_VERIFICATION,
        )
        .first()
    )


def _check_name_and_cap(details: SignupDetails) -> None:
    problem = slug_problem(details.slug)
    if problem:
        raise ServiceError(problem, field="slug")
    cap = settings.SIGNUP_MAX_ORGS_PER_EMAIL
    if Signup.objects.filter(email=details.email, status__in=LIVE_STATUSES).count() >= cap:
        raise ServiceError(
            f"{details.email} has signed up {cap} organization{'s' if cap != 1 else ''} "
            "already, the most one address may. Ask an admin of your organization to invite "
            "you instead, or contact us.",
            field="email",
        )


def slug_problem(slug: str) -> str:
    """Why `slug` cannot be a new organization's short name ("" when it can): the portal's
    rules, or a sign-up verified and waiting for approval with it."""
    problem = organization_name_problem(slug)
    if problem:
        return problem
    if Signup.objects.filter(slug=slug, status=SignupStatus.AWAITING_APPROVAL).exists():
        return f"{slug} is taken: choose another short name."
    return ""


# --- the verification email ------------------------------------------------------------------


def resend_wait_seconds(signup: Signup) -> int:
    """Seconds before the link may be sent again (0: now)."""
    if signup.verification_sent_at is None:
        return 0
    elapsed = (timezone.now() - signup.verification_sent_at).total_seconds()
    return max(0, int(settings.SIGNUP_RESEND_COOLDOWN_SECONDS - elapsed + 0.999))


def signup_resend(*, signup: Signup) -> Signup:
    """Send the link again (a fresh 24 hours), at most once per cooldown."""
    if signup.status != SignupStatus.AWAITING_VERIFICATION:
        raise ServiceError("This email address is verified already.")
    wait = resend_wait_seconds(signup)
    if wait:
        raise SignupRateLimited(
            f"We sent it moments ago. You can ask again {ratelimits.retry_after_words(wait)}."
        )
    send_verification(signup)
    return signup


def verification_url(signup: Signup) -> str:
    from django.urls import reverse

    path = reverse("signup:verify", args=[make_token(signup)])
    return f"{settings.PORTAL_BASE_URL}{path}"


def send_verification(signup: Signup) -> bool:
    """Mail the link; False when the mail server refused (the page says so and offers to
    send again). The send is counted first, so a slow server cannot be asked twice in one
    cooldown."""
    Signup.objects.filter(pk=signup.pk).update(
        verification_sent_at=timezone.now(), verification_sends=signup.verification_sends + 1
    )
    signup.refresh_from_db()
    email = render_email(
        "signup_verify",
        {
            "signup": signup,
            "url": verification_url(signup),
            "hours": settings.SIGNUP_VERIFY_HOURS,
        },
    )
    try:
        send_telling_apart(email.to(signup.email))
        sent = True
    except Exception:
        log.exception("could not send the verification email of sign-up %s", signup.pk)
        sent = False
    Signup.objects.filter(pk=signup.pk).update(verification_send_failed=not sent)
    signup.verification_send_failed = not sent
    return sent


# --- verify and provision --------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    signup: Signup | None
    problem: LinkProblem | None


def signup_verify(token: str) -> Verification:
    """Use a verification link. A link for a sign-up already verified is harmless: it
    changes nothing and answers with the sign-up, whose page shows where it got to."""
    link = read_token(token)
    if link.signup is None:
        return Verification(None, LinkProblem.INVALID)
    if link.problem is not None:
        return Verification(link.signup, link.problem)
    with transaction.atomic():
        signup = Signup.objects.select_for_update().get(pk=link.signup.pk)
        if signup.status == SignupStatus.EXPIRED:
            return Verification(signup, LinkProblem.ABANDONED)
        if signup.status == SignupStatus.AWAITING_VERIFICATION:
            signup.verified_at = timezone.now()
            _after_verification(signup)
    return Verification(signup, None)


def _after_verification(signup: Signup) -> None:
    with acting_as(f"sign-up by {signup.email}"):
        audit(actor=None, action="signup.verify", target=signup.slug, email=signup.email)
        if settings.SIGNUP_APPROVAL_REQUIRED:
            if slug_problem(signup.slug):
                _needs_new_name(signup)
                return
            signup.status = SignupStatus.AWAITING_APPROVAL
            signup.save()
            transaction.on_commit(lambda: _tell_staff_approval_waits(signup))
            return
        _provision(signup, actor=None)


def _provision(signup: Signup, *, actor: User | None) -> None:
    """Create the organization (queued in the current lane: interactive, as a person is
    waiting) with its first admin's invitation; or ask for a new short name when someone
    took it meanwhile. Called with the sign-up's row locked."""
    if organization_name_problem(signup.slug):
        _needs_new_name(signup)
        return
    organization = organization_create(
        actor=actor,
        name=signup.slug,
        display_name=signup.company_name,
        membership_model=settings.SIGNUP_MEMBERSHIP_MODEL,
        first_admin_email=signup.email,
    )
    _sign_invitation_from_the_team(organization)
    signup.organization = organization
    signup.status = SignupStatus.PROVISIONED
    signup.provisioned_at = timezone.now()
    signup.save()
    audit(
        actor=actor,
        action="signup.provision",
        organization=organization,
        target=signup.slug,
        email=signup.email,
    )


def _sign_invitation_from_the_team(organization: Organization) -> None:
    """Auth0's email says "{inviter} has invited you to join ...": the person invited
    themselves, so it names the team, not "An administrator"."""
    Invitation.objects.filter(organization=organization).update(
        inviter_name=settings.SIGNUP_INVITER_NAME
    )


def _needs_new_name(signup: Signup) -> None:
    signup.status = SignupStatus.NAME_TAKEN
    signup.save()


def signup_choose_slug(*, signup: Signup, slug: str) -> Signup:
    """The short name was taken between the form and the link: provision with another."""
    with transaction.atomic():
        locked = Signup.objects.select_for_update().get(pk=signup.pk)
        if locked.status != SignupStatus.NAME_TAKEN:
            return locked
        problem = slug_problem(slug)
        if problem:
            raise ServiceError(problem, field="slug")
        locked.slug = slug
        with acting_as(f"sign-up by {locked.email}"):
            if settings.SIGNUP_APPROVAL_REQUIRED:
                locked.status = SignupStatus.AWAITING_APPROVAL
                locked.save()
            else:
                _provision(locked, actor=None)
    return locked


# --- staff: approve-first mode ---------------------------------------------------------------


def signup_approve(*, actor: User, signup: Signup) -> Signup:
    with transaction.atomic():
        locked = Signup.objects.select_for_update().get(pk=signup.pk)
        if locked.status != SignupStatus.AWAITING_APPROVAL:
            raise ServiceError(f"This sign-up is {locked.get_status_display().lower()}.")
        locked.decided_by, locked.decided_at = actor, timezone.now()
        audit(actor=actor, action="signup.approve", target=locked.slug, email=locked.email)
        _provision(locked, actor=actor)
    return locked


def signup_refuse(*, actor: User, signup: Signup, reason: str) -> Signup:
    with transaction.atomic():
        locked = Signup.objects.select_for_update().get(pk=signup.pk)
        if locked.status not in (SignupStatus.AWAITING_APPROVAL, SignupStatus.NAME_TAKEN):
            raise ServiceError(f"This sign-up is {locked.get_status_display().lower()}.")
        locked.status = SignupStatus.REFUSED
        locked.decided_by, locked.decided_at = actor, timezone.now()
        locked.refusal_reason = reason.strip()[:500]
        locked.save()
        audit(actor=actor, action="signup.refuse", target=locked.slug, email=locked.email)
        transaction.on_commit(lambda: _tell_person_refused(locked))
    return locked


def _tell_person_refused(signup: Signup) -> None:
    email = render_email("signup_refused", {"signup": signup})
    try:
        send_telling_apart(email.to(signup.email))
    except Exception:
        log.exception("could not tell sign-up %s it was refused", signup.pk)


def _tell_staff_approval_waits(signup: Signup) -> None:
    from orgs.signup.alerts import alert_staff

    alert_staff("signup_approval_waits", {"signup": signup})


# --- housekeeping ----------------------------------------------------------------------------


def expire_unverified(*, now: datetime | None = None) -> int:
    """Sign-ups never verified within SIGNUP_UNVERIFIED_DAYS are abandoned (they hold
    nothing in Auth0); their links stop working."""
    moment = now or timezone.now()
    cutoff = moment - timedelta(days=settings.SIGNUP_UNVERIFIED_DAYS)
    return Signup.objects.filter(
        status=SignupStatus.AWAITING_VERIFICATION, created_at__lt=cutoff
    ).update(status=SignupStatus.EXPIRED, updated_at=moment)
