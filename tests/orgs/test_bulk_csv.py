"""Reading and checking a CSV of organizations (orgs.bulk.csvfile): nothing is written."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from django.conf import settings

from orgs.bulk.csvfile import MAX_ROWS, CheckedRow, check_file, example_csv, suggested_name
from orgs.models import OrgStatus
from orgs.services import ServiceError
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

HEADER = "name,display_name,membership_model,admin_email,callback_urls,logout_urls,web_origins"


def _csv(*lines: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *lines]).encode()


def _problems(row: CheckedRow) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in row.errors:
        found.setdefault(error["field"], []).append(error["message"])
    return found


def test_a_good_file_gives_ready_rows_with_cleaned_values() -> None:
    rows = check_file(
        _csv(
            "Acme-Two,Acme Two,shared_db,Boss@Acme.test,"
            "https://a.example.com/cb https://a.example.com/cb2,https://a.example.com/,"
            "https://a.example.com",
        )
    )

    assert [row.number for row in rows] == [2]
    row = rows[0]
    assert row.is_ready, row.errors
    assert row.data == {
        "name": "acme-two",
        "name_suggested": False,
        "display_name": "Acme Two",
        "membership_model": "shared_db",
        "admin_email": "boss@acme.test",
        "callback_urls": ["https://a.example.com/cb", "https://a.example.com/cb2"],
        "logout_urls": ["https://a.example.com/"],
        "web_origins": ["https://a.example.com"],
    }


def test_a_missing_name_is_made_from_the_display_name() -> None:
    rows = check_file(_csv(",Café Ünited Corp!,enterprise,,,,"))

    assert rows[0].is_ready
    assert rows[0].name == "cafe-united-corp" and rows[0].data["name_suggested"] is True
    assert suggested_name("  -- Big_Co --  ") == "big_co"


def test_membership_models_are_accepted_as_values_or_labels() -> None:
    rows = check_file(
        _csv(
            "a1,A1,Shared database connection,,,,",
            "a2,A2,its own  database connection,,,,",
            "a3,A3,ENTERPRISE,,,,",
        )
    )

    assert [row.data["membership_model"] for row in rows] == ["shared_db", "own_db", "enterprise"]


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("Bad Name!,Bad,shared_db,,,,", "name", "'bad name!' is not a valid name."),
        ("-dash,Dash,shared_db,,,,", "name", "starting with a letter or digit"),
        (f"{'x' * 51},Long,shared_db,,,,", "name", "Use 1 to 50 lowercase letters"),
        ("ok,,shared_db,,,,", "display_name", "Give a display name."),
        ("ok,Ok,premium,,,,", "membership_model", "'premium' is not a membership model"),
        ("ok,Ok,,,,,", "membership_model", "Give a membership model"),
        ("ok,Ok,shared_db,not-an-email,,,", "admin_email", "'not-an-email' is not a valid email"),
        ("ok,Ok,shared_db,,http://ok.example.com/cb,,", "callback_urls", "Use https"),
        ("ok,Ok,shared_db,,not a url,,", "callback_urls", "'not' is not a valid URL."),
        ("ok,Ok,shared_db,,,ftp://x.example.com,", "logout_urls", "is not a valid URL"),
        ("ok,Ok,shared_db,,,,https://x.example.com/path", "web_origins", "has no path"),
        (",!!!,shared_db,,,,", "name", "none could be made from the display name"),
        ("ok,Ok,shared_db,,,,,extra", "", "more cells than the header row has columns"),
    ],
)
def test_each_kind_of_bad_row_names_its_column(line: str, column: str, message: str) -> None:
    row = check_file(_csv(line))[0]

    assert not row.is_ready
    assert any(message in text for text in _problems(row).get(column, [])), row.errors


def test_http_is_allowed_for_localhost_only() -> None:
    rows = check_file(
        _csv(
            "a1,A1,shared_db,,http://localhost:3000/callback,,",
            "a2,A2,shared_db,,http://localhost.evil.test/callback,,",
        )
    )

    assert rows[0].is_ready
    assert "Use https" in _problems(rows[1])["callback_urls"][0]


def test_urls_may_be_separated_by_semicolons_and_repeats_count_once() -> None:
    row = check_file(
        _csv(
            'a1,A1,shared_db,,"https://x.example.com/a; https://x.example.com/b;https://x.example.com/a",,'
        )
    )[0]

    assert row.data["callback_urls"] == ["https://x.example.com/a", "https://x.example.com/b"]


def test_the_second_and_later_rows_with_a_name_are_duplicates() -> None:
    rows = check_file(
        _csv(
            "initech,Initech,shared_db,,,,",
            "other,Other,shared_db,,,,",
            "INITECH,Initech again,shared_db,,,,",
            ",Initech,shared_db,,,,",
        )
    )

    assert [row.is_ready for row in rows] == [True, True, False, False]
    assert _problems(rows[2]) == {"name": ["Row 2 already uses the name 'initech'."]}
    assert _problems(rows[3]) == {"name": ["Row 2 already uses the name 'initech'."]}


def test_names_of_live_organizations_are_taken_but_deleted_ones_are_free() -> None:
    OrganizationFactory(name="taken")
    OrganizationFactory(name="gone", status=OrgStatus.DELETED)

    rows = check_file(_csv("taken,Taken,shared_db,,,,", "gone,Gone,shared_db,,,,"))

    assert _problems(rows[0]) == {"name": ["An organization named 'taken' already exists."]}
    assert rows[1].is_ready


def test_a_byte_order_mark_and_excel_semicolons_are_read() -> None:
    content = codecs.BOM_UTF8 + (
        b"Name;Display Name;Membership_Model;admin_email\r\n"
        b"acme-fr;Acme, France;own_db;chef@acme.test\r\n"
    )

    row = check_file(content)[0]

    assert row.is_ready, row.errors
    assert row.name == "acme-fr"
    assert row.data["display_name"] == "Acme, France"
    assert row.data["membership_model"] == "own_db"


def test_utf16_files_from_excel_unicode_text_are_read() -> None:
    content = "display_name\tmembership_model\nZürich AG\tshared_db\n".encode("utf-16")

    row = check_file(content)[0]

    assert row.is_ready and row.name == "zurich-ag"


def test_blank_lines_are_skipped_and_rows_keep_their_line_numbers() -> None:
    rows = check_file(_csv("", "a1,A1,shared_db,,,,", ",,,,,,", "", "a2,A2,shared_db,,,,", ""))

    assert [(row.number, row.name) for row in rows] == [(3, "a1"), (6, "a2")]


def test_a_header_of_only_the_required_columns_is_enough() -> None:
    row = check_file(_csv("Globex Two,enterprise", header="display_name,membership_model"))[0]

    assert row.is_ready and row.name == "globex-two" and row.data["admin_email"] == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"\n\n", "The file is empty"),
        (HEADER.encode() + b"\n", "a header row but no organizations"),
        (b"display_name,membership_model,colour\nA,shared_db,red\n", "Unknown columns: colour."),
        (b"name,membership_model\na,shared_db\n", "Missing columns: display_name."),
        (b"display_name,display_name,membership_model\n", "more than once: display_name."),
        ("display_name,membership_model\nCaf\xe9,shared_db\n".encode("latin-1"), "not UTF-8"),
        (b"PK\x03\x04\x14\x00\x06\x00", "This is an Excel workbook"),
        (b"display_name\x00,membership_model\n", "This is not a CSV file"),
        (b'display_name,membership_model\n"A,shared_db\n', "could not be read as CSV"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(content: bytes, message: str) -> None:
    with pytest.raises(ServiceError, match=message) as error:
        check_file(content)

    assert error.value.field == "file"


def test_more_than_the_row_limit_is_refused() -> None:
    lines = [f"org-{n},Org {n},shared_db,,,," for n in range(MAX_ROWS + 1)]

    with pytest.raises(ServiceError, match="The file has 1,001 organizations; the limit is 1,000"):
        check_file(_csv(*lines))


def test_exactly_the_row_limit_is_accepted() -> None:
    lines = [f"org-{n},Org {n},shared_db,,,," for n in range(MAX_ROWS)]

    assert len(check_file(_csv(*lines))) == MAX_ROWS


def test_the_example_file_is_the_one_in_the_docs_and_it_is_all_ready() -> None:
    documented = Path(settings.BASE_DIR, "docs", "bulk-import-example.csv").read_text()

    assert documented == example_csv()
    rows = check_file(documented.encode())
    assert [row.is_ready for row in rows] == [True, True, True], [row.errors for row in rows]
    assert rows[1].name == "umbrella-research" and rows[1].data["membership_model"] == "own_db"
