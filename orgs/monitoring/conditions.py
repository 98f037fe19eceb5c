"""The alert conditions beat evaluates every ALERT_EVALUATE_SECONDS (`evaluate_alerts`).

Each reads rows the portal already keeps and raises or clears its alerts
(`orgs.monitoring.alerts`); one failing condition never stops the others. Keys:

- `operations-failed`: operations that failed for good (count and the newest few);
- `backlog:<lane>`: the lane's oldest queued operation waited over ALERT_BACKLOG_SECONDS
  (operations waiting for a parent that has not succeeded are not counted: their parent
  is the one waiting or failed);
- `auth0-api-limit`: Auth0 logged `api_limit` events since the last evaluation (read
  from the log archive, orgs.auth0logs, when installed); clears after a quiet spell;
- `tenant-check:<name>`: a tenant check found a problem (an UNKNOWN answer changes
  nothing);
- `certificate:<setup id>`: an active SSO setup's signing certificate expires within
  ALERT_CERTIFICATE_DAYS, or has expired;
- `synthetic-signin`: the latest synthetic sign-in failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from idp_selfservice.certificate_watch import certificate_in_use, moment
from idp_selfservice.certificates import format_date
from idp_selfservice.models import SetupState, SsoSetup
from orgs.models import OpState, Priority, SyncOperation
from orgs.monitoring.alerts import clear_alert, raise_alert, settle_family
from orgs.monitoring.models import AlertCursor, CheckStatus, SyntheticSignIn, TenantCheckResult

log = logging.getLogger(__name__)

OPERATIONS_FAILED = "operations-failed"
BACKLOG = "backlog:"
API_LIMIT = "auth0-api-limit"
TENANT_CHECK = "tenant-check:"
CERTIFICATE = "certificate:"
SYNTHETIC_SIGNIN = "synthetic-signin"
# The api_limit alert clears once no new event has arrived for this long: rate limits
# come in bursts, and a resolved mail between two bursts a minute apart is noise.
API_LIMIT_QUIET = timedelta(minutes=30)
NEWEST_SHOWN = 5


def evaluate_alerts(*, now: datetime | None = None) -> list[str]:
    """Evaluate every condition; the keys firing afterwards."""
    moment_ = now or timezone.now()
    for condition in CONDITIONS:
        try:
            condition(moment_)
        except Exception:
            log.exception("alert condition %s could not be evaluated", condition.__name__)
    from orgs.monitoring.models import AlertState

    return list(AlertState.objects.filter(firing=True).values_list("key", flat=True))


def operations_failed(now: datetime) -> None:
    failed = SyncOperation.objects.filter(state=OpState.FAILED)
    count = failed.count()
    if count == 0:
        clear_alert(OPERATIONS_FAILED, now=now)
        return
    newest = failed.select_related("organization").order_by("-finished_at", "-id")[:NEWEST_SHOWN]
    raise_alert(
        OPERATIONS_FAILED,
        f"{count} operation{'s' if count != 1 else ''} failed for good and "
        f"wait{'' if count != 1 else 's'} for a person",
        {
            "failed": count,
            "newest": [
                {
                    "id": op.pk,
                    "change": op.kind,
                    "organization": op.organization.name if op.organization else "-",
                    "error": op.last_error_code or "error",
                }
                for op in newest
            ],
            "link": "/orgs/operations/?state=failed",
        },
        what_to_do="Open Operations filtered on Failed, read each error and fix its cause "
        "(docs/operations.md), then Retry, or Cancel what is no longer wanted.",
        now=now,
    )


def backlog(now: datetime) -> None:
    limit = timedelta(seconds=settings.ALERT_BACKLOG_SECONDS)
    queued = SyncOperation.objects.filter(state=OpState.QUEUED).filter(
        Q(depends_on__isnull=True) | Q(depends_on__state=OpState.SUCCEEDED)
    )
    firing: dict[str, tuple[str, dict[str, Any], str]] = {}
    for lane, label in Priority.choices:
        in_lane = queued.filter(priority=lane)
        oldest = in_lane.order_by("created_at", "id").first()
        if oldest is None or now - oldest.created_at <= limit:
            continue
        minutes = int((now - oldest.created_at).total_seconds() // 60)
        firing[f"{BACKLOG}{lane}"] = (
            f"The {label.lower()} lane is behind: its oldest queued operation has waited "
            f"{minutes} minutes",
            {
                "queued": in_lane.count(),
                "oldest": {"id": oldest.pk, "change": oldest.kind, "waited_minutes": minutes},
                "link": f"/orgs/operations/?state=queued&lane={lane}",
            },
            f"Check the {label.lower()} workers are running and consuming their queue "
            f"({'auth0' if lane == Priority.INTERACTIVE else 'auth0-bulk'}), and whether "
            "Auth0 is rate-limiting the portal (429s on the dashboard). Operations retrying "
            "after errors show their last error on the Operations page.",
        )
    settle_family(BACKLOG, firing, now=now)


def auth0_api_limit(now: datetime) -> None:
    if not apps.is_installed("orgs.auth0logs"):
        log.info("api_limit alert skipped: the Auth0 log archive (orgs.auth0logs) is off")
        return
    from orgs.auth0logs.models import Auth0LogEntry

    cursor, created = AlertCursor.objects.get_or_create(name=API_LIMIT)
    newest_pk = Auth0LogEntry.objects.aggregate(top=Max("pk"))["top"] or 0
    if created:
        # "Since the last evaluation": the first one only sets the starting point.
        AlertCursor.objects.filter(pk=cursor.pk).update(position=newest_pk)
        return
    fresh = Auth0LogEntry.objects.filter(
        pk__gt=cursor.position, pk__lte=newest_pk, type="api_limit"
    )
    count = fresh.count()
    if count:
        _raise_api_limit(fresh, count, now)
        AlertCursor.objects.filter(pk=cursor.pk).update(position=newest_pk, last_seen_at=now)
        return
    AlertCursor.objects.filter(pk=cursor.pk).update(position=newest_pk)
    if cursor.last_seen_at is None or now - cursor.last_seen_at >= API_LIMIT_QUIET:
        clear_alert(API_LIMIT, now=now)


def _raise_api_limit(fresh: Any, count: int, now: datetime) -> None:
    routes = (
        fresh.values("route")
        .annotate(events=Count("pk"))
        .order_by("-events", "route")[:NEWEST_SHOWN]
    )
    raise_alert(
        API_LIMIT,
        f"Auth0 refused {count} call{'s' if count != 1 else ''} for going over a rate limit "
        "(api_limit)",
        {
            "new_events": count,
            "busiest_routes": [
                {"route": r["route"] or "(not a Management API route)", "events": r["events"]}
                for r in routes
            ],
        },
        what_to_do="The portal waits and retries on its own; if it goes on, look at the busiest "
        "routes and clients in the log scan: a bulk job, a reconcile or another application "
        "on the tenant. Lower AUTH0_RATE_OVERRIDES or ask Auth0 for higher limits.",
        now=now,
    )


def tenant_checks(now: datetime) -> None:
    for result in TenantCheckResult.objects.all():
        key = f"{TENANT_CHECK}{result.name}"
        if result.status == CheckStatus.PROBLEM:
            raise_alert(
                key,
                f"Tenant check failing: {result.title}",
                {"problem": result.problem, "checked_at": result.checked_at.isoformat()},
                what_to_do=result.what_to_do,
                now=now,
            )
        elif result.status == CheckStatus.OK:
            clear_alert(key, now=now)


def certificates(now: datetime) -> None:
    horizon = now + timedelta(days=settings.ALERT_CERTIFICATE_DAYS)
    firing: dict[str, tuple[str, dict[str, Any], str]] = {}
    active = SsoSetup.objects.filter(state=SetupState.ACTIVE).select_related("organization")
    for setup in active:
        cert = certificate_in_use(setup)
        until = moment(cert.get("not_after")) if cert else None
        if until is None or until > horizon:
            continue
        where = f"{setup.connection_name} ({setup.organization.name})"
        when = (
            f"expired on {format_date(until)}"
            if until <= now
            else f"expires in {(until - now).days} days, on {format_date(until)}"
        )
        firing[f"{CERTIFICATE}{setup.pk}"] = (
            f"The SAML signing certificate of {where} {when}",
            {
                "connection": setup.connection_name,
                "organization": setup.organization.name,
                "not_after": until.isoformat(),
                "link": f"/sso/{setup.organization_id}/",
            },
            "The organization's admins were emailed. They upload the identity provider's new "
            "certificate (or confirm the one the portal found at the metadata URL) on their "
            "SSO page; after expiry their sign-ins fail.",
        )
    settle_family(CERTIFICATE, firing, now=now)


def synthetic_signin(now: datetime) -> None:
    latest = SyntheticSignIn.objects.first()
    if not settings.SYNTHETIC_SIGNIN_ENABLED or latest is None or latest.ok:
        clear_alert(SYNTHETIC_SIGNIN, now=now)
        return
    last_ok = SyntheticSignIn.objects.filter(ok=True).first()
    failing = SyntheticSignIn.objects.filter(ok=False)
    if last_ok is not None:
        failing = failing.filter(started_at__gt=last_ok.started_at)
    raise_alert(
        SYNTHETIC_SIGNIN,
        "The synthetic sign-in is failing: the test user cannot sign in to the tenant",
        {
            "reason": latest.error,
            "code": latest.error_code,
            "failed_attempts": failing.count(),
            "last_success": last_ok.started_at.isoformat() if last_ok else "none kept",
        },
        what_to_do="Try signing in yourself. If people cannot either, check Auth0's status "
        "page and the tenant's logs; if only the test fails, the reason says which setting "
        "(SYNTHETIC_SIGNIN_*) or which part of the test user or application to fix.",
        now=now,
    )


CONDITIONS: tuple[Callable[[datetime], None], ...] = (
    operations_failed,
    backlog,
    auth0_api_limit,
    tenant_checks,
    certificates,
    synthetic_signin,
)
