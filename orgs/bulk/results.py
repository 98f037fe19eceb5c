"""The results CSV of a bulk run: one line per row of the uploaded file, what became of
it, where its organization is in the portal, and why it failed or was skipped."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.urls import reverse

from orgs.bulk.progress import FAILED, QUEUED, SKIPPED, failed_rows, rows_with_outcome
from orgs.models import BulkRun, BulkRunStatus
from portal.spreadsheets import spreadsheet_safe

RESULT_COLUMNS = ("row", "name", "display_name", "outcome", "organization_url", "errors")


def results_csv(run: BulkRun) -> str:
    """The whole run as CSV text (at most MAX_ROWS lines, so built in memory)."""
    reasons = {failed.row.pk: failed.reasons for failed in failed_rows(run)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RESULT_COLUMNS)
    rows = rows_with_outcome().filter(run=run).order_by("number")
    for row in rows:
        outcome = row.outcome  # type: ignore[attr-defined]
        if outcome == FAILED:
            errors = reasons.get(row.pk, [])
        elif outcome == SKIPPED:
            errors = [error_with_column(error) for error in row.errors]
        else:
            errors = []
        if run.status == BulkRunStatus.CHECKED and outcome == QUEUED:
            outcome = "not started"
        url = (
            settings.PORTAL_BASE_URL + reverse("orgs:detail", args=[row.organization_id])
            if row.organization_id
            else ""
        )
        cells = [row.number, row.name, row.display_name, outcome, url, "; ".join(errors)]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return out.getvalue()


def error_with_column(error: dict[str, str]) -> str:
    column, message = error.get("field", ""), error.get("message", "")
    return f"{column}: {message}" if column else message
