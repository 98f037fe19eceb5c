"""Alerts without storms: one message when a condition starts firing, silence while it
keeps firing, one "resolved" when it clears, and a new message if it fires again.

`raise_alert(key, summary, details)` and `clear_alert(key)` are all a condition needs;
each condition's state is one `AlertState` row, changed under its row lock so two
evaluations at once never both notify. Messages go to every `STAFF_ALERT_EMAILS` address
(templates/emails/alert_firing/ and alert_resolved/) and, when `ALERT_WEBHOOK_URL` is
set, as a JSON POST there. A firing message nobody received (every channel failed) is
tried again at the next evaluation; with no channel configured it is logged once.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from orgs.monitoring.models import AlertState
from orgs.signup.alerts import alert_staff

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 5.0
FIRING, RESOLVED = "firing", "resolved"


def raise_alert(
    key: str,
    summary: str,
    details: dict[str, Any] | None = None,
    *,
    what_to_do: str = "",
    now: datetime | None = None,
) -> bool:
    """Condition `key` is firing. Staff are told the first time (True), not again until
    it has cleared; summary and details are kept current either way."""
    moment = now or timezone.now()
    with transaction.atomic():
        state, _ = AlertState.objects.select_for_update().get_or_create(key=key)
        if not state.firing:
            state.firing, state.first_fired_at, state.resolved_at = True, moment, None
            state.last_notified_at = None
        state.summary, state.what_to_do, state.details = summary, what_to_do, details or {}
        notify = state.last_notified_at is None
        if notify:
            state.last_notified_at = moment  # claimed under the lock: nobody else sends it
        state.save()
    if not notify:
        return False
    if deliver(FIRING, state):
        return True
    # Nobody got it: give the claim back so the next evaluation tries again.
    AlertState.objects.filter(pk=state.pk, last_notified_at=moment).update(last_notified_at=None)
    return False


def clear_alert(key: str, *, now: datetime | None = None) -> bool:
    """Condition `key` is fine. If it was firing and staff had been told, they get one
    "resolved" (True); otherwise nothing is sent."""
    moment = now or timezone.now()
    with transaction.atomic():
        state = AlertState.objects.select_for_update().filter(key=key, firing=True).first()
        if state is None:
            return False
        told = state.last_notified_at is not None
        state.firing, state.resolved_at = False, moment
        state.save(update_fields=["firing", "resolved_at", "updated_at"])
    if told:
        deliver(RESOLVED, state)
    return told


def settle_family(
    prefix: str, firing: dict[str, tuple[str, dict[str, Any], str]], *, now: datetime
) -> None:
    """A family of conditions keyed `<prefix><thing>` (one per lane, certificate, check):
    raise those in `firing` ({key: (summary, details, what to do)}), clear every other
    firing key of the family (its thing is fine now, or gone)."""
    for key, (summary, details, what_to_do) in firing.items():
        raise_alert(key, summary, details, what_to_do=what_to_do, now=now)
    stale = AlertState.objects.filter(key__startswith=prefix, firing=True).exclude(
        key__in=list(firing)
    )
    for key in stale.values_list("key", flat=True):
        clear_alert(key, now=now)


# --- channels --------------------------------------------------------------------------------


def deliver(status: str, state: AlertState) -> bool:
    """Send one firing or resolved message on every configured channel; whether anyone
    got it (True also when no channel is configured: nothing to try again)."""
    emails, webhook = bool(settings.STAFF_ALERT_EMAILS), bool(settings.ALERT_WEBHOOK_URL)
    if not emails and not webhook:
        log.warning(
            "alert %s %s, but neither STAFF_ALERT_EMAILS nor ALERT_WEBHOOK_URL is set",
            state.key,
            status,
        )
        return True
    delivered = False
    if emails:
        template = "alert_firing" if status == FIRING else "alert_resolved"
        delivered = alert_staff(template, email_context(state)) > 0
    if webhook:
        delivered = post_webhook(webhook_payload(status, state)) or delivered
    return delivered


def email_context(state: AlertState) -> dict[str, Any]:
    return {
        "alert": state,
        "detail_lines": detail_lines(state.details),
        "link": str(state.details.get("link", "")),
    }


def detail_lines(details: dict[str, Any]) -> list[str]:
    """The details as short lines for an email: `name: value`, lists one item a line."""
    lines: list[str] = []
    for name, value in details.items():
        if name == "link":
            continue
        label = name.replace("_", " ")
        if isinstance(value, list):
            lines.append(f"{label}:")
            lines += [f"  - {_plain(item)}" for item in value]
        else:
            lines.append(f"{label}: {_plain(value)}")
    return lines


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items())
    return str(value)


def webhook_payload(status: str, state: AlertState) -> dict[str, Any]:
    link = str(state.details.get("link", ""))
    return {
        "status": status,
        "key": state.key,
        "summary": state.summary,
        "what_to_do": state.what_to_do,
        "details": state.details,
        "first_fired_at": state.first_fired_at,
        "resolved_at": state.resolved_at,
        "url": f"{settings.PORTAL_BASE_URL}{link}" if link else settings.PORTAL_BASE_URL,
    }


def post_webhook(payload: dict[str, Any]) -> bool:
    """POST the alert as JSON to ALERT_WEBHOOK_URL; False (logged, never raised) when it
    did not get a 2xx. The URL is never logged: webhook URLs often carry their secret."""
    body = json.dumps(payload, cls=DjangoJSONEncoder)
    headers = {"Content-Type": "application/json"}
    try:
        with httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False) as client:
            response = client.post(settings.ALERT_WEBHOOK_URL, content=body, headers=headers)
    except httpx.HTTPError as exc:
        # Only the error's type: httpx's messages can include the URL.
        log.warning("alert webhook failed: %s", type(exc).__name__)
        return False
    if not response.is_success:
        log.warning("alert webhook answered HTTP %d", response.status_code)
        return False
    return True
