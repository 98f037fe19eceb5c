"""Emails to the staff addresses on call (STAFF_ALERT_EMAILS) about sign-ups: one that waits
for approval, one whose setup failed for good, and the all-clear once it is fixed."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from orgs.emails import render_email, send_telling_apart

log = logging.getLogger(__name__)


def alert_staff(template: str, context: dict[str, Any]) -> int:
    """Send `template` (templates/emails/<template>/) to every alert address; the number
    sent. A failed send is logged and does not stop the others."""
    recipients = settings.STAFF_ALERT_EMAILS
    if not recipients:
        log.warning("no STAFF_ALERT_EMAILS: staff alert %s not sent", template)
        return 0
    email = render_email(template, {**context, "portal_url": settings.PORTAL_BASE_URL})
    sent = 0
    for address in recipients:
        try:
            send_telling_apart(email.to(address))
            sent += 1
        except Exception:
            log.exception("staff alert %s to one address failed", template)
    return sent
