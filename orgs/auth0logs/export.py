"""The archive's exports: the searched entries as CSV or as JSON lines, streamed.

Both read the rows in chunks (`iterator`), so an export of a year of logs never sits in
memory. JSON lines carry each event whole, as Auth0 gave it; CSV the searchable columns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from orgs.auth0logs.models import Auth0LogEntry
from portal.spreadsheets import csv_lines as spreadsheet_csv_lines

CSV_COLUMNS = (
    "log_id",
    "date",
    "type",
    "description",
    "client_id",
    "client_name",
    "connection",
    "user_id",
    "user_name",
    "ip",
    "route",
)
CHUNK = 2000


def csv_lines(entries: QuerySet[Auth0LogEntry]) -> Iterator[str]:
    """User names and descriptions come from the outside: cells a spreadsheet would run as
    formulas are quoted (portal.spreadsheets)."""
    rows = _rows(entries.values_list(*CSV_COLUMNS))
    return spreadsheet_csv_lines(CSV_COLUMNS, ([_cell(value) for value in row] for row in rows))


def json_lines(entries: QuerySet[Auth0LogEntry]) -> Iterator[str]:
    for raw in _rows(entries.values_list("raw", flat=True)):
        yield json.dumps(raw, separators=(",", ":"), sort_keys=True) + "\n"


def _rows(values: QuerySet[Any, Any]) -> Iterable[Any]:
    return values.iterator(chunk_size=CHUNK)


def _cell(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
