"""Emails the certificate watch sends to an organization's admins.

Each admin gets a message of their own (no admin sees another's address). A failure is
raised as it came: the watch records a notice or a staged certificate in the same
transaction as its email, so a mail server that refuses leaves nothing recorded and the
next run tries again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.urls import reverse

from idp_selfservice.certificates import format_date
from idp_selfservice.models import SsoSetup
from orgs.emails import render_email
from orgs.models import Member, Organization
from portal.access import ADMIN_ROLE

log = logging.getLogger(__name__)


def organization_admin_emails(organization: Organization) -> list[str]:
    """The addresses of the organization's admins: members holding the org-admin role,
    not being removed, with an email."""
    found = (
        Member.objects.filter(organization=organization, roles__name=ADMIN_ROLE, removing=False)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted({email.strip().lower() for email in found if email.strip()})


def send_certificate_staged(
    setup: SsoSetup,
    *,
    in_use: dict[str, Any] | None,
    staged: dict[str, Any],
    urgent: bool,
    auto: bool,
) -> int:
    """The IdP published a new signing certificate: confirm the switch (urgent when the
    one in use is no longer listed). Returns how many were sent."""
    context = {"in_use": shown(in_use), "new": shown(staged), "urgent": urgent, "auto": auto}
    return _send(setup, "certificate_staged", context, "idp_selfservice:certificate_swap")


def send_certificate_expiring(
    setup: SsoSetup, *, certificate: dict[str, Any], threshold: int, days_left: int
) -> int:
    context = {"certificate": shown(certificate), "threshold": threshold, "days_left": days_left}
    return _send(setup, "certificate_expiring", context, "idp_selfservice:setup")


def send_certificate_swapped(
    setup: SsoSetup, *, old: dict[str, Any] | None, new: dict[str, Any]
) -> int:
    """The "auto" rollover switched to the new certificate."""
    context = {"old": shown(old), "new": shown(new)}
    return _send(setup, "certificate_swapped", context, "idp_selfservice:setup")


def shown(certificate: dict[str, Any] | None) -> dict[str, str] | None:
    """A stored certificate dict as an email shows it: dates as "3 Mar 2026"."""
    if not certificate:
        return None
    return {
        "subject": str(certificate.get("subject", "")),
        "fingerprint": str(certificate.get("sha256_fingerprint", "")),
        "valid_from": _date(certificate.get("not_before")),
        "valid_until": _date(certificate.get("not_after")),
    }


def _date(value: object) -> str:
    try:
        return format_date(datetime.fromisoformat(str(value)))
    except ValueError:
        return "an unknown date"


def _send(setup: SsoSetup, template: str, extra: dict[str, Any], url_name: str) -> int:
    recipients = organization_admin_emails(setup.organization)
    if not recipients:
        log.warning("no admin with an email to tell about setup %s (%s)", setup.pk, template)
        return 0
    context = {
        "setup": setup,
        "organization": setup.organization,
        "connection_name": setup.connection_name,
        "portal_url": _portal_url(setup, url_name),
        **extra,
    }
    rendered = render_email(template, context)
    return get_connection().send_messages([rendered.to(a) for a in recipients]) or 0


def _portal_url(setup: SsoSetup, url_name: str) -> str:
    return settings.PORTAL_BASE_URL + reverse(url_name, args=[setup.organization_id, setup.pk])
