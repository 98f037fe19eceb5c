"""Beat's care of sign-ups (orgs.signup.tasks.watch_signups, every minute): abandon the
unverified ones past their time, and look after those whose setup failed for good.

A failed setup retries on its own a few times, spaced out (SIGNUP_AUTO_RETRIES, every
SIGNUP_AUTO_RETRY_SECONDS), and staff are told once per failure, then told again when it
clears, so a stuck sign-up is never silent and a flapping one never floods the inbox. The
person is never asked to sign up again: their page says the team is on it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orgs.models import OpState, SyncOperation
from orgs.services.errors import ServiceError
from orgs.services.sync_ops import sync_operation_retry
from orgs.signup.alerts import alert_staff
from orgs.signup.models import Signup, SignupStatus
from orgs.signup.services import expire_unverified

log = logging.getLogger(__name__)


@dataclass
class WatchReport:
    expired: int = 0
    alerted: int = 0
    retried: int = 0
    resolved: int = 0


def watch_signups(*, now: datetime | None = None) -> WatchReport:
    moment = now or timezone.now()
    report = WatchReport(expired=expire_unverified(now=moment))
    watched = Signup.objects.filter(status=SignupStatus.PROVISIONED).filter(
        Q(organization__failed_operations__gt=0) | Q(failure_alerted_at__isnull=False)
    )
    for signup in watched.select_related("organization"):
        _look_after(signup, moment, report)
    return report


def _look_after(signup: Signup, moment: datetime, report: WatchReport) -> None:
    organization = signup.organization
    if organization is None:
        return
    failed = list(organization.sync_operations.filter(state=OpState.FAILED))
    if not failed:
        if organization.open_operations == 0 and signup.failure_alerted_at is not None:
            Signup.objects.filter(pk=signup.pk).update(failure_alerted_at=None)
            alert_staff("signup_resolved", {"signup": signup})
            report.resolved += 1
        return
    if signup.failure_alerted_at is None:
        Signup.objects.filter(pk=signup.pk).update(failure_alerted_at=moment)
        alert_staff("signup_failed", {"signup": signup, "operations": failed})
        report.alerted += 1
    last_failure = max((op.finished_at for op in failed if op.finished_at), default=None)
    if _retry_due(signup, last_failure, moment):
        report.retried += _retry(signup, failed)


def _retry_due(signup: Signup, last_failure: datetime | None, moment: datetime) -> bool:
    if signup.auto_retries >= settings.SIGNUP_AUTO_RETRIES:
        return False
    wait = timedelta(seconds=settings.SIGNUP_AUTO_RETRY_SECONDS)
    return last_failure is None or moment - last_failure >= wait


def _retry(signup: Signup, operations: list[SyncOperation]) -> int:
    retried = 0
    with transaction.atomic():
        Signup.objects.filter(pk=signup.pk).update(auto_retries=signup.auto_retries + 1)
        for operation in operations:
            try:
                sync_operation_retry(actor=None, operation=operation)
                retried += 1
            except ServiceError as exc:  # it changed state meanwhile: nothing to retry
                log.info("sign-up %s: operation %s not retried: %s", signup.pk, operation.pk, exc)
    return retried
