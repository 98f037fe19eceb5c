"""The certificate watch: keeps SAML signing certificates from breaking sign-ins unnoticed.

Auth0 reads a samlp connection's `metadataUrl` once and never again, so when an identity
provider rolls its signing certificate over, sign-ins fail on the day the old one stops
being used. The daily job (`run_watch`, from the `refresh_idp_metadata` task) therefore:

1. re-reads each SAML-like setup's metadata URL through the wizard's own safe fetching and
   parsing (`saml_metadata.load_metadata_url`), recording when and, in plain words, why
   not; a failing fetch never touches the connection;
2. stages a new signing certificate the IdP publishes (`staged_certificate`: what the
   person sees, plus the value Auth0 takes) and emails the organization's admins, urgently
   when the IdP no longer lists the certificate in use;
3. swaps it in (`certificate_swap`) when the customer admin confirms, or on its own at the
   old one's expiry when `settings.IDP_CERT_ROLLOVER` is "auto";
4. warns the admins 30, 14, 7 and 1 days before the certificate in use expires, once per
   threshold (`CertificateNotice`'s unique constraint holds across reruns and concurrent
   runs).

A change is recorded only together with its email (both in one transaction): when the mail
server refuses, nothing is recorded and tomorrow's run tries again. Every function takes
`now` so tests (and support) can ask "what would happen then" without freezing clocks.
ADFS connections that point Auth0 at their federation metadata URL (`adfs_server`) are
re-read by Auth0 itself daily; for them the watch only keeps what the portal shows current.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from idp_selfservice import emails
from idp_selfservice.certificates import (
    CertificateInfo,
    auth0_signing_cert,
    certificate_warnings,
    format_date,
)
from idp_selfservice.details import certificate_summary
from idp_selfservice.errors import IdpInputError
from idp_selfservice.models import LIVE_STATES, CertificateNotice, SetupState, SsoSetup
from idp_selfservice.providers import OIDC_FAMILY, get_provider
from orgs.models.connections import Strategy
from orgs.services.audit import audit
from orgs.services.enterprise_connections import connection_update_options
from orgs.services.errors import ServiceError
from portal.models import User

if TYPE_CHECKING:
    from idp_selfservice.saml_metadata import IdpMetadata

log = logging.getLogger(__name__)

NOTICE_THRESHOLDS = (30, 14, 7, 1)  # days before expiry, largest first
EXPIRING_DAYS = NOTICE_THRESHOLDS[0]
# "auto" rollover swaps once the certificate in use is this close to its expiry (or past it).
AUTO_SWAP_WITHIN = timedelta(days=1)
# A run stops starting new fetches after this long, so it ends inside the task's time
# limit; the setups it did not reach are the stalest, so the next run starts with them.
RUN_BUDGET_SECONDS = 480.0
UNEXPECTED_ERROR = (
    "The metadata URL could not be checked because of a problem on our side. "
    "Our team has been told; nothing was changed."
)

CHECKED, STAGED, FAILED, SKIPPED = "checked", "staged", "failed", "skipped"


@dataclass
class WatchReport:
    """What one run did, for the task's log line."""

    checked: int = 0
    staged: int = 0
    failed: int = 0
    swapped: int = 0
    notices: int = 0
    not_reached: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


# --- the certificate dicts stored in idp_summary / staged_certificate ------------------------


def certificate_in_use(setup: SsoSetup) -> dict[str, Any] | None:
    """The certificate Auth0 checks sign-ins against: the one the summary marks `in_use`
    (details.saml_summary), else the first."""
    found = [c for c in setup.certificates() if isinstance(c, dict) and c.get("sha256_fingerprint")]
    return next((c for c in found if c.get("in_use")), found[0] if found else None)


def moment(value: object) -> datetime | None:
    """An ISO date from a stored summary as an aware datetime (None when unreadable)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def days_left(certificate: dict[str, Any], now: datetime) -> int | None:
    until = moment(certificate.get("not_after"))
    return None if until is None else (until - now).days


# --- health, for the SSO index and the staff page -------------------------------------------


def certificate_health(setup: SsoSetup, now: datetime | None = None) -> dict[str, Any]:
    """How the certificate in use stands: status "ok" | "expiring" | "expired" | "unknown",
    days_left (None when unknown), a label and badge class, and a sentence for a person;
    plus whether a rollover is staged (and urgent) and the last metadata check's error."""
    now = now or timezone.now()
    cert = certificate_in_use(setup)
    until = moment(cert.get("not_after")) if cert else None
    staged = setup.staged_certificate or {}
    health: dict[str, Any] = {
        "status": "unknown",
        "days_left": None,
        "label": "Not known",
        "badge": "badge",
        "words": _unknown_words(setup),
        "fingerprint": cert.get("sha256_fingerprint", "") if cert else "",
        "subject": cert.get("subject", "") if cert else "",
        "not_after": until,
        "staged": bool(staged),
        "staged_urgent": bool(staged.get("urgent")),
        "check_error": setup.metadata_check_error,
        "checked_at": setup.metadata_checked_at,
    }
    if until is not None:
        health.update(_validity(until, now))
    if staged:
        health["words"] += (
            " Your identity provider published a new signing certificate: confirm the switch."
        )
    return health


def known_certificate_health(setup: SsoSetup) -> dict[str, Any] | None:
    """`certificate_health`, or None while no certificate is on record (OIDC, or before
    the IdP's details are in): what the SSO pages show."""
    health = certificate_health(setup)
    return None if health["status"] == "unknown" else health


def _unknown_words(setup: SsoSetup) -> str:
    provider = get_provider(setup.provider)
    if provider is not None and provider.family == OIDC_FAMILY:
        return "It signs in with keys your identity provider publishes: no certificate to renew."
    return "No signing certificate is on record for this connection yet."


def _validity(until: datetime, now: datetime) -> dict[str, Any]:
    left = (until - now).days
    date = format_date(until)
    if until <= now:
        return {
            "status": "expired",
            "days_left": left,
            "label": "Expired",
            "badge": "badge-bad",
            "words": f"The signing certificate expired on {date}: sign-ins fail until it is "
            "replaced.",
        }
    if until - now <= timedelta(days=EXPIRING_DAYS):
        when = "within a day" if left < 1 else f"in {left} day{'s' if left != 1 else ''}"
        return {
            "status": "expiring",
            "days_left": left,
            "label": "Expires soon",
            "badge": "badge-warn",
            "words": f"The signing certificate expires {when} (on {date}).",
        }
    return {
        "status": "ok",
        "days_left": left,
        "label": "Valid",
        "badge": "badge-ok",
        "words": f"The signing certificate is valid until {date}.",
    }


# --- 1 and 2: re-read the metadata URL, stage a new certificate -----------------------------


def watched_setups() -> Any:
    """Setups whose metadata URL the job re-reads, the least recently checked first."""
    candidates = (
        SsoSetup.objects.filter(state__in=LIVE_STATES)
        .exclude(metadata_url="")
        .select_related("organization", "connection")
        .order_by(F("metadata_checked_at").asc(nulls_first=True), "pk")  # never checked first
    )
    return [s for s in candidates if _is_watched(s)]


def has_certificates(setup: SsoSetup) -> bool:
    """A SAML-like setup (SAML, ADFS, PingFederate): one signed with a certificate."""
    provider = get_provider(setup.provider)
    return provider is not None and provider.is_saml_like


def _is_watched(setup: SsoSetup) -> bool:
    return bool(setup.metadata_url) and setup.state in LIVE_STATES and has_certificates(setup)


def refresh_setup(setup: SsoSetup, *, now: datetime | None = None) -> str:
    """Re-read one setup's metadata URL: "checked", "staged", "failed" or "skipped"."""
    now = now or timezone.now()
    if not _is_watched(setup):
        return SKIPPED
    from idp_selfservice.saml_metadata import load_metadata_url  # the wizard's own reader

    entity_id = setup.idp_summary.get("entity_id") or None
    try:
        metadata = load_metadata_url(setup.metadata_url, entity_id=entity_id)
    except IdpInputError as exc:
        _record_failure(setup, str(exc), now)
        return FAILED
    return _compare(setup, metadata, now)


def _record_failure(setup: SsoSetup, message: str, now: datetime) -> None:
    SsoSetup.objects.filter(pk=setup.pk).update(
        metadata_checked_at=now, metadata_check_error=message
    )


@transaction.atomic
def _compare(setup: SsoSetup, metadata: IdpMetadata, now: datetime) -> str:
    setup = _locked(setup)
    if not _is_watched(setup):  # deleted or swapped while we were fetching
        return SKIPPED
    setup.metadata_checked_at, setup.metadata_check_error = now, ""
    published = metadata.signing_certificates
    if _auth0_follows_metadata(setup):
        active = metadata.active_certificate(now).sha256_fingerprint
        setup.idp_summary = {
            **setup.idp_summary,
            "certificates": [
                certificate_summary(c, in_use=c.sha256_fingerprint == active) for c in published
            ],
        }
        setup.save()
        return CHECKED
    in_use = certificate_in_use(setup)
    candidate = newer_certificate(published, in_use, now) if in_use else None
    if in_use is None or candidate is None:
        if _staged_withdrawn(setup, published):
            setup.staged_certificate = {}  # the IdP took it back: nothing to switch to
        setup.save()
        return CHECKED
    urgent = not any(c.sha256_fingerprint == in_use["sha256_fingerprint"] for c in published)
    staged = setup.staged_certificate or {}
    already_told = staged.get("sha256_fingerprint") == candidate.sha256_fingerprint and (
        staged.get("urgent") or not urgent
    )
    if already_told:
        setup.save()
        return CHECKED
    setup.staged_certificate = _staged(setup, candidate, metadata, urgent, now)
    setup.save()
    audit(
        actor=None,
        action="sso.certificate_staged",
        organization=setup.organization,
        target=setup.connection_name,
        fingerprint=candidate.sha256_fingerprint,
        valid_until=candidate.not_after.isoformat(),
        urgent=urgent,
    )
    if not setup.is_draft_copy:  # its live setup reads the same URL and tells them once
        emails.send_certificate_staged(
            setup, in_use=in_use, staged=setup.staged_certificate, urgent=urgent, auto=_auto_mode()
        )
    return STAGED


def newer_certificate(
    published: list[CertificateInfo], in_use: dict[str, Any], now: datetime
) -> CertificateInfo | None:
    """The certificate to switch to, if the metadata offers one: not the one in use, not
    expired, and, while the one in use is still listed, expiring later than it (an IdP
    listing an older one beside it is no rollover). Valid-now beats not-yet-valid, then
    the latest expiry wins."""
    fingerprint = in_use.get("sha256_fingerprint")
    others = [c for c in published if c.sha256_fingerprint != fingerprint]
    until = moment(in_use.get("not_after"))
    if len(others) < len(published) and until is not None:
        others = [c for c in others if c.not_after > until]
    usable = [c for c in others if c.not_after > now]
    if not usable:
        return None
    return max(usable, key=lambda c: (c.is_current(now), c.not_after))


def _staged_withdrawn(setup: SsoSetup, published: list[CertificateInfo]) -> bool:
    staged = setup.staged_certificate or {}
    return bool(staged) and staged.get("sha256_fingerprint") not in {
        c.sha256_fingerprint for c in published
    }


def _staged(
    setup: SsoSetup, info: CertificateInfo, metadata: IdpMetadata, urgent: bool, now: datetime
) -> dict[str, Any]:
    staged = {
        **certificate_summary(info, in_use=False),
        "warnings": certificate_warnings(info, now),
        "auth0_signing_cert": auth0_signing_cert(info),
        "staged_at": now.isoformat(),
        "urgent": urgent,
    }
    if setup.connection is not None and setup.connection.strategy == Strategy.ADFS:
        staged["metadata_xml"] = metadata.source_xml  # adfs takes the whole document
    return staged


def _auth0_follows_metadata(setup: SsoSetup) -> bool:
    """An adfs connection given the federation metadata URL: Auth0 re-reads it daily."""
    connection = setup.connection
    return (
        connection is not None
        and connection.strategy == Strategy.ADFS
        and bool(connection.options.get("adfs_server"))
    )


def _auto_mode() -> bool:
    return str(settings.IDP_CERT_ROLLOVER).strip().lower() == "auto"


# --- 3: the swap ---------------------------------------------------------------------------


@transaction.atomic
def certificate_swap(
    *, actor: User | None, setup: SsoSetup, now: datetime | None = None, automatic: bool = False
) -> SsoSetup:
    """Put the staged certificate on the connection (one locked read-modify-write by the
    engine) and make it the one in use. `automatic`: the "auto" rollover, which tells the
    organization's admins what it did."""
    now = now or timezone.now()
    setup = _locked(setup)
    staged = setup.staged_certificate or {}
    if not staged:
        raise ServiceError("No new certificate is waiting to be switched to.")
    connection = setup.connection
    if setup.state not in LIVE_STATES or connection is None or connection.deleted_at is not None:
        raise ServiceError("This connection is not in use any more; there is nothing to switch.")
    old = certificate_in_use(setup)
    options = _swap_options(connection.strategy, staged)
    removed = [k for k in ("metadataUrl", "metadataXml") if k in connection.options]
    connection_update_options(
        actor=actor, connection=connection, options=options, removed_keys=removed
    )
    new = {k: v for k, v in staged.items() if k not in _STAGING_KEYS} | {"in_use": True}
    kept = [
        {**c, "in_use": False}
        for c in setup.certificates()
        if isinstance(c, dict) and c.get("sha256_fingerprint") != new["sha256_fingerprint"]
    ]
    setup.idp_summary = {**setup.idp_summary, "certificates": [new, *kept]}
    setup.staged_certificate = {}
    setup.save()
    audit(
        actor=actor,
        action="sso.certificate_swap",
        organization=setup.organization,
        target=setup.connection_name,
        previous=(old or {}).get("sha256_fingerprint", ""),
        fingerprint=new["sha256_fingerprint"],
        valid_until=new.get("not_after", ""),
        automatic=automatic,
    )
    if automatic:
        emails.send_certificate_swapped(setup, old=old, new=new)
    return setup


# What staged_certificate holds beyond a certificate summary.
_STAGING_KEYS = ("auth0_signing_cert", "staged_at", "urgent", "metadata_xml", "warnings")


def _swap_options(strategy: str, staged: dict[str, Any]) -> dict[str, Any]:
    if strategy == Strategy.ADFS:
        if not staged.get("metadata_xml"):
            raise ServiceError("The new certificate came without its metadata; check it again.")
        return {"fedMetadataXml": staged["metadata_xml"]}
    return {"signingCert": staged["auth0_signing_cert"]}


def auto_swap_due(setup: SsoSetup, now: datetime) -> bool:
    """In "auto" mode: a valid certificate is staged and the one in use expires within a day
    (or has expired)."""
    staged = setup.staged_certificate or {}
    in_use = certificate_in_use(setup)
    if not _auto_mode() or not staged or in_use is None:
        return False
    until, starts = moment(in_use.get("not_after")), moment(staged.get("not_before"))
    ready = starts is None or starts <= now
    return until is not None and until - now <= AUTO_SWAP_WITHIN and ready


def run_auto_swaps(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    swapped = 0
    for setup in SsoSetup.objects.filter(state__in=LIVE_STATES).exclude(connection=None):
        if auto_swap_due(setup, now):
            try:
                certificate_swap(actor=None, setup=setup, now=now, automatic=True)
            except ServiceError as exc:
                log.warning("automatic certificate swap of %s refused: %s", setup.pk, exc.message)
                continue
            swapped += 1
    return swapped


# --- 4: expiry notices ------------------------------------------------------------------------


def due_threshold(until: datetime, now: datetime) -> int | None:
    """The smallest notice threshold crossed (30, 14, 7, 1), None above 30 days: a run that
    finds several crossed at once sends only the most pressing."""
    crossed = [t for t in NOTICE_THRESHOLDS if until - now <= timedelta(days=t)]
    return min(crossed) if crossed else None


def send_expiry_notices(*, now: datetime | None = None) -> int:
    """One email per threshold per certificate in use of every active setup."""
    now = now or timezone.now()
    sent = 0
    active = SsoSetup.objects.filter(state=SetupState.ACTIVE).select_related("organization")
    for setup in active:
        try:
            sent += _expiry_notice(setup, now)
        except Exception:  # a mail server down: nothing recorded, the next run tries again
            log.exception("expiry notice of setup %s not sent", setup.pk)
    return sent


def _expiry_notice(setup: SsoSetup, now: datetime) -> bool:
    cert = certificate_in_use(setup)
    until = moment(cert.get("not_after")) if cert else None
    if cert is None or until is None:
        return False
    threshold = due_threshold(until, now)
    fingerprint = cert["sha256_fingerprint"]
    if threshold is None:
        return False
    done = CertificateNotice.objects.filter(
        setup=setup, fingerprint=fingerprint, threshold_days__lte=threshold
    )
    if done.exists():
        return False
    try:
        with transaction.atomic():
            # The row first: a concurrent run inserting the same one waits, then fails here.
            CertificateNotice.objects.create(
                setup=setup, fingerprint=fingerprint, threshold_days=threshold
            )
            emails.send_certificate_expiring(
                setup, certificate=cert, threshold=threshold, days_left=(until - now).days
            )
            audit(
                actor=None,
                action="sso.certificate_notice",
                organization=setup.organization,
                target=setup.connection_name,
                fingerprint=fingerprint,
                threshold_days=threshold,
            )
    except IntegrityError:
        return False  # another run sent this one
    return True


# --- the daily run ---------------------------------------------------------------------------


def run_watch(
    *, now: datetime | None = None, budget_seconds: float = RUN_BUDGET_SECONDS
) -> WatchReport:
    """The whole job: re-read metadata URLs, swap what "auto" says is due, send notices."""
    now = now or timezone.now()
    report = WatchReport()
    started = time.monotonic()
    setups = watched_setups()
    for index, setup in enumerate(setups):
        if time.monotonic() - started > budget_seconds:
            report.not_reached = len(setups) - index
            log.warning("certificate watch: %d setups left for the next run", report.not_reached)
            break
        outcome = _refresh_safely(setup, now)
        report.checked += outcome in (CHECKED, STAGED)
        report.staged += outcome == STAGED
        report.failed += outcome == FAILED
    report.swapped = run_auto_swaps(now=now)
    report.notices = send_expiry_notices(now=now)
    return report


def _refresh_safely(setup: SsoSetup, now: datetime) -> str:
    """One setup's failure (a bug, a mail server down) never stops the others."""
    try:
        return refresh_setup(setup, now=now)
    except Exception:
        log.exception("certificate watch of setup %s failed", setup.pk)
        _record_failure(setup, UNEXPECTED_ERROR, now)
        return FAILED


def _locked(setup: SsoSetup) -> SsoSetup:
    return (
        SsoSetup.objects.select_for_update(of=("self",))
        .select_related("organization", "connection")
        .get(pk=setup.pk)
    )
