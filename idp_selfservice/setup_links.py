"""Setup links: a customer's IT contact, who has no portal account, does a scoped part of
the setup (single sign-on, domain verification, directory provisioning) through a link.

The link's token is random (256 bits) and only its sha256 is stored, so the database
alone never opens a link. Resending gives a new token (the old one stops working, and so
do the sessions opened with it). A link is dead once expired, revoked or completed; an
SSO-only link completes when an SSO setup of its organization is turned on
(`complete_sso_links`, called by `services.setup_activate`).

What the contact does through a link is audited under their email: the portal keeps a
`User` for each such email (`contact_user`: sub "setup-link|<email>", unusable password,
never staff, never active, never logged in) because `audit()` takes a User as actor.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from idp_selfservice.emails import organization_admin_emails
from idp_selfservice.models import SetupLink, SetupLinkScope, SetupLinkUse
from orgs.emails import render_email
from orgs.models import Member, Organization, OrgStatus
from orgs.services import ServiceError
from orgs.services.audit import audit
from portal.access import ADMIN_ROLE
from portal.models import User

log = logging.getLogger(__name__)

SCOPES: tuple[str, ...] = tuple(SetupLinkScope.values)
DEFAULT_DAYS, MIN_DAYS, MAX_DAYS = 7, 1, 30
CONTACT_SUB_PREFIX = "setup-link|"


class LinkState:
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    COMPLETED = "completed"


STATE_WORDS = {
    LinkState.ACTIVE: "Active",
    LinkState.EXPIRED: "Expired",
    LinkState.REVOKED: "Revoked",
    LinkState.COMPLETED: "Completed",
}


@dataclass(frozen=True)
class IssuedLink:
    """A link just created or resent: the only moment its URL is known."""

    link: SetupLink
    url: str
    emailed: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_state(link: SetupLink, now: datetime | None = None) -> str:
    if link.revoked_at is not None:
        return LinkState.REVOKED
    if link.completed_at is not None:
        return LinkState.COMPLETED
    if link.expires_at <= (now or timezone.now()):
        return LinkState.EXPIRED
    return LinkState.ACTIVE


def is_live(link: SetupLink) -> bool:
    """Usable now: active, and its organization too (a suspended one opens nothing)."""
    return link_state(link) == LinkState.ACTIVE and link.organization.status == OrgStatus.ACTIVE


def find_link(token: str) -> SetupLink | None:
    """The link this token opens (dead or alive), or None."""
    if not token or len(token) > 128:
        return None
    return (
        SetupLink.objects.select_related("organization", "created_by")
        .filter(token_hash=hash_token(token))
        .first()
    )


def scope_words(scopes: list[str]) -> list[str]:
    labels = dict(SetupLinkScope.choices)
    return [str(labels[s]) for s in SCOPES if s in scopes]


# --- create, resend, revoke -------------------------------------------------------------


def create_link(
    *,
    actor: User | None,
    organization: Organization,
    scopes: list[str],
    lifetime_days: int = DEFAULT_DAYS,
    invitee_email: str = "",
) -> IssuedLink:
    chosen = _valid_scopes(scopes)
    if not MIN_DAYS <= lifetime_days <= MAX_DAYS:
        raise ServiceError(f"Choose between {MIN_DAYS} and {MAX_DAYS} days.", field="lifetime_days")
    if organization.status != OrgStatus.ACTIVE:
        raise ServiceError("Setup links can be created once the organization is active.")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = SetupLink.objects.create(
            organization=organization,
            scopes=chosen,
            token_hash=hash_token(token),
            invitee_email=invitee_email.strip().lower(),
            lifetime_days=lifetime_days,
            created_by=actor,
            expires_at=timezone.now() + timedelta(days=lifetime_days),
        )
        audit(
            actor=actor,
            action="setup_link.create",
            organization=organization,
            target=_target(link),
            scopes=chosen,
            expires_at=link.expires_at.isoformat(),
        )
    return _issued(link, token)


def resend_link(*, actor: User | None, link: SetupLink) -> IssuedLink:
    """A new token and a new expiry (the link's lifetime from now); the old URL, and any
    session opened with it, stop working."""
    if link.revoked_at is not None or link.completed_at is not None:
        raise ServiceError("This link is closed: create a new one instead.")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        link.token_hash = hash_token(token)
        link.expires_at = timezone.now() + timedelta(days=link.lifetime_days)
        link.save(update_fields=["token_hash", "expires_at"])
        audit(
            actor=actor,
            action="setup_link.resend",
            organization=link.organization,
            target=_target(link),
            expires_at=link.expires_at.isoformat(),
        )
    return _issued(link, token)


@transaction.atomic
def revoke_link(*, actor: User | None, link: SetupLink) -> SetupLink:
    if link.revoked_at is not None or link.completed_at is not None:
        raise ServiceError("This link is already closed.")
    link.revoked_at = timezone.now()
    link.revoked_by = actor
    link.save(update_fields=["revoked_at", "revoked_by"])
    audit(
        actor=actor,
        action="setup_link.revoke",
        organization=link.organization,
        target=_target(link),
    )
    return link


def complete_sso_links(*, actor: User | None, organization: Organization) -> int:
    """Single sign-on of `organization` is on: its live links for SSO alone have done
    their work. Links that also cover domains or provisioning stay open."""
    now = timezone.now()
    links = SetupLink.objects.filter(
        organization=organization, revoked_at=None, completed_at=None, expires_at__gt=now
    )
    done = [link for link in links if link.scopes == [SetupLinkScope.SSO.value]]
    for link in done:
        link.completed_at = now
        link.save(update_fields=["completed_at"])
        audit(
            actor=actor,
            action="setup_link.complete",
            organization=organization,
            target=_target(link),
        )
    return len(done)


def _valid_scopes(scopes: list[str]) -> list[str]:
    chosen = [s for s in SCOPES if s in scopes]
    if not chosen or len(chosen) != len(set(scopes)):
        raise ServiceError("Choose at least one thing this link may do.", field="scopes")
    return chosen


def _target(link: SetupLink) -> str:
    return f"setup link for {link.invitee_email or 'an IT contact'}"


# --- opening a link ---------------------------------------------------------------------


def contact_user(email: str) -> User:
    """The portal User that stands for an IT contact in the audit trail (see the module's
    docstring): found or made, never able to log in."""
    email = email.strip().lower()
    user, created = User.objects.get_or_create(
        sub=f"{CONTACT_SUB_PREFIX}{email}",
        defaults={"email": email, "is_staff": False, "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def record_open(
    *, link: SetupLink, email: str, ip: str | None, user_agent: str
) -> tuple[SetupLinkUse, User]:
    if not is_live(link):
        raise ServiceError("This link can no longer be used.")
    contact = contact_user(email)
    use = SetupLinkUse.objects.create(
        link=link, email=contact.email, ip=ip or None, user_agent=user_agent[:512]
    )
    audit(
        actor=contact,
        action="setup_link.open",
        organization=link.organization,
        target=_target(link),
        ip=ip or "",
        user_agent=user_agent[:200],
    )
    return use, contact


@dataclass(frozen=True)
class Issuer:
    name: str
    email: str


def issuers(organization: Organization) -> list[Issuer]:
    """Who can issue a new link: the organization's admins (names and emails)."""
    emails = set(organization_admin_emails(organization))
    members = Member.objects.filter(
        organization=organization, roles__name=ADMIN_ROLE, removing=False
    ).exclude(email="")
    found = {m.email.strip().lower(): m.name for m in members if m.email.strip().lower() in emails}
    return [Issuer(name=found.get(e, ""), email=e) for e in sorted(emails)]


# --- the URL and the email ----------------------------------------------------------------


def link_url(token: str) -> str:
    return settings.PORTAL_BASE_URL + reverse("setup_link_open", args=[token])


def _issued(link: SetupLink, token: str) -> IssuedLink:
    url = link_url(token)
    return IssuedLink(link=link, url=url, emailed=_email(link, url))


def _email(link: SetupLink, url: str) -> bool:
    """Email the link to the invitee, if the creator gave an address. A mail server that
    refuses does not undo the link: the creator sees the URL and can pass it on."""
    if not link.invitee_email:
        return False
    context = {
        "organization": link.organization,
        "url": url,
        "scopes": scope_words(link.scopes),
        "expires_at": link.expires_at,
        "sender": link.created_by,
    }
    try:
        render_email("setup_link", context).to(link.invitee_email).send()
    except (smtplib.SMTPException, OSError):
        log.warning("could not email setup link %s", link.pk, exc_info=True)
        return False
    return True
