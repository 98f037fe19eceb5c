"""Each row checked as Auth0's bulk import would: one test per error of the report."""

from __future__ import annotations

import hashlib
from typing import Any

import bcrypt
import pytest

from orgs.usermigration.checks import PROFILE_LIMIT_BYTES, RowCheck, check_users
from orgs.usermigration.reading import SourceUser

BCRYPT = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()
WHIRLPOOL = {"algorithm": "whirlpool", "hash": {"value": "x"}}
MD5 = {"algorithm": "md5", "hash": {"value": hashlib.md5(b"pw").hexdigest(), "encoding": "hex"}}


def check(record: dict[str, Any], **options: Any) -> RowCheck:
    [row] = check_users([SourceUser(number=2, record=record)], **options)
    return row


def errors(record: dict[str, Any]) -> list[dict[str, str]]:
    return check(record).errors


def test_a_good_row_is_ready_and_cleaned() -> None:
    row = check({"email": "  Ann@Example.COM ", "given_name": "Ann", "family_name": "Lee",
                 "password_hash": BCRYPT})  # fmt: skip

    assert row.errors == []
    assert row.email == "ann@example.com"
    assert row.name == "Ann Lee"
    assert row.record == {"email": "ann@example.com", "given_name": "Ann", "family_name": "Lee",
                          "password_hash": BCRYPT}  # fmt: skip
    assert row.needs_password_link is False


def test_the_full_name_is_the_display_name() -> None:
    assert check({"email": "a@example.com", "name": "Ann Lee", "given_name": "A"}).name == "Ann Lee"


def test_a_row_without_a_hash_gets_a_password_link_and_no_error() -> None:
    row = check({"email": "a@example.com"})

    assert row.errors == []
    assert row.needs_password_link is True


def test_a_source_problem_on_the_whole_user_is_the_only_error() -> None:
    user = SourceUser(number=3, record={}, problems=(("", "User 3 of the file is text."),))

    [row] = check_users([user])

    assert row.errors == [{"field": "", "message": "User 3 of the file is text."}]


def test_a_source_problem_on_a_field_is_reported_beside_the_others() -> None:
    user = SourceUser(
        number=2,
        record={"email": "bad"},
        problems=(("app_metadata", "app_metadata is not valid JSON: Expecting value."),),
    )

    [row] = check_users([user])

    assert [e["field"] for e in row.errors] == ["app_metadata", "email"]


ERROR_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown property", {"email": "a@example.com", "phone": "1"}, "phone",
     "'phone' is not something Auth0 imports for a user: leave it out. The properties are: "
     "email, email_verified, user_id,"),
    ("missing email", {"name": "Ann"}, "email",
     "Give an email address: Auth0 imports no user without one."),
    ("blank email", {"email": "  "}, "email", "Give an email address"),
    ("email not text", {"email": 42}, "email", "The email address must be text."),
    ("invalid email", {"email": "ann@"}, "email", "'ann@' is not a valid email address."),
    ("long email", {"email": "a" * 250 + "@example.com"}, "email",
     "The email address is longer than 254 characters."),
    ("text field not text", {"email": "a@example.com", "given_name": 7}, "given_name",
     "The given_name must be text, not a number."),
    ("empty username", {"email": "a@example.com", "username": ""}, "username",
     "The username is empty: leave it out or give 1 to 128 characters."),
    ("long family name", {"email": "a@example.com", "family_name": "x" * 151}, "family_name",
     "The family_name is longer than 150 characters (151)."),
    ("long name", {"email": "a@example.com", "name": "x" * 301}, "name",
     "The name is longer than 300 characters (301)."),
    ("long nickname", {"email": "a@example.com", "nickname": "x" * 301}, "nickname",
     "The nickname is longer than 300 characters"),
    ("long user_id", {"email": "a@example.com", "user_id": "x" * 256}, "user_id",
     "The user_id is longer than 255 characters (256)."),
    ("email_verified not boolean", {"email": "a@example.com", "email_verified": "maybe"},
     "email_verified", "email_verified must be true or false, not 'maybe'."),
    ("blocked not boolean", {"email": "a@example.com", "blocked": 1}, "blocked",
     "blocked must be true or false, not a number."),
    ("picture not a URL", {"email": "a@example.com", "picture": "me.png"}, "picture",
     "The picture must be a web address (https://...)."),
    ("user_id with a space", {"email": "a@example.com", "user_id": "12 34"}, "user_id",
     "The user_id must not contain spaces or line breaks."),
    ("user_id with auth0 prefix", {"email": "a@example.com", "user_id": "auth0|1234"}, "user_id",
     "Leave 'auth0|' out of the user_id: Auth0 adds it (this one would become auth0|auth0|1234)."),
    ("both hashes", {"email": "a@example.com", "password_hash": BCRYPT,
                     "custom_password_hash": MD5}, "password_hash",
     "Give either password_hash or custom_password_hash, not both."),
    ("bad bcrypt", {"email": "a@example.com", "password_hash": "$2b$10$short"}, "password_hash",
     "The hash is not a bcrypt hash: expected $2a$, $2b$ or $2y$, a two-digit cost and 53 "
     "characters."),
    ("bad custom hash", {"email": "a@example.com", "custom_password_hash": WHIRLPOOL},
     "custom_password_hash.algorithm",
     "The algorithm 'whirlpool' is not one Auth0 can import: use argon2, bcrypt,"),
    ("metadata not an object", {"email": "a@example.com", "user_metadata": ["a"]},
     "user_metadata", "user_metadata must be a JSON object {...}, not a list."),
    ("dot in a metadata name", {"email": "a@example.com", "app_metadata": {"a.b": 1}},
     "app_metadata",
     "app_metadata has a field named 'a.b': Auth0 refuses '.' and '$' in metadata field names."),
    ("dollar deep in metadata", {"email": "a@example.com",
                                 "user_metadata": {"x": [{"y": {"$set": 1}}]}},
     "user_metadata", "user_metadata has a field named '$set'"),
    ("reserved app_metadata name", {"email": "a@example.com", "app_metadata": {"email": "x"}},
     "app_metadata", "app_metadata uses email, which Auth0 keeps for itself"),
    ("mfa_factors not a list", {"email": "a@example.com", "mfa_factors": {}}, "mfa_factors",
     "mfa_factors must be a list."),
    ("profile too large", {"email": "a@example.com",
                           "user_metadata": {"notes": "x" * (PROFILE_LIMIT_BYTES + 4000)}},
     "", "The user's profile is 14 KB; Auth0 takes at most 10 KB per user, metadata included."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "record", "field", "message"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)
def test_each_problem_is_reported_in_plain_words(
    case: str, record: dict[str, Any], field: str, message: str
) -> None:
    found = errors(record)

    assert len(found) == 1, found
    assert found[0]["field"] == field
    assert found[0]["message"].startswith(message)


def test_unknown_properties_are_kept_out_of_the_record() -> None:
    assert check({"email": "a@example.com", "phone": "1"}).record == {"email": "a@example.com"}


def test_a_picture_url_is_fine() -> None:
    assert errors({"email": "a@example.com", "picture": "https://cdn.example.com/a.png"}) == []


def test_later_rows_repeating_an_email_are_refused() -> None:
    users = [
        SourceUser(number=2, record={"email": "ann@example.com"}),
        SourceUser(number=3, record={"email": "bob@example.com"}),
        SourceUser(number=12, record={"email": "ANN@example.com"}),
    ]

    rows = check_users(users)

    assert rows[0].errors == rows[1].errors == []
    assert rows[2].errors == [{
        "field": "email",
        "message": "Also in row 2: Auth0 imports each email address once, so only that row "
        "is sent.",
    }]  # fmt: skip


def test_later_rows_repeating_a_user_id_are_refused() -> None:
    users = [
        SourceUser(number=1, record={"email": "a@example.com", "user_id": "u1"}),
        SourceUser(number=2, record={"email": "b@example.com", "user_id": "u1"}),
    ]

    rows = check_users(users)

    assert rows[1].errors == [{
        "field": "user_id",
        "message": "Also in row 1: Auth0 imports each user_id once, so only that row is sent.",
    }]  # fmt: skip


def test_an_unusable_hash_can_be_treated_as_missing() -> None:
    row = check({"email": "a@example.com", "password_hash": "nope"}, treat_bad_hash_as_missing=True)

    assert row.errors == []
    assert row.needs_password_link is True
    assert row.record == {"email": "a@example.com"}


def test_a_usable_custom_hash_needs_no_link() -> None:
    row = check({"email": "a@example.com", "custom_password_hash": MD5})

    assert row.errors == []
    assert row.needs_password_link is False


def test_a_hundred_thousand_rows_are_checked() -> None:
    users = [
        SourceUser(
            number=index + 2,
            record={
                "email": f"user{index}@example.com",
                "given_name": "User",
                "family_name": str(index),
                "email_verified": True,
                "user_id": f"legacy-{index}",
                "app_metadata": {"plan": "pro", "tags": ["a", "b"]},
                "custom_password_hash": MD5,
            },
        )
        for index in range(100_000)
    ]

    rows = check_users(users)

    assert len(rows) == 100_000
    assert all(not row.errors for row in rows)


def test_a_hash_shifted_into_another_column_is_never_quoted_back() -> None:
    """A stray comma in a CSV row moves the hash into the algorithm or email column."""
    from orgs.usermigration.quoting import NOT_SHOWN

    hashed = "$2b$04$abcdefghijklmnopqrstuOe1XmzqM2K2bLvXUJ8uAyCmfQnhv9xJW"
    users = [
        SourceUser(2, {"email": "ann@x.test", "custom_password_hash": {"algorithm": hashed}}),
        SourceUser(3, {"email": hashed}),
        SourceUser(4, {"email": "bob@x.test", "email_verified": "ZmFrZS1oYXNoLWJhc2U2NC12"}),
    ]
    rows = check_users(users)
    messages = [error["message"] for row in rows for error in row.errors]
    assert messages and all(hashed not in message for message in messages)
    assert all("ZmFrZS1oYXNo" not in message for message in messages)
    assert sum(NOT_SHOWN in message.lower() for message in messages) == 3
