"""The CSV column mapping: guesses, problems, and the records a mapped CSV makes."""

from __future__ import annotations

import hashlib

import pytest

from orgs.usermigration.mapping import (
    FIELDS,
    CsvMapping,
    auth0_algorithm,
    guess_mapping,
    mapping_problems,
    users_from_csv,
)
from orgs.usermigration.reading import CsvFile, SourceUser, read_csv

BCRYPT = "$2b$10$" + "a" * 53


def test_fields_name_every_column_a_user_can_have() -> None:
    assert [f.key for f in FIELDS][:1] == ["email"]
    assert all(f.label for f in FIELDS)
    assert len({f.key for f in FIELDS}) == 16


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Email"], {"email": "Email"}),
        (["E-mail"], {"email": "E-mail"}),
        (["mail"], {"email": "mail"}),
        (["Email Address", "First name", "Last name"], {
            "email": "Email Address", "given_name": "First name", "family_name": "Last name",
        }),
        (["email", "given_name", "surname"], {
            "email": "email", "given_name": "given_name", "family_name": "surname",
        }),
        (["email", "password"], {"email": "email", "password_hash_value": "password"}),
        (["email", "password_hash", "hash_algorithm", "Salt"], {
            "email": "email", "password_hash_value": "password_hash",
            "password_algorithm": "hash_algorithm", "password_salt": "Salt",
        }),
        (["email", "Hash", "Algorithm"], {
            "email": "email", "password_hash_value": "Hash", "password_algorithm": "Algorithm",
        }),
        (["email", "app_metadata", "user metadata"], {
            "email": "email", "app_metadata_json": "app_metadata",
            "user_metadata_json": "user metadata",
        }),
        (["id", "email", "Email Verified", "username"], {
            "user_id": "id", "email": "email", "email_verified": "Email Verified",
            "username": "username",
        }),
        (["Full Name", "Nickname", "Avatar URL", "Blocked"], {
            "name": "Full Name", "nickname": "Nickname", "picture": "Avatar URL",
            "blocked": "Blocked",
        }),
        (["custom_password_hash", "notes"], {"custom_password_hash_json": "custom_password_hash"}),
    ],
)  # fmt: skip
def test_it_guesses_columns_from_common_names(headers: list[str], expected: dict[str, str]) -> None:
    assert guess_mapping(headers).columns == expected


def test_a_header_is_guessed_for_one_field_only() -> None:
    assert guess_mapping(["email", "Email"]).columns == {"email": "email"}


def test_the_mapping_survives_json() -> None:
    mapping = CsvMapping(
        columns={"email": "Mail", "password_hash_value": "pw"},
        algorithm="md5",
        hash_encoding="base64",
        salt_encoding="hex",
        salt_position="prefix",
    )

    assert CsvMapping.from_json(mapping.to_json()) == mapping
    assert mapping.to_json()["columns"] == {"email": "Mail", "password_hash_value": "pw"}


def test_from_json_leaves_out_unknown_fields_and_fills_defaults() -> None:
    assert CsvMapping.from_json({"columns": {"email": "e", "shoe_size": "s"}}) == CsvMapping(
        columns={"email": "e"}
    )


HEADERS = ["email", "pw", "algo", "salt", "custom", "other"]


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        (CsvMapping(columns={}), ("email", "Choose the column that holds the email addresses.")),
        (
            CsvMapping(columns={"email": "e-mail"}),
            ("email", "The file has no column 'e-mail'."),
        ),
        (
            CsvMapping(columns={"email": "email", "name": "email"}),
            ("name", "The column 'email' is already used for Email address."),
        ),
        (
            CsvMapping(columns={"email": "email", "password_hash_value": "pw"}),
            ("password_algorithm", "Say which algorithm made the password hashes: choose the "
             "column that names it, or one algorithm for the whole file."),
        ),
        (
            CsvMapping(columns={"email": "email", "password_salt": "salt"}),
            ("password_hash_value", "Choose the column that holds the password hashes, or leave "
             "the algorithm and salt unset."),
        ),
        (
            CsvMapping(
                columns={"email": "email", "password_hash_value": "pw",
                         "password_algorithm": "algo", "custom_password_hash_json": "custom"}
            ),
            ("custom_password_hash_json", "Use either a column of password hashes or a column of "
             "custom_password_hash JSON, not both."),
        ),
        (
            CsvMapping(columns={"email": "email", "password_hash_value": "pw"}, algorithm="crc32"),
            ("algorithm", "'crc32' is not an algorithm Auth0 can import: use argon2, bcrypt, hmac, "
             "ldap, md4, md5, sha1, sha256, sha512, pbkdf2, scrypt."),
        ),
        (
            CsvMapping(columns={"email": "email", "password_hash_value": "pw"}, algorithm="hmac"),
            ("algorithm", "HMAC hashes need their digest and key: give each row's hash as "
             "custom_password_hash JSON instead."),
        ),
        (
            CsvMapping(columns={"email": "email"}, hash_encoding="base32"),
            ("hash_encoding", "'base32' is not one of hex, base64, utf8."),
        ),
        (
            CsvMapping(columns={"email": "email"}, salt_encoding="rot13"),
            ("salt_encoding", "'rot13' is not one of hex, base64, utf8."),
        ),
        (
            CsvMapping(columns={"email": "email"}, salt_position="middle"),
            ("salt_position", "'middle' is not one of prefix, suffix."),
        ),
        (
            CsvMapping(
                columns={"email": "email", "password_hash_value": "pw"},
                algorithm="md5",
                hash_encoding="utf8",
            ),
            ("hash_encoding", "md5 hashes are written as hex or base64: choose which."),
        ),
    ],
    ids=[
        "email not mapped", "missing header", "header used twice", "hash without algorithm",
        "salt without hash", "hash and custom json", "unknown algorithm", "hmac from columns",
        "unknown hash encoding", "unknown salt encoding", "unknown salt position",
        "digest as utf8",
    ],
)  # fmt: skip
def test_it_names_what_keeps_a_mapping_from_being_used(
    mapping: CsvMapping, expected: tuple[str, str]
) -> None:
    assert mapping_problems(mapping, HEADERS) == [expected]


def test_a_complete_mapping_has_no_problems() -> None:
    mapping = CsvMapping(
        columns={"email": "email", "password_hash_value": "pw", "password_algorithm": "algo"}
    )

    assert mapping_problems(mapping, HEADERS) == []


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("SHA-256", "sha256"), ("sha_512", "sha512"), ("SHA1", "sha1"), ("MD5", "md5"),
        ("SSHA", "ldap"), ("ldap", "ldap"), ("bcrypt", "bcrypt"), ("2b", "bcrypt"),
        ("Argon2id", "argon2"), ("PBKDF2-SHA256", "pbkdf2"), ("scrypt", "scrypt"),
        ("crc32", ""),
    ],
)  # fmt: skip
def test_algorithm_names_are_read_as_people_write_them(written: str, expected: str) -> None:
    assert auth0_algorithm(written) == expected


def one_user(csv_text: str, mapping: CsvMapping) -> SourceUser:
    [user] = users_from_csv(read_csv(csv_text.encode()), mapping)
    return user


def test_it_builds_the_auth0_record_trimmed_without_empty_cells() -> None:
    csv_text = "Mail,First,Last,Verified,Blocked,Nick\n  a@example.com , Ann ,,yes,0,\n"
    mapping = guess_mapping(["Mail", "First", "Last", "Verified", "Blocked", "Nick"])

    user = one_user(csv_text, mapping)

    assert user.number == 2
    assert user.record == {
        "email": "a@example.com",
        "given_name": "Ann",
        "email_verified": True,
        "blocked": False,
    }


def test_a_boolean_it_cannot_read_is_kept_for_the_checks() -> None:
    user = one_user("email,verified\na@example.com,maybe\n", guess_mapping(["email", "verified"]))

    assert user.record["email_verified"] == "maybe"


def test_json_columns_are_parsed() -> None:
    csv_text = (
        'email,app_metadata,user_metadata\na@example.com,"{""plan"": ""pro""}","{""a"": 1}"\n'
    )
    user = one_user(csv_text, guess_mapping(["email", "app_metadata", "user_metadata"]))

    assert user.record["app_metadata"] == {"plan": "pro"}
    assert user.record["user_metadata"] == {"a": 1}
    assert user.problems == ()


def test_a_json_cell_that_does_not_parse_is_a_problem() -> None:
    user = one_user(
        'email,app_metadata\na@example.com,"{plan: pro}"\n',
        guess_mapping(["email", "app_metadata"]),
    )

    assert "app_metadata" not in user.record
    assert user.problems == (
        ("app_metadata", "app_metadata is not valid JSON: Expecting property name enclosed in "
         "double quotes at column 2."),
    )  # fmt: skip


def test_a_digest_hash_becomes_a_custom_password_hash_with_its_salt() -> None:
    mapping = CsvMapping(
        columns={"email": "email", "password_hash_value": "pw", "password_salt": "salt"},
        algorithm="sha256",
        hash_encoding="hex",
        salt_encoding="utf8",
        salt_position="prefix",
    )
    value = hashlib.sha256(b"s4ltpw").hexdigest()

    user = one_user(f"email,pw,salt\na@example.com,{value},s4lt\n", mapping)

    assert user.record["custom_password_hash"] == {
        "algorithm": "sha256",
        "hash": {
            "value": value,
            "encoding": "hex",
            "salt": {"value": "s4lt", "encoding": "utf8", "position": "prefix"},
        },
    }


def test_the_algorithm_column_wins_and_self_describing_hashes_are_utf8() -> None:
    mapping = CsvMapping(
        columns={"email": "email", "password_hash_value": "pw", "password_algorithm": "algo"},
        algorithm="md5",
    )
    csv_file = read_csv(
        f"email,pw,algo\na@example.com,{BCRYPT},BCrypt\nb@example.com,abc,\n".encode()
    )

    first, second = users_from_csv(csv_file, mapping)

    assert first.record["custom_password_hash"] == {
        "algorithm": "bcrypt",
        "hash": {"value": BCRYPT, "encoding": "utf8"},
    }
    assert second.record["custom_password_hash"]["algorithm"] == "md5"
    assert second.record["custom_password_hash"]["hash"]["encoding"] == "hex"


def test_an_unknown_algorithm_is_kept_as_written_and_a_missing_one_left_out() -> None:
    mapping = CsvMapping(
        columns={"email": "email", "password_hash_value": "pw", "password_algorithm": "algo"}
    )
    csv_file = read_csv(b"email,pw,algo\na@example.com,abc,Whirlpool\nb@example.com,abc,\n")

    first, second = users_from_csv(csv_file, mapping)

    assert first.record["custom_password_hash"]["algorithm"] == "Whirlpool"
    assert "algorithm" not in second.record["custom_password_hash"]


def test_a_row_without_a_hash_has_no_password_property() -> None:
    mapping = CsvMapping(
        columns={"email": "email", "password_hash_value": "pw"}, algorithm="bcrypt"
    )

    assert one_user("email,pw\na@example.com,\n", mapping).record == {"email": "a@example.com"}


def test_a_custom_password_hash_column_is_taken_whole() -> None:
    csv_file = CsvFile(
        headers=["email", "custom"],
        rows=[
            {"email": "a@example.com", "custom": '{"algorithm": "bcrypt", "hash": {"value": "x"}}'}
        ],
    )
    mapping = CsvMapping(columns={"email": "email", "custom_password_hash_json": "custom"})

    [user] = users_from_csv(csv_file, mapping)

    assert user.number == 2
    assert user.record["custom_password_hash"] == {"algorithm": "bcrypt", "hash": {"value": "x"}}
