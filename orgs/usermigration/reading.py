"""Reading an uploaded users file: Auth0's bulk-import JSON, or a CSV to be mapped.

Nothing here judges the users themselves (that is `checks`): a file that cannot be read
at all raises FileRefused with plain words for the person, and every user that could be
read comes back as a SourceUser, its line (CSV) or position (JSON) kept for the report.
A CSV is read with the organizations importer's decoding and record reading
(`orgs.bulk.csvfile`), so both uploads understand the same Excel exports.
"""

from __future__ import annotations

import codecs
import csv
import json
from dataclasses import dataclass, field
from typing import Any

from orgs.bulk.csvfile import csv_records, decode_text, sniff_delimiter
from orgs.services.errors import ServiceError

MAX_USERS = 100_000
MAX_FILE_BYTES = 100 * 1024 * 1024  # the upload itself

_DELIMITERS = ",;\t"
_EXCEL_MAGIC = b"PK\x03\x04"  # .xlsx (and any zip)


class FileRefused(Exception):
    """The file cannot be read at all; `message` says why, in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SourceUser:
    """One user as read from the file, before any check.

    `problems` holds what reading already found, as (field, message): a field of "" means
    the whole user is unusable (a JSON element that is not an object) and the checks report
    only that; a named field (say "app_metadata" whose cell is not valid JSON) is reported
    beside whatever else the checks find.
    """

    number: int  # the CSV line (the header is line 1), or the 1-based position in the array
    record: dict[str, Any]
    problems: tuple[tuple[str, str], ...] = ()

    @property
    def problem(self) -> str:
        """Every reading problem in one sentence ("" when there is none)."""
        return " ".join(message for _, message in self.problems)


@dataclass(frozen=True)
class CsvFile:
    headers: list[str]
    rows: list[dict[str, str]]  # keyed by header, cells as written
    # The line each row starts on; empty means row i is line i + 2 (no blank or multi-line rows).
    line_numbers: list[int] = field(default_factory=list)

    def line_of(self, index: int) -> int:
        return self.line_numbers[index] if self.line_numbers else index + 2


def file_format(file_name: str, data: bytes) -> str:
    """ "json" or "csv", by the content first (a JSON array starts with "["), then the name."""
    _refuse_size(data)
    start = _text_start(data)
    if start.startswith("["):
        return "json"
    if start.startswith("{"):
        raise FileRefused(
            "The file is JSON but not a list of users: Auth0's import file is an array, "
            'starting with "[" and holding one {...} per user.'
        )
    if data.startswith(_EXCEL_MAGIC):
        raise FileRefused(
            "This is an Excel workbook, not a CSV file: in Excel choose File > Save As > "
            "CSV UTF-8, then upload that file."
        )
    if file_name.lower().endswith(".json"):
        raise FileRefused(
            'The file is not a JSON array of users: it should start with "[" and hold one '
            "{...} per user, as Auth0's bulk import takes it."
        )
    if "\x00" in start or not start:
        raise FileRefused(
            "The file is neither a JSON array of users nor a CSV file: upload Auth0's "
            "bulk-import JSON or a CSV with a header row."
        )
    return "csv"


def read_json_users(data: bytes) -> list[SourceUser]:
    """The users of an Auth0 bulk-import file (a JSON array of user objects)."""
    _refuse_size(data)
    try:
        parsed = json.loads(_json_text(data))
    except json.JSONDecodeError as exc:
        raise FileRefused(
            f"The file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    except (ValueError, RecursionError):  # a number of thousands of digits, deep nesting
        raise FileRefused(
            "The file is JSON that cannot be read as users: it nests too deeply or holds a "
            "number too long."
        ) from None
    if not isinstance(parsed, list):
        raise FileRefused(
            'The file is JSON but not a list of users: it should start with "[" and hold one '
            "{...} per user."
        )
    if not parsed:
        raise FileRefused("The file holds an empty list: there are no users to import.")
    _refuse_count(len(parsed))
    return [_json_user(position, element) for position, element in enumerate(parsed, start=1)]


def read_csv(data: bytes) -> CsvFile:
    """The header and rows of a CSV (UTF-8 with or without BOM, or UTF-16 with BOM)."""
    _refuse_size(data)
    try:
        text = decode_text(data)
        records = list(csv_records(text, _sniffed_delimiter(text)))
    except ServiceError as exc:
        raise FileRefused(exc.message) from None
    if not records:
        raise FileRefused(
            "The file is empty: it needs a header row (email, given_name, ...) and one row "
            "per user."
        )
    headers = _headers(records[0][1])
    rows = records[1:]
    if not rows:
        raise FileRefused("The file has a header row but no users.")
    _refuse_count(len(rows))
    return CsvFile(
        headers=headers,
        rows=[dict(zip(headers, cells, strict=False)) for _, cells in rows],
        line_numbers=[line for line, _ in rows],
    )


# -- the file ---------------------------------------------------------------------------


def _refuse_size(data: bytes) -> None:
    if not data.strip():
        raise FileRefused("The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        megabytes = MAX_FILE_BYTES // (1024 * 1024)
        raise FileRefused(f"The file is larger than {megabytes} MB: split it into smaller files.")


def _refuse_count(count: int) -> None:
    if count > MAX_USERS:
        raise FileRefused(
            f"The file has {count:,} users; the limit is {MAX_USERS:,} per migration. "
            "Split it into smaller files."
        )


def _text_start(data: bytes) -> str:
    """The first characters that are not white space, whatever the text encoding."""
    head = data[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="ignore").lstrip()
    return head.decode("utf-8-sig", errors="replace").lstrip()


def _json_text(data: bytes) -> str:
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            "The file is not UTF-8 text, so some letters cannot be read: save it as UTF-8 "
            "and upload it again."
        ) from None


def _json_user(position: int, element: Any) -> SourceUser:
    if isinstance(element, dict):
        return SourceUser(number=position, record=element)
    kind = json_kind(element)
    message = f"User {position} of the file is {kind}, not an object {{...}} with an email."
    return SourceUser(number=position, record={}, problems=(("", message),))


def json_kind(value: Any) -> str:
    """A JSON value's kind in words ("text", "a number", ...), for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _sniffed_delimiter(text: str) -> str:
    """What separates the header's cells: comma, semicolon (Excel in many locales) or tab."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    try:
        return csv.Sniffer().sniff(first_line, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        # One column, or nothing the sniffer can tell apart: count as the organizations
        # importer does (comma unless another separator is clearly used).
        return sniff_delimiter(text)


def _headers(cells: list[str]) -> list[str]:
    headers = [cell.strip() for cell in cells]
    while headers and not headers[-1]:
        headers.pop()  # trailing empty cells (spreadsheets add them)
    if not headers:
        raise FileRefused("The first row is empty: it should name the columns (email, ...).")
    blank = [str(position) for position, name in enumerate(headers, start=1) if not name]
    if blank:
        raise FileRefused(
            f"Column {', '.join(blank)} of the header row has no name: name every column "
            "or delete the empty ones."
        )
    seen: set[str] = set()
    repeated: list[str] = []
    for name in headers:
        key = name.casefold()
        if key in seen and name not in repeated:
            repeated.append(name)
        seen.add(key)
    if repeated:
        raise FileRefused(f"These columns appear more than once: {', '.join(repeated)}.")
    return headers
