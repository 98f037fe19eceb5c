"""Which CSV column holds what, and the users a mapped CSV makes, in Auth0's import shape.

The person confirms (or corrects) a guessed mapping; `mapping_problems` says what keeps a
mapping from being used. `users_from_csv` builds each row's record as Auth0's bulk import
takes it: text trimmed, empty cells left out, yes/no columns as booleans, JSON columns
parsed, and any password hash as a `custom_password_hash` (Auth0 takes every algorithm,
bcrypt included, that way). What cannot be read is kept for the checks to report: a
boolean that is not one keeps its text, a JSON cell that does not parse becomes a
SourceUser problem ("app_metadata is not valid JSON: ...").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from orgs.usermigration.hashes import ALGORITHMS, ENCODINGS, SALT_POSITIONS, SELF_DESCRIBING
from orgs.usermigration.quoting import quoted
from orgs.usermigration.reading import CsvFile, SourceUser


@dataclass(frozen=True)
class MappedField:
    key: str
    label: str
    help: str


FIELDS: tuple[MappedField, ...] = (
    MappedField("email", "Email address", "Required: each user signs in with it."),
    MappedField("email_verified", "Email verified", "true or false (yes/no, 1/0)."),
    MappedField("given_name", "First name", ""),
    MappedField("family_name", "Last name", ""),
    MappedField("name", "Full name", ""),
    MappedField("nickname", "Nickname", ""),
    MappedField("username", "Username", "Only when the connection uses usernames."),
    MappedField("user_id", "User id", "Your system's id; Auth0 makes it auth0|<id>."),
    MappedField("picture", "Picture URL", "A web address of the user's picture."),
    MappedField("blocked", "Blocked", "true for users who must not sign in."),
    MappedField("password_hash_value", "Password hash", "The hash your system stored."),
    MappedField("password_algorithm", "Hash algorithm", "Per row: bcrypt, md5, sha256, ..."),
    MappedField("password_salt", "Salt", "The salt, for md5/sha hashes that used one."),
    MappedField(
        "custom_password_hash_json",
        "custom_password_hash (JSON)",
        "A whole Auth0 custom_password_hash object per row, instead of the columns above.",
    ),
    MappedField("app_metadata_json", "app_metadata (JSON)", "A JSON object per row."),
    MappedField("user_metadata_json", "user_metadata (JSON)", "A JSON object per row."),
)
FIELD_KEYS = tuple(f.key for f in FIELDS)
_LABELS = {f.key: f.label for f in FIELDS}
_TEXT_FIELDS: tuple[str, ...] = ("email", "given_name", "family_name", "name", "nickname")
_TEXT_FIELDS += ("username", "user_id", "picture")
_BOOLEAN_FIELDS = ("email_verified", "blocked")
_JSON_FIELDS = {
    "app_metadata_json": "app_metadata",
    "user_metadata_json": "user_metadata",
    "custom_password_hash_json": "custom_password_hash",
}
_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})

# Normalised header names (lower case, letters and digits only) each field answers to.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "mail", "useremail", "emails"),
    "email_verified": ("emailverified", "verified", "isverified", "emailconfirmed"),
    "given_name": ("givenname", "firstname", "first", "forename", "prenom"),
    "family_name": ("familyname", "lastname", "last", "surname"),
    "name": ("name", "fullname", "displayname"),
    "nickname": ("nickname", "nick"),
    "username": ("username", "loginname", "login", "userlogin"),
    "user_id": ("userid", "id", "uid", "externalid", "legacyid"),
    "picture": ("picture", "pictureurl", "avatar", "avatarurl", "photo", "photourl", "image"),
    "blocked": ("blocked", "isblocked", "disabled", "locked"),
    "password_hash_value": (
        "passwordhash",
        "password",
        "hash",
        "hashedpassword",
        "passwordhashvalue",
        "pwhash",
        "passwd",
    ),
    "password_algorithm": (
        "hashalgorithm",
        "algorithm",
        "passwordalgorithm",
        "passwordhashalgorithm",
        "hashtype",
        "passwordscheme",
    ),
    "password_salt": ("salt", "passwordsalt", "hashsalt"),
    "custom_password_hash_json": ("custompasswordhash",),
    "app_metadata_json": ("appmetadata",),
    "user_metadata_json": ("usermetadata",),
}
# Algorithm column values, normalised like headers, that name an Auth0 algorithm.
_ALGORITHM_ALIASES: dict[str, str] = {
    **{name: name for name in ALGORITHMS},
    "argon2id": "argon2",
    "argon2i": "argon2",
    "argon2d": "argon2",
    "2a": "bcrypt",
    "2b": "bcrypt",
    "2y": "bcrypt",
    "blowfish": "bcrypt",
    "ssha": "ldap",
    "smd5": "ldap",
    "ssha256": "ldap",
    "ssha512": "ldap",
    "rfc2307": "ldap",
    "sha": "sha1",
    "sha2": "sha256",
    "pbkdf2sha1": "pbkdf2",
    "pbkdf2sha256": "pbkdf2",
    "pbkdf2sha512": "pbkdf2",
}


def _normalised(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def auth0_algorithm(value: str) -> str:
    """Auth0's name for an algorithm as people write it ("SHA-256" -> "sha256"), or ""."""
    return _ALGORITHM_ALIASES.get(_normalised(value), "")


@dataclass
class CsvMapping:
    columns: dict[str, str] = field(default_factory=dict)  # field key -> header ("": none)
    algorithm: str = ""  # file-wide, when there is no algorithm column ("": none)
    hash_encoding: str = "hex"  # hex | base64 | utf8, for md4/md5/sha1/sha256/sha512 values
    salt_encoding: str = "utf8"  # hex | base64 | utf8
    salt_position: str = "suffix"  # prefix | suffix

    def column(self, key: str) -> str:
        return self.columns.get(key, "")

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": {key: header for key, header in self.columns.items() if header},
            "hash": {
                "algorithm": self.algorithm,
                "hash_encoding": self.hash_encoding,
                "salt_encoding": self.salt_encoding,
                "salt_position": self.salt_position,
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CsvMapping:
        columns = data.get("columns") or {}
        hash_ = data.get("hash") or {}
        return cls(
            columns={k: str(v) for k, v in columns.items() if k in FIELD_KEYS and v},
            algorithm=str(hash_.get("algorithm", "")),
            hash_encoding=str(hash_.get("hash_encoding", "hex")),
            salt_encoding=str(hash_.get("salt_encoding", "utf8")),
            salt_position=str(hash_.get("salt_position", "suffix")),
        )


def guess_mapping(headers: list[str]) -> CsvMapping:
    """The mapping the headers suggest: each field takes the first header that names it."""
    by_name: dict[str, str] = {}
    for header in headers:
        by_name.setdefault(_normalised(header), header)
    columns: dict[str, str] = {}
    taken: set[str] = set()
    for key in FIELD_KEYS:
        for synonym in _SYNONYMS[key]:
            found = by_name.get(_normalised(synonym))
            if found and found not in taken:
                columns[key] = found
                taken.add(found)
                break
    return CsvMapping(columns=columns)


def mapping_problems(mapping: CsvMapping, headers: list[str]) -> list[tuple[str, str]]:
    """(field key, message) for each thing that keeps this mapping from being used."""
    problems: list[tuple[str, str]] = []
    if not mapping.column("email"):
        problems.append(("email", "Choose the column that holds the email addresses."))
    used_by: dict[str, str] = {}
    for key in FIELD_KEYS:
        header = mapping.column(key)
        if not header:
            continue
        if header not in headers:
            problems.append((key, f"The file has no column '{header}'."))
        elif header in used_by:
            other = _LABELS[used_by[header]]
            problems.append((key, f"The column '{header}' is already used for {other}."))
        else:
            used_by[header] = key
    return problems + _hash_mapping_problems(mapping)


def _hash_mapping_problems(mapping: CsvMapping) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    has_hash = bool(mapping.column("password_hash_value"))
    has_algorithm_column = bool(mapping.column("password_algorithm"))
    if mapping.algorithm and mapping.algorithm not in ALGORITHMS:
        problems.append((
            "algorithm",
            f"'{mapping.algorithm}' is not an algorithm Auth0 can import: use "
            f"{', '.join(ALGORITHMS)}.",
        ))  # fmt: skip
    if has_hash and not has_algorithm_column and not mapping.algorithm:
        problems.append((
            "password_algorithm",
            "Say which algorithm made the password hashes: choose the column that names it, "
            "or one algorithm for the whole file.",
        ))  # fmt: skip
    if not has_hash and (
        has_algorithm_column or mapping.algorithm or mapping.column("password_salt")
    ):
        problems.append((
            "password_hash_value",
            "Choose the column that holds the password hashes, or leave the algorithm and "
            "salt unset.",
        ))  # fmt: skip
    if has_hash and mapping.column("custom_password_hash_json"):
        problems.append((
            "custom_password_hash_json",
            "Use either a column of password hashes or a column of custom_password_hash "
            "JSON, not both.",
        ))  # fmt: skip
    if mapping.algorithm == "hmac" and not has_algorithm_column:
        problems.append((
            "algorithm",
            "HMAC hashes need their digest and key: give each row's hash as "
            "custom_password_hash JSON instead.",
        ))  # fmt: skip
    for name, value, allowed in (
        ("hash_encoding", mapping.hash_encoding, ENCODINGS),
        ("salt_encoding", mapping.salt_encoding, ENCODINGS),
        ("salt_position", mapping.salt_position, SALT_POSITIONS),
    ):
        if value not in allowed:
            problems.append(
                (name, f"{quoted(value, first=True)} is not one of {', '.join(allowed)}.")
            )
    if mapping.algorithm in ("md4", "md5", "sha1", "sha256", "sha512") and (
        mapping.hash_encoding == "utf8"
    ):
        problems.append((
            "hash_encoding",
            f"{mapping.algorithm} hashes are written as hex or base64: choose which.",
        ))  # fmt: skip
    return problems


def users_from_csv(csv_file: CsvFile, mapping: CsvMapping) -> list[SourceUser]:
    """Each row as a SourceUser whose record is in Auth0's import shape."""
    return [_user(csv_file.line_of(index), row, mapping) for index, row in enumerate(csv_file.rows)]


def _user(number: int, row: dict[str, str], mapping: CsvMapping) -> SourceUser:
    def cell(key: str) -> str:
        header = mapping.column(key)
        return (row.get(header) or "").strip() if header else ""

    record: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for key in _TEXT_FIELDS:
        if value := cell(key):
            record[key] = value
    for key in _BOOLEAN_FIELDS:
        if value := cell(key):
            record[key] = _boolean(value)
    for key, target in _JSON_FIELDS.items():
        if value := cell(key):
            try:
                record[target] = json.loads(value)
            except json.JSONDecodeError as exc:
                problems.append(
                    (target, f"{target} is not valid JSON: {exc.msg} at column {exc.colno}.")
                )
            except (ValueError, RecursionError):  # huge numbers, deep nesting
                problems.append((target, f"{target} nests too deeply or holds a huge number."))
    if value := cell("password_hash_value"):
        algorithm = cell("password_algorithm") or mapping.algorithm
        record["custom_password_hash"] = _custom_hash(
            value, algorithm, cell("password_salt"), mapping
        )
    return SourceUser(number=number, record=record, problems=tuple(problems))


def _boolean(value: str) -> bool | str:
    word = value.casefold()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return value  # the checks report it


def _custom_hash(value: str, algorithm: str, salt: str, mapping: CsvMapping) -> dict[str, Any]:
    # An unknown name is kept as written, so the report can quote it.
    auth0_name = auth0_algorithm(algorithm) or algorithm
    self_describing = auth0_name in SELF_DESCRIBING
    hash_: dict[str, Any] = {
        "value": value,
        "encoding": "utf8" if self_describing else mapping.hash_encoding,
    }
    if salt:
        hash_["salt"] = {
            "value": salt,
            "encoding": mapping.salt_encoding,
            "position": mapping.salt_position,
        }
    custom: dict[str, Any] = {"hash": hash_}
    if auth0_name:
        custom = {"algorithm": auth0_name, **custom}
    return custom
