"""How far a bulk run got, row by row and in total, in a constant number of queries.

A ready row's outcome comes from its organization's operations, worked out in SQL:
failed when the row was refused or any operation failed or was cancelled (the
organization will not be complete without a person); running when any runs; queued when
any waits or the row is not created yet; done when all succeeded (an organization whose
succeeded operations were archived has none left, and is done too). Rows with problems
in the file are skipped. One grouped query counts every run of a page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, Count, Exists, OuterRef, QuerySet, Value, When

from orgs.models import BulkRow, BulkRowStatus, BulkRun, BulkRunStatus, OpState, SyncOperation
from orgs.sync.describe import describe_operations, readable_error

QUEUED, RUNNING, DONE, FAILED, SKIPPED = "queued", "running", "done", "failed", "skipped"
# Finished without the organization being complete: a person has to look.
_BAD_STATES = (OpState.FAILED, OpState.CANCELLED)


@dataclass(frozen=True)
class RunCounts:
    queued: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def ready(self) -> int:
        """Rows to create (everything but the skipped ones)."""
        return self.queued + self.running + self.done + self.failed

    @property
    def finished(self) -> int:
        return self.done + self.failed

    @property
    def open(self) -> int:
        return self.queued + self.running


def rows_with_outcome() -> QuerySet[BulkRow]:
    """Bulk rows annotated with `outcome` (queued, running, done, failed, skipped)."""
    ops = SyncOperation.objects.filter(organization=OuterRef("organization"))
    return BulkRow.objects.annotate(
        outcome=Case(
            When(status=BulkRowStatus.INVALID, then=Value(SKIPPED)),
            When(status=BulkRowStatus.FAILED, then=Value(FAILED)),
            When(status=BulkRowStatus.READY, then=Value(QUEUED)),
            When(Exists(ops.filter(state__in=_BAD_STATES)), then=Value(FAILED)),
            When(Exists(ops.filter(state=OpState.RUNNING)), then=Value(RUNNING)),
            When(Exists(ops.filter(state=OpState.QUEUED)), then=Value(QUEUED)),
            default=Value(DONE),
        )
    )


def counts_for_runs(run_ids: Iterable[int]) -> dict[int, RunCounts]:
    """{run id: its counts}, for any number of runs in one query."""
    ids = list(run_ids)
    grouped: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    tallies = (
        rows_with_outcome()
        .filter(run_id__in=ids)
        .order_by()
        .values("run_id", "outcome")  # type: ignore[misc]  # an annotation, not a field
        .annotate(n=Count("pk"))
    )
    for tally in tallies:
        grouped[tally["run_id"]][tally["outcome"]] = tally["n"]
    return {pk: RunCounts(**counts) for pk, counts in grouped.items()}


def run_counts(run: BulkRun) -> RunCounts:
    return counts_for_runs([run.pk])[run.pk]


def is_live(run: BulkRun, counts: RunCounts) -> bool:
    """Still changing: rows being created, or operations not settled."""
    return run.status == BulkRunStatus.CREATING or (
        run.status == BulkRunStatus.CREATED and counts.open > 0
    )


def run_state(run: BulkRun, counts: RunCounts) -> str:
    """The run's state in words, for the list and the progress page."""
    if run.status != BulkRunStatus.CREATED:
        return run.get_status_display()
    if counts.open:
        return "Sending to Auth0"
    return "Finished with failures" if counts.failed else "Finished"


@dataclass(frozen=True)
class FailedRow:
    row: BulkRow
    reasons: list[str]


def failed_rows(run: BulkRun) -> list[FailedRow]:
    """The run's failed rows with why, in words: the services' refusal, or each failed
    operation of its organization and its readable reason."""
    rows = list(
        rows_with_outcome()
        .filter(run=run, outcome=FAILED)  # type: ignore[misc]  # an annotation
        .select_related("organization")
        .order_by("number")
    )
    return [FailedRow(row, reasons) for row, reasons in zip(rows, _reasons(rows), strict=True)]


def _reasons(rows: list[BulkRow]) -> list[list[str]]:
    org_ids = [row.organization_id for row in rows if row.organization_id]
    ops = list(
        SyncOperation.objects.filter(organization_id__in=org_ids, state__in=_BAD_STATES)
        .select_related("organization")
        .order_by("id")
    )
    words = describe_operations(ops)
    by_org: dict[int, list[str]] = {}
    for op in ops:
        reason = readable_error(op) or (
            "Cancelled." if op.state == OpState.CANCELLED else "It failed."
        )
        by_org.setdefault(op.organization_id or 0, []).append(f"{words[op.pk]}: {reason}")
    return [
        by_org.get(row.organization_id or 0, []) if row.organization_id else row_problems(row)
        for row in rows
    ]


def row_problems(row: BulkRow) -> list[str]:
    """A row's problems from the file, or the services' refusal, as sentences."""
    return [str(error.get("message", "")) for error in row.errors or []]
