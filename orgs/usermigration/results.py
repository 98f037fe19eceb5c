"""A migration's results CSV: one line per row of the file, what became of it and why."""

from __future__ import annotations

from collections.abc import Iterator

from orgs.bulk.results import error_with_column
from orgs.usermigration.models import MigrationRow, MigrationStatus, RowStatus, UserMigration
from portal.spreadsheets import csv_lines

RESULT_COLUMNS = (
    "row", "email", "name", "outcome", "auth0_user_id", "member", "password_link", "reasons",
)  # fmt: skip
_ROW_CHUNK = 2_000


def results_lines(migration: UserMigration) -> Iterator[str]:
    rows = migration.rows.order_by("number").iterator(chunk_size=_ROW_CHUNK)
    return csv_lines(RESULT_COLUMNS, (_cells(migration, row) for row in rows))


def outcome_words(migration: UserMigration, row: MigrationRow) -> str:
    if row.status == RowStatus.INVALID:
        return "not sent (problems in the file)"
    if row.status == RowStatus.READY:
        return "not sent" if migration.status == MigrationStatus.DISCARDED else "ready"
    return {
        RowStatus.SENT: "being imported",
        RowStatus.IMPORTED: "imported",
        RowStatus.UPDATED: "updated",
        RowStatus.FAILED: "not imported",
    }[RowStatus(row.status)]


def _cells(migration: UserMigration, row: MigrationRow) -> list[object]:
    if row.link_mailed_at:
        link = "sent"
    elif row.link_mail_started_at:
        link = "may have been sent"
    elif row.needs_password_link and row.status == RowStatus.IMPORTED:
        link = "to send"
    else:
        link = ""
    return [
        row.number,
        row.email,
        row.name,
        outcome_words(migration, row),
        row.auth0_user_id,
        "yes" if row.member_added_at else "",
        link,
        "; ".join(error_with_column(error) for error in row.errors),
    ]
