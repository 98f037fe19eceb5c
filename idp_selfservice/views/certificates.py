"""Signing certificates: the customer admin's confirmation of a staged rollover, and the
staff overview of every organization's certificates (soonest expiry first).

The swap is a link to a confirmation page (portal.confirm) showing the certificate in use
and the new one; the page posts back here, which calls the service. Nothing staged: the
person is sent back to the setup with the reason, and nothing is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from idp_selfservice import certificate_watch
from idp_selfservice.access import get_setup_for
from idp_selfservice.certificate_watch import (
    certificate_health,
    certificate_in_use,
    has_certificates,
    moment,
)
from idp_selfservice.certificates import format_date
from idp_selfservice.models import LIVE_STATES, SsoSetup
from orgs.views.access import staff_required
from orgs.views.outcome import report
from portal.confirm import Confirmation, render_confirmation
from portal.link_access import link_scope
from portal.models import User

NOTHING_STAGED = "No new certificate is waiting to be switched to."


@link_scope("sso")
def certificate_swap(request: HttpRequest, org_pk: int, setup_pk: int) -> HttpResponse:
    """GET: the confirmation; POST: the swap, then back to the setup."""
    setup = get_setup_for(request, org_pk, setup_pk)
    back = setup_url(setup)
    if not setup.staged_certificate:
        messages.error(request, NOTHING_STAGED)
        return redirect(back)
    if request.method != "POST":
        return render_confirmation(request, _confirmation(setup, back))
    done = (
        f"{setup.connection_name} now uses the new signing certificate. "
        "The change is on its way to Auth0."
    )
    report(
        request,
        lambda: certificate_watch.certificate_swap(actor=_person(request), setup=setup),
        done,
    )
    return redirect(back)


def _confirmation(setup: SsoSetup, back: str) -> Confirmation:
    staged = setup.staged_certificate
    old = certificate_in_use(setup)
    impact = []
    if staged.get("urgent"):
        impact.append(
            "Your identity provider no longer lists the certificate in use: it probably "
            "signs with the new one already, so sign-ins may be failing until you switch."
        )
    if old:
        impact.append(f"In use now: {_described(old)}")
    impact += [
        f"New: {_described(staged)}",
        f"From the moment the change reaches Auth0 (seconds), every sign-in through "
        f"{setup.connection_name} is checked against the new certificate: sign-ins your "
        "identity provider still signs with the old one fail.",
        "Check with whoever runs your identity provider that the new certificate is theirs.",
    ]
    return Confirmation(
        title=f"Switch {setup.connection_name} to the new signing certificate?",
        action_url=reverse(
            "idp_selfservice:certificate_swap", args=[setup.organization_id, setup.pk]
        ),
        button="Switch certificate",
        cancel_url=back,
        impact=impact,
        danger=False,
    )


def _described(certificate: dict[str, Any]) -> str:
    dates = f"valid until {_date(certificate.get('not_after'))}"
    starts = moment(certificate.get("not_before"))
    if starts is not None and starts > timezone.now():
        dates = f"valid from {format_date(starts)} until {_date(certificate.get('not_after'))}"
    return (
        f"{certificate.get('subject') or 'no subject'}, {dates}; SHA-256 fingerprint "
        f"{certificate.get('sha256_fingerprint', '')}."
    )


def _date(value: object) -> str:
    found = moment(value)
    return format_date(found) if found else "an unknown date"


def setup_url(setup: SsoSetup) -> str:
    return reverse("idp_selfservice:setup", args=[setup.organization_id, setup.pk])


def _person(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # get_setup_for: signed in
    return user


# --- staff: every organization's certificates ---------------------------------------------


@staff_required
def certificates(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = certificate_rows(now)
    counts = {
        status: sum(1 for row in rows if row["health"]["status"] == status)
        for status in ("expired", "expiring")
    }
    return render(
        request,
        "idp_selfservice/certificates.html",
        {
            "rows": rows,
            "expired_count": counts["expired"],
            "expiring_count": counts["expiring"],
            "staged_count": sum(1 for row in rows if row["health"]["staged"]),
            "failing_count": sum(1 for row in rows if row["setup"].metadata_check_error),
            "refresh_hours": round(float(settings.IDP_METADATA_REFRESH_SECONDS) / 3600, 1),
        },
    )


def certificate_rows(now: datetime) -> list[dict[str, Any]]:
    """Every live SAML-like setup, the soonest expiry first (those without a known expiry
    last). One query."""
    setups = (
        SsoSetup.objects.filter(state__in=LIVE_STATES)
        .select_related("organization")
        .order_by("organization__name", "connection_name")
    )
    rows: list[dict[str, Any]] = [
        {
            "setup": setup,
            "health": certificate_health(setup, now),
            "staged": _staged_row(setup),
            "setup_url": setup_url(setup),
        }
        for setup in setups
        if has_certificates(setup)
    ]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    rows.sort(key=lambda row: row["health"]["not_after"] or far)
    return rows


def _staged_row(setup: SsoSetup) -> dict[str, Any] | None:
    staged = setup.staged_certificate
    if not staged:
        return None
    return {
        "subject": staged.get("subject", ""),
        "fingerprint": staged.get("sha256_fingerprint", ""),
        "not_after": moment(staged.get("not_after")),
        "urgent": bool(staged.get("urgent")),
    }
