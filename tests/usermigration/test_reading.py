"""Reading an uploaded users file: the format, Auth0's JSON, and CSV dialects."""

from __future__ import annotations

import codecs
import json

import pytest

from orgs.usermigration import reading
from orgs.usermigration.reading import (
    FileRefused,
    SourceUser,
    file_format,
    read_csv,
    read_json_users,
)


def refusal(call, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(FileRefused) as caught:
        call(*args)
    return caught.value.message


# -- format -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("users.json", b'[{"email": "a@example.com"}]', "json"),
        ("users.txt", b'  \n[{"email": "a@example.com"}]', "json"),
        ("users.csv", codecs.BOM_UTF8 + b"[]", "json"),
        ("users.csv", b"email\na@example.com\n", "csv"),
        ("export", b"email;name\na@example.com;A\n", "csv"),
        ("users.csv", "email\na@example.com\n".encode("utf-16"), "csv"),
    ],
)
def test_it_tells_json_from_csv_by_content(name: str, data: bytes, expected: str) -> None:
    assert file_format(name, data) == expected


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("users.json", b'{"email": "a@example.com"}', "JSON but not a list of users"),
        ("users.json", b"email\na@example.com", "not a JSON array of users"),
        ("users.xlsx", b"PK\x03\x04rest", "Excel workbook"),
        ("users.bin", b"\x00\x01\x02", "neither a JSON array of users nor a CSV file"),
        ("users.csv", b"   \n", "The file is empty."),
    ],
)
def test_it_refuses_a_file_that_is_neither(name: str, data: bytes, message: str) -> None:
    assert message in refusal(file_format, name, data)


def test_it_refuses_a_file_over_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 10)

    assert "larger than" in refusal(file_format, "users.csv", b"email\na@example.com\n")


# -- JSON -------------------------------------------------------------------------------


def test_it_reads_each_user_with_its_position() -> None:
    data = json.dumps([{"email": "a@example.com"}, {"email": "b@example.com"}]).encode()

    assert read_json_users(data) == [
        SourceUser(number=1, record={"email": "a@example.com"}),
        SourceUser(number=2, record={"email": "b@example.com"}),
    ]


def test_it_keeps_an_element_that_is_not_an_object_as_a_problem() -> None:
    users = read_json_users(b'[{"email": "a@example.com"}, "b@example.com", null]')

    assert users[1].record == {}
    assert users[1].problems == (
        ("", "User 2 of the file is text, not an object {...} with an email."),
    )
    assert users[2].problem == "User 3 of the file is null, not an object {...} with an email."


def test_it_reads_utf16_json() -> None:
    assert read_json_users('[{"email": "é@example.com"}]'.encode("utf-16"))[0].record == {
        "email": "é@example.com"
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'[{"email": "a@example.com"', "The file is not valid JSON: Expecting"),
        (b'{"users": []}', "JSON but not a list of users"),
        (b"[]", "empty list: there are no users"),
        (b'["\xff"]', "not UTF-8 text"),
    ],
)
def test_it_refuses_json_it_cannot_read(data: bytes, message: str) -> None:
    assert message in refusal(read_json_users, data)


def test_it_refuses_json_over_the_user_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_USERS", 2)

    message = refusal(read_json_users, b"[{}, {}, {}]")

    assert (
        message
        == "The file has 3 users; the limit is 2 per migration. Split it into smaller files."
    )


# -- CSV --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"email,given_name\na@example.com,Ann\n",
        codecs.BOM_UTF8 + b"email,given_name\r\na@example.com,Ann\r\n",
        b"email;given_name\na@example.com;Ann\n",
        b"email\tgiven_name\na@example.com\tAnn\n",
        "email,given_name\na@example.com,Ann\n".encode("utf-16"),
        codecs.BOM_UTF16_LE + "email,given_name\na@example.com,Ann\n".encode("utf-16-le"),
    ],
    ids=["utf8", "utf8 bom crlf", "semicolon", "tab", "utf16", "utf16le bom"],
)
def test_it_reads_csv_dialects(data: bytes) -> None:
    csv_file = read_csv(data)

    assert csv_file.headers == ["email", "given_name"]
    assert csv_file.rows == [{"email": "a@example.com", "given_name": "Ann"}]
    assert csv_file.line_of(0) == 2


def test_a_single_column_file_is_comma_separated() -> None:
    assert read_csv(b"email\na@example.com\n").rows == [{"email": "a@example.com"}]


def test_it_keeps_quoted_cells_and_each_rows_first_line() -> None:
    data = (
        b'email,name\na@example.com,"Ann, the first"\n\n'
        b'b@example.com,"two\nlines"\nc@example.com,C\n'
    )

    csv_file = read_csv(data)

    assert [row["name"] for row in csv_file.rows] == ["Ann, the first", "two\nlines", "C"]
    assert [csv_file.line_of(index) for index in range(3)] == [2, 4, 6]


def test_it_drops_trailing_empty_header_cells() -> None:
    assert read_csv(b"email,,\na@example.com,,\n").headers == ["email"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\n\n", "The file is empty."),
        (b"email,name\n", "header row but no users"),
        (b"email,,name\na@example.com,,A\n", "Column 2 of the header row has no name"),
        (b"email,Email\na@example.com,b@example.com\n", "appear more than once: Email"),
        (b"PK\x03\x04xlsx", "Excel workbook"),
        (b"email\n\x00\x01", "not a CSV file"),
        (b"email\n\xff\xfe\xfa\n", "not UTF-8 text"),
        (b'email,name\na@example.com,"unclosed\n', 'check that every quote (") is closed'),
    ],
    ids=[
        "empty",
        "no rows",
        "blank header",
        "duplicate header",
        "excel",
        "binary",
        "latin1",
        "quote",
    ],
)
def test_it_refuses_a_csv_it_cannot_use(data: bytes, message: str) -> None:
    assert message in refusal(read_csv, data)


def test_it_refuses_a_csv_over_the_user_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_USERS", 1)

    assert "The file has 2 users; the limit is 1" in refusal(
        read_csv, b"email\na@example.com\nb@example.com\n"
    )
