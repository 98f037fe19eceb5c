"""Metrics read from the database at scrape time (one collector, a few grouped queries).

Values that live in the database are not counted by a process (a process restarting would
lose them, and several would double them); they are read when Prometheus scrapes:

- `portal_sync_operations{kind,lane,state}` for the unsettled states (queued, running,
  failed) and `portal_sync_oldest_queued_seconds{lane}`: one grouped query over the
  `state` index. Succeeded and cancelled operations are history (archived after
  `SYNC_ARCHIVE_DAYS`), so they are not counted at every scrape;
- `portal_signups{state}`: the staff list's states (`orgs.signup.staff_filters`), one query;
- `portal_idp_certificate_expiry_seconds{organization,connection}`: seconds until the
  signing certificate in use expires (negative once expired), active SSO setups only, so
  the series are as many as live connections, not every draft ever made.

A part whose query fails is left out of the scrape and `portal_metrics_collector_up` says
which, so a database hiccup never turns the whole scrape (and the process metrics) into
an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)


def sync_operation_metrics(now: datetime) -> list[Metric]:
    from orgs.models import SyncOperation
    from orgs.models.sync import UNSETTLED_STATES, OpState, Priority

    operations = GaugeMetricFamily(
        "portal_sync_operations",
        "Unsettled sync operations (queued, running, failed), by kind, lane and state.",
        labels=["kind", "lane", "state"],
    )
    oldest = GaugeMetricFamily(
        "portal_sync_oldest_queued_seconds",
        "Age of the oldest queued sync operation, by lane (0 when none is queued).",
        labels=["lane"],
    )
    rows = (
        SyncOperation.objects.filter(state__in=UNSETTLED_STATES)
        .values("kind", "priority", "state")
        .annotate(count=Count("pk"), first=Min("created_at"))
        .order_by()
    )
    first_queued: dict[str, datetime] = {}
    for row in rows:
        operations.add_metric([row["kind"], row["priority"], row["state"]], row["count"])
        lane = row["priority"]
        if row["state"] == OpState.QUEUED and (
            lane not in first_queued or row["first"] < first_queued[lane]
        ):
            first_queued[lane] = row["first"]
    for lane in Priority.values:  # every lane, so an alert always has a series
        since = first_queued.get(lane)
        oldest.add_metric([lane], max(0.0, (now - since).total_seconds()) if since else 0.0)
    return [operations, oldest]


def signup_metrics(now: datetime) -> list[Metric]:
    from orgs.signup.models import Signup
    from orgs.signup.staff_filters import ALL, state_counts

    signups = GaugeMetricFamily(
        "portal_signups", "Self sign-ups by the staff list's state.", labels=["state"]
    )
    for state, count in state_counts(Signup.objects.all()).items():
        if state != ALL:
            signups.add_metric([state], count)
    return [signups]


def certificate_metrics(now: datetime) -> list[Metric]:
    from idp_selfservice.certificate_watch import certificate_in_use, moment
    from idp_selfservice.models import SetupState, SsoSetup

    expiry = GaugeMetricFamily(
        "portal_idp_certificate_expiry_seconds",
        "Seconds until the signing certificate in use expires (active SSO setups).",
        labels=["organization", "connection"],
    )
    active = SsoSetup.objects.filter(state=SetupState.ACTIVE).select_related("organization")
    for setup in active:
        certificate = certificate_in_use(setup)
        until = moment(certificate.get("not_after")) if certificate else None
        if until is not None:
            labels = [setup.organization.name, setup.connection_name]
            expiry.add_metric(labels, (until - now).total_seconds())
    return [expiry]


PARTS: dict[str, Callable[[datetime], list[Metric]]] = {
    "sync_operations": sync_operation_metrics,
    "signups": signup_metrics,
    "certificates": certificate_metrics,
}


class DatabaseCollector(Collector):
    """Every database-derived family, computed at `collect()` (once per scrape)."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        up = GaugeMetricFamily(
            "portal_metrics_collector_up",
            "1 when this part of the database metrics was read at this scrape, else 0.",
            labels=["collector"],
        )
        for name, part in PARTS.items():
            try:
                families = part(now)
            except Exception:  # logged with its traceback; the rest of the scrape goes on
                log.exception("metrics collector %s failed", name)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up
