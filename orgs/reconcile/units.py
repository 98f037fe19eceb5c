"""The units of reconcile work, each bulk priority: one organization (with the connections
it owns), or one shared connection. A Celery task runs one unit (`orgs.tasks`); the
management command runs them all in turn (`reconcile`). Same functions either way."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import models

from orgs.auth0.errors import RateLimited
from orgs.models import Connection, Organization, OrgStatus
from orgs.reconcile.checks import check_connection_clients, check_organization
from orgs.reconcile.report import ReconcileReport
from orgs.sync.priority import bulk_priority

# A manual run waits out this many refusals of one unit in a row before it gives up.
MAX_WAITS = 10


def live_organizations() -> models.QuerySet[Organization]:
    """Organizations that exist in Auth0 and are meant to: pending ones are still being
    created, deleting and deleted ones are going away."""
    found = Organization.objects.filter(status__in=[OrgStatus.ACTIVE, OrgStatus.SUSPENDED])
    return found.exclude(auth0_id=None)


def _live_connections() -> models.QuerySet[Connection]:
    return Connection.objects.filter(deleted_at=None).exclude(auth0_id=None)


def shared_connections() -> models.QuerySet[Connection]:
    """Connections no organization owns; owned ones are checked with their organization."""
    return _live_connections().filter(organization=None)


@contextmanager
def _refusal_ends_the_unit(report: ReconcileReport) -> Iterator[None]:
    """Run as bulk work; a rate-limit refusal stops the unit with `report.retry_at` set.
    What it found before is already marked (`ReconcileReport.add`), so nothing is lost."""
    report.retry_at = None
    with bulk_priority():
        try:
            yield
        except RateLimited as exc:
            report.retry_at = exc.retry_at if exc.retry_at is not None else time.time()


def reconcile_organization(
    org_id: int, *, fix: bool = False, report: ReconcileReport | None = None
) -> ReconcileReport:
    """Check one organization and the connections it owns."""
    report = report if report is not None else ReconcileReport(fix=fix)
    org = live_organizations().filter(pk=org_id).first()
    if org is None:  # deleted, or not created yet, since it was queued
        return report
    owned = list(_live_connections().filter(organization=org))
    with _refusal_ends_the_unit(report):
        check_organization(org, report)
        for connection in owned:
            check_connection_clients(connection, report)
        report.checked += 1 + len(owned)  # only once the unit is done, not per attempt
    return report


def reconcile_connection(
    connection_id: int, *, fix: bool = False, report: ReconcileReport | None = None
) -> ReconcileReport:
    """Check which applications one connection serves."""
    report = report if report is not None else ReconcileReport(fix=fix)
    connection = _live_connections().filter(pk=connection_id).first()
    if connection is None:
        return report
    with _refusal_ends_the_unit(report):
        check_connection_clients(connection, report)
        report.checked += 1
    return report


def reconcile(*, organization: Organization | None = None, fix: bool = False) -> ReconcileReport:
    """Every unit in turn, in this process (the management command, tests). A rate-limit
    refusal is waited out and the unit run again; other Auth0 errors propagate."""
    report = ReconcileReport(fix=fix)
    orgs = live_organizations()
    if organization is not None:
        orgs = orgs.filter(pk=organization.pk)
    for org_id in orgs.order_by("pk").values_list("pk", flat=True):
        _waiting_out_refusals(reconcile_organization, org_id, report)
    if organization is None:
        for connection_id in shared_connections().order_by("pk").values_list("pk", flat=True):
            _waiting_out_refusals(reconcile_connection, connection_id, report)
    report.retry_at = None
    return report


Unit = Callable[..., ReconcileReport]


def _waiting_out_refusals(unit: Unit, target_id: int, report: ReconcileReport) -> None:
    retry_at = time.time()
    for _ in range(MAX_WAITS):
        unit(target_id, fix=report.fix, report=report)
        if report.retry_at is None:
            return
        retry_at = report.retry_at
        time.sleep(max(0.0, retry_at - time.time()))
    raise RateLimited(f"reconcile was refused {MAX_WAITS} times in a row", retry_at=retry_at)
