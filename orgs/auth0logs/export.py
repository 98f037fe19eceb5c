"""The archive's exports: the searched entries as CSV or as JSON lines, streamed.

Both read the rows in chunks (`iterator`), so an export of a year of logs never sits in
memory. JSON lines carry each event whole, as Auth0 gave it; CSV the searchable columns.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from orgs.auth0logs.models import Auth0LogEntry

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
# A cell starting with one of these is a formula to a spreadsheet; user names and
# descriptions come from the outside, so such cells are quoted with a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like object that hands back what csv.writer writes, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_lines(entries: QuerySet[Auth0LogEntry]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    for row in _rows(entries.values_list(*CSV_COLUMNS)):
        yield writer.writerow([_cell(value) for value in row])


def json_lines(entries: QuerySet[Auth0LogEntry]) -> Iterator[str]:
    for raw in _rows(entries.values_list("raw", flat=True)):
        yield json.dumps(raw, separators=(",", ":"), sort_keys=True) + "\n"


def _rows(values: QuerySet[Any, Any]) -> Iterable[Any]:
    return values.iterator(chunk_size=CHUNK)


def _cell(value: Any) -> str:
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text
