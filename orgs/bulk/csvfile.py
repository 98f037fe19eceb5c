"""Reading an uploaded CSV of organizations and checking it row by row.

Nothing here writes: a file that cannot be read at all raises ServiceError (field
"file"), and every readable row comes back as a CheckedRow with its cleaned values and
its problems, so the person sees the whole report before anything is created. The rules
are the services' own (the organization name validator, `_check_url`), so a row that
passes here is refused later only if the tenant changed in between.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.text import slugify

from orgs.models import MembershipModel, Organization, OrgStatus
from orgs.models.applications import UrlKind
from orgs.models.organizations import organization_name_validator
from orgs.services.applications import _check_url
from orgs.services.errors import ServiceError
from orgs.services.organizations import reserved_organization_names

MAX_ROWS = 1000
MAX_BYTES = 1024 * 1024
NAME_MAX = 50
DISPLAY_NAME_MAX = 255
URL_MAX = 1024  # ApplicationURL.url

REQUIRED_COLUMNS = ("display_name", "membership_model")
COLUMNS = (
    "name",
    "display_name",
    "membership_model",
    "admin_email",
    "callback_urls",
    "logout_urls",
    "web_origins",
)
URL_COLUMNS: dict[str, str] = {
    "callback_urls": UrlKind.CALLBACK,
    "logout_urls": UrlKind.LOGOUT,
    "web_origins": UrlKind.WEB_ORIGIN,
}
# Several URLs in one cell: separated by spaces or semicolons.
_URL_SEPARATORS = re.compile(r"[\s;]+")
_DELIMITERS = (",", ";", "\t")
# The values and the labels people see in the portal, either accepted, any case.
_MEMBERSHIP_MODELS: dict[str, str] = {
    **{value: value for value in MembershipModel.values},
    **{str(label).lower(): value for value, label in MembershipModel.choices},
}
_MODEL_HINT = "use shared_db, own_db or enterprise"

EXAMPLE_ROWS: tuple[dict[str, str], ...] = (
    {
        "name": "initech",
        "display_name": "Initech",
        "membership_model": "shared_db",
        "admin_email": "boss@initech.example",
        "callback_urls": "https://initech.app.example.com/callback",
        "logout_urls": "https://initech.app.example.com/",
        "web_origins": "https://initech.app.example.com",
    },
    {
        "name": "",
        "display_name": "Umbrella Research",
        "membership_model": "Its own database connection",
        "admin_email": "it@umbrella.example",
        "callback_urls": (
            "https://umbrella.app.example.com/callback; https://umbrella.app.example.com/sso"
        ),
        "logout_urls": "",
        "web_origins": "",
    },
    {
        "name": "hooli",
        "display_name": "Hooli",
        "membership_model": "enterprise",
        "admin_email": "",
        "callback_urls": "http://localhost:3000/callback",
        "logout_urls": "",
        "web_origins": "",
    },
)


@dataclass
class CheckedRow:
    """One organization of the file: its line, cleaned values and problems."""

    number: int
    data: dict[str, Any]
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    @property
    def is_ready(self) -> bool:
        return not self.errors

    def add_error(self, column: str, message: str) -> None:
        self.errors.append({"field": column, "message": message})


def example_csv() -> str:
    """The example file the upload page offers (and docs/bulk-import-example.csv holds)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(EXAMPLE_ROWS)
    return out.getvalue()


def check_file(content: bytes) -> list[CheckedRow]:
    """Every row of the file, checked; ServiceError when the file itself is unusable."""
    header, records = _read(content)
    rows = [_check_row(number, header, cells) for number, cells in records]
    _mark_repeated_names(rows)
    _mark_existing_names(rows)
    return rows


# -- the file ---------------------------------------------------------------------------


def _refuse(message: str) -> ServiceError:
    return ServiceError(message, field="file")


def decode_text(content: bytes) -> str:
    if content.startswith(b"PK\x03\x04"):
        raise _refuse(
            "This is an Excel workbook, not a CSV file: in Excel choose "
            "File > Save As > CSV UTF-8, then upload that file."
        )
    utf16 = content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in content and not utf16:
        raise _refuse("This is not a CSV file: choose a text file of comma-separated values.")
    try:
        # Excel's "Unicode text" is UTF-16; "-sig" drops the byte-order mark Excel writes.
        return content.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse(
            "The file is not UTF-8 text, so some letters cannot be read: in Excel choose "
            "File > Save As > CSV UTF-8 and upload it again."
        ) from None


def sniff_delimiter(text: str) -> str:
    """Comma, or Excel's semicolon (or a tab) when the header row uses that instead."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _read(content: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header's column names and (line number, cells) of each non-blank row."""
    text = decode_text(content)
    records = csv_records(text, sniff_delimiter(text))
    header_record = next(records, None)
    if header_record is None:
        raise _refuse(
            "The file is empty: it needs a header row (display_name, membership_model, ...) "
            "and one row per organization."
        )
    header = _header(header_record[1])
    rows = list(records)
    if not rows:
        raise _refuse("The file has a header row but no organizations.")
    if len(rows) > MAX_ROWS:
        raise _refuse(
            f"The file has {len(rows):,} organizations; the limit is {MAX_ROWS:,} per file. "
            "Split it into smaller files."
        )
    return header, rows


def csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error:
        raise _refuse(
            f"The file could not be read as CSV near line {reader.line_num}: "
            'check that every quote (") is closed.'
        ) from None


def _header(cells: list[str]) -> list[str]:
    names = [re.sub(r"[\s-]+", "_", cell.strip().lower()) for cell in cells]
    while names and not names[-1]:
        names.pop()  # trailing empty cells (spreadsheets add them)
    columns = ", ".join(COLUMNS)
    unknown = [name or "(empty)" for name in names if name not in COLUMNS]
    if unknown:
        raise _refuse(f"Unknown columns: {', '.join(unknown)}. The columns are: {columns}.")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise _refuse(f"These columns appear more than once: {', '.join(repeated)}.")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise _refuse(f"Missing columns: {', '.join(missing)}. The columns are: {columns}.")
    return names


# -- each row ---------------------------------------------------------------------------


def _check_row(number: int, header: list[str], cells: list[str]) -> CheckedRow:
    values = dict.fromkeys(COLUMNS, "")
    values.update({column: cell.strip() for column, cell in zip(header, cells, strict=False)})
    row = CheckedRow(number=number, data={})
    if any(cell.strip() for cell in cells[len(header) :]):
        row.add_error("", "This row has more cells than the header row has columns.")
    row.data["display_name"] = _display_name(row, values["display_name"])
    row.data["name"], row.data["name_suggested"] = _name(row, values["name"], values)
    row.data["membership_model"] = _membership_model(row, values["membership_model"])
    row.data["admin_email"] = _admin_email(row, values["admin_email"])
    for column, kind in URL_COLUMNS.items():
        row.data[column] = _urls(row, column, kind, values[column])
    return row


def _display_name(row: CheckedRow, value: str) -> str:
    if not value:
        row.add_error("display_name", "Give a display name.")
    elif len(value) > DISPLAY_NAME_MAX:
        row.add_error(
            "display_name", f"The display name is longer than {DISPLAY_NAME_MAX} characters."
        )
    return value


def suggested_name(display_name: str) -> str:
    """A valid organization name made from the display name ("Acme Corp" -> "acme-corp")."""
    return slugify(display_name).strip("-_")[:NAME_MAX].rstrip("-_")


def _name(row: CheckedRow, value: str, values: dict[str, str]) -> tuple[str, bool]:
    suggested = not value
    name = (suggested_name(values["display_name"]) if suggested else value).lower()
    if not name:
        if values["display_name"]:
            row.add_error("name", "Give a name: none could be made from the display name.")
        return "", suggested
    try:
        organization_name_validator(name)
    except ValidationError as exc:
        row.add_error("name", f"'{name}' is not a valid name. {' '.join(exc.messages)}")
        return name, suggested
    if name in reserved_organization_names():
        row.add_error("name", f"'{name}' is reserved for the portal: choose another name.")
    return name, suggested


def _membership_model(row: CheckedRow, value: str) -> str:
    key = " ".join(value.lower().split())
    if not key:
        row.add_error("membership_model", f"Give a membership model: {_MODEL_HINT}.")
        return ""
    if key not in _MEMBERSHIP_MODELS:
        row.add_error("membership_model", f"'{value}' is not a membership model: {_MODEL_HINT}.")
        return value
    return _MEMBERSHIP_MODELS[key]


def _admin_email(row: CheckedRow, value: str) -> str:
    email = value.lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            row.add_error("admin_email", f"'{value}' is not a valid email address.")
    return email


def _urls(row: CheckedRow, column: str, kind: str, value: str) -> list[str]:
    urls: list[str] = []
    for url in filter(None, _URL_SEPARATORS.split(value)):
        if url in urls:
            continue  # the same URL twice is one URL
        urls.append(url)
        if len(url) > URL_MAX:
            row.add_error(column, f"{url[:60]}...: a URL has at most {URL_MAX} characters.")
            continue
        try:
            _check_url(kind, url)
        except ServiceError as exc:
            message = exc.message if url in exc.message else f"{url}: {exc.message}"
            row.add_error(column, message)
    return urls


# -- across rows ------------------------------------------------------------------------


def _mark_repeated_names(rows: list[CheckedRow]) -> None:
    """The second and later rows with a name are refused: the first one keeps it."""
    first_with: dict[str, int] = {}
    for row in rows:
        if not row.name:
            continue
        if row.name in first_with:
            row.add_error("name", f"Row {first_with[row.name]} already uses the name '{row.name}'.")
        else:
            first_with[row.name] = row.number


def _mark_existing_names(rows: list[CheckedRow]) -> None:
    names = {row.name for row in rows if row.name}
    taken = set(
        Organization.objects.filter(name__in=names)
        .exclude(status=OrgStatus.DELETED)
        .values_list("name", flat=True)
    )
    for row in rows:
        if row.name in taken:
            row.add_error("name", f"An organization named '{row.name}' already exists.")
