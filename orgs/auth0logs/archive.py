"""Pulling the tenant's Auth0 logs into `Auth0LogEntry`, and dropping what is too old.

How no event is lost or stored twice, whatever stops a run:

- A page is read with `from=<checkpoint>` and stored in one transaction together with the
  move of the checkpoint to the page's last log id. A run that dies mid-page (a crash, a
  time limit, a dropped connection) leaves neither, and the next run reads the same page.
- Rows are inserted with `ignore_conflicts` on the unique `log_id`, so a page that is
  stored again (a race, or rows left by a run that stored part of a page and no
  checkpoint) adds only what is missing.
- The checkpoint moves by a conditional UPDATE from the `from` the page was read with:
  if another run moved it meanwhile, this page is rolled back and this run stops (the
  other one is ahead), so the checkpoint never goes backwards.
- A 429 (Auth0's, or our limiter's refusal) or any other Auth0 error ends the run with the
  checkpoint where the last stored page left it; the next beat run carries on from there.

A run is a batch: it runs in the bulk lane, so its calls leave the rate limiter's
interactive reserve to people, and it stops after `AUTH0_LOG_ARCHIVE_MAX_PAGES` pages or
`TIME_BUDGET_SECONDS`, whichever comes first, so a big backlog never holds a worker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orgs.auth0.errors import Auth0Error, RateLimited
from orgs.auth0logs.entries import entry_from_event
from orgs.auth0logs.models import Auth0LogEntry, LogArchiveCheckpoint
from orgs.auth0logs.reader import PAGE_SIZE, logs_after, logs_http, oldest_logs
from orgs.sync.priority import bulk_priority

log = logging.getLogger(__name__)

# A run stops starting pages after this; one page then takes at most AUTH0_TIMEOUT plus
# the limiter's in-call wait, well inside the task's time limits.
TIME_BUDGET_SECONDS = 60.0
RETENTION_BATCH = 1000
# Batches one run deletes at most; a first run over a long backlog leaves the rest to the next.
MAX_RETENTION_BATCHES = 100

RATE_LIMITED, FAILED, BUDGET, OVERTAKEN = "rate_limited", "failed", "budget", "overtaken"


@dataclass
class ArchiveRun:
    """What one run did, and why it stopped ("" when it reached the end of the log)."""

    pages: int = 0
    stored: int = 0
    deleted: int = 0
    stopped_by: str = ""
    error: str = ""
    error_detail: str = ""

    @property
    def caught_up(self) -> bool:
        return not self.stopped_by


class CheckpointMoved(Exception):
    """Another run moved the checkpoint while this one read its page."""


def checkpoint() -> LogArchiveCheckpoint:
    row, _ = LogArchiveCheckpoint.objects.get_or_create(pk=LogArchiveCheckpoint.SINGLETON)
    return row


def archive_logs(
    *,
    max_pages: int | None = None,
    time_budget: float = TIME_BUDGET_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> ArchiveRun:
    """Store the tenant's log events after the checkpoint (the very first run: from the
    oldest one Auth0 still has), then delete entries older than the retention. Never raises
    for Auth0's failures: they end the run, are recorded on the checkpoint and logged."""
    pages = settings.AUTH0_LOG_ARCHIVE_MAX_PAGES if max_pages is None else max_pages
    run = ArchiveRun()
    after = checkpoint().last_log_id
    deadline = clock() + time_budget
    try:
        with bulk_priority(), logs_http() as http:
            _pull(http, after, run, max_pages=pages, deadline=deadline, clock=clock)
    except RateLimited as exc:
        run.stopped_by, run.error_detail = RATE_LIMITED, str(exc)
        run.error = "Auth0's rate limit was reached; the next run carries on from the same place."
    except Auth0Error as exc:
        run.stopped_by, run.error_detail = FAILED, str(exc)
        run.error = _failure_words(exc)
        log.warning("the Auth0 log archive stopped: %s", exc)
    run.deleted = delete_expired()
    _record(run)
    return run


def _pull(
    http: httpx.Client,
    after: str,
    run: ArchiveRun,
    *,
    max_pages: int,
    deadline: float,
    clock: Callable[[], float],
) -> None:
    while True:
        if run.pages >= max_pages or clock() >= deadline:
            run.stopped_by = BUDGET
            return
        seeding = not after
        events = oldest_logs(http) if seeding else logs_after(http, after, take=PAGE_SIZE)
        run.pages += 1
        if not events:
            return
        try:
            stored, after = store_page(events, read_after=after)
        except CheckpointMoved:
            run.stopped_by = OVERTAKEN
            return
        run.stored += stored
        # A short checkpoint page is the end of the log; the seed page (one event, read
        # only when there is no checkpoint yet) always goes on to checkpoint pages.
        if not seeding and len(events) < PAGE_SIZE:
            return


def store_page(events: list[dict[str, object]], *, read_after: str) -> tuple[int, str]:
    """Store one page and move the checkpoint from `read_after` to its last log id, in one
    transaction. Returns (rows added, the new checkpoint). Raises `CheckpointMoved` (and
    stores nothing) when the checkpoint is no longer `read_after`."""
    now = timezone.now()
    entries = [e for e in (entry_from_event(dict(ev), fetched_at=now) for ev in events) if e]
    if not entries:
        raise Auth0Error(
            "GET /logs answered events without a log id", code="unexpected_body", retryable=True
        )
    last = entries[-1].log_id
    with transaction.atomic():
        ids = [entry.log_id for entry in entries]
        present = set(Auth0LogEntry.objects.filter(log_id__in=ids).values_list("log_id", flat=True))
        missing = [entry for entry in entries if entry.log_id not in present]
        Auth0LogEntry.objects.bulk_create(missing, ignore_conflicts=True)
        moved = LogArchiveCheckpoint.objects.filter(
            pk=LogArchiveCheckpoint.SINGLETON, last_log_id=read_after
        ).update(last_log_id=last)
        if moved != 1:
            raise CheckpointMoved(read_after)
    return len(missing), last


def delete_expired(*, days: int | None = None, batch_size: int = RETENTION_BATCH) -> int:
    """Delete entries older than `days` (default `AUTH0_LOG_RETENTION_DAYS`; 0 keeps
    everything), a batch per statement so no transaction holds the table for long."""
    days = settings.AUTH0_LOG_RETENTION_DAYS if days is None else days
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    expired = Auth0LogEntry.objects.filter(date__lt=cutoff).order_by()
    deleted = 0
    for _ in range(MAX_RETENTION_BATCHES):
        ids = list(expired.values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        deleted += Auth0LogEntry.objects.filter(pk__in=ids).delete()[0]
    return deleted


def _record(run: ArchiveRun) -> None:
    # An UPDATE of these columns only: `last_log_id` belongs to store_page's conditional move.
    now = timezone.now()
    fields: dict[str, object] = {
        "last_run_at": now,
        "last_run_stored": run.stored,
        "last_error": run.error[:500],
        "last_error_detail": run.error_detail,
    }
    if run.caught_up:
        fields["caught_up_at"] = now
    LogArchiveCheckpoint.objects.filter(pk=LogArchiveCheckpoint.SINGLETON).update(**fields)


def _failure_words(exc: Auth0Error) -> str:
    if exc.status in (401, 403):
        return (
            "Auth0 refused to hand out the logs: check that the portal's Management API "
            "application is granted read:logs."
        )
    if exc.retryable:
        return "Auth0 could not be reached or failed; the next run tries again from the same place."
    return "Auth0 refused the log request; the next run tries again from the same place."
