"""Each user of a file checked as Auth0's bulk import would check it, from the file alone.

A row's errors are plain words, one per problem, so the report can show the whole file
before anything is sent; a row with errors is never sent. What needs the connection
(users already there, other organizations' emails) is checked later, elsewhere. A row
without any password hash is fine: it is imported without a password and its user is
mailed a link to choose one (`needs_password_link`).

Built for files of 100,000 users: one pass, validators made once, no per-row regex
compilation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from orgs.usermigration.hashes import bcrypt_problem, hash_problem
from orgs.usermigration.quoting import quoted
from orgs.usermigration.reading import SourceUser, json_kind

PROFILE_LIMIT_BYTES = 10 * 1024
EMAIL_MAX = 254
# The properties Auth0's import schema takes (it refuses any other: additionalProperties).
# Each text property: (shortest, longest) in characters.
TEXT_LIMITS: dict[str, tuple[int, int]] = {
    "user_id": (0, 255),
    "username": (1, 128),
    "given_name": (1, 150),
    "family_name": (1, 150),
    "name": (1, 300),
    "nickname": (1, 300),
}
ALLOWED_PROPERTIES = (
    "email",
    "email_verified",
    "user_id",
    "username",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "blocked",
    "app_metadata",
    "user_metadata",
    "password_hash",
    "custom_password_hash",
    "mfa_factors",
)
_ALLOWED = frozenset(ALLOWED_PROPERTIES)
_ALLOWED_WORDS = ", ".join(ALLOWED_PROPERTIES)
_METADATA = ("app_metadata", "user_metadata")
# Auth0 keeps these names for itself: app_metadata must not use them.
RESERVED_APP_METADATA = frozenset({
    "__tenant", "_id", "blocked", "clientID", "created_at", "email_verified", "email",
    "globalClientID", "global_client_id", "identities", "lastIP", "lastLogin", "loginsCount",
    "metadata", "multifactor_last_modified", "multifactor", "updated_at", "user_id",
})  # fmt: skip
_AUTH0_PREFIX = "auth0|"
_WHITESPACE = re.compile(r"\s")

_email_validator = EmailValidator()
_url_validator = URLValidator(schemes=["http", "https"])


@dataclass
class RowCheck:
    number: int
    email: str  # lower-cased, stripped ("" when missing)
    name: str  # best display name: name, or given + family name, or ""
    record: dict[str, Any]  # the user as it will be sent (email lower-cased, known keys only)
    errors: list[dict[str, str]] = field(default_factory=list)  # [{"field", "message"}]
    # No usable hash: imported without a password, then mailed a link to choose one.
    needs_password_link: bool = False

    @property
    def is_ready(self) -> bool:
        return not self.errors

    def add_error(self, field_name: str, message: str) -> None:
        self.errors.append({"field": field_name, "message": message})


def check_users(
    users: list[SourceUser], *, treat_bad_hash_as_missing: bool = False
) -> list[RowCheck]:
    """Every user checked; later rows repeating an email or user_id get an error.

    With `treat_bad_hash_as_missing`, an unusable hash is dropped (the user gets a password
    link) instead of being an error.
    """
    rows = [_check_user(user, treat_bad_hash_as_missing) for user in users]
    _mark_repeats(rows, "email", lambda row: row.email)
    _mark_repeats(rows, "user_id", _user_id_key)
    return rows


def _check_user(user: SourceUser, treat_bad_hash_as_missing: bool) -> RowCheck:
    raw = user.record
    row = RowCheck(number=user.number, email="", name="", record={})
    whole = [message for field_name, message in user.problems if not field_name]
    if whole or not isinstance(raw, dict):
        for message in whole or ["This user is not an object {...} with an email."]:
            row.add_error("", message)
        return row
    for field_name, message in user.problems:
        row.add_error(field_name, message)
    for key in raw:
        if key not in _ALLOWED:
            row.add_error(
                str(key),
                f"'{key}' is not something Auth0 imports for a user: leave it out. "
                f"The properties are: {_ALLOWED_WORDS}.",
            )
    row.record = {key: value for key, value in raw.items() if key in _ALLOWED}
    _check_email(row)
    _check_texts(row)
    _check_booleans(row)
    _check_picture(row)
    _check_user_id(row)
    _check_metadata(row)
    _check_hashes(row, treat_bad_hash_as_missing)
    if not isinstance(row.record.get("mfa_factors", []), list):
        row.add_error("mfa_factors", "mfa_factors must be a list.")
    row.name = _display_name(row.record)
    _check_size(row)
    return row


def _check_email(row: RowCheck) -> None:
    email = row.record.get("email")
    if email is None or (isinstance(email, str) and not email.strip()):
        row.add_error("email", "Give an email address: Auth0 imports no user without one.")
        return
    if not isinstance(email, str):
        row.add_error("email", "The email address must be text.")
        return
    email = email.strip().lower()
    row.record["email"] = row.email = email
    if len(email) > EMAIL_MAX:
        row.add_error("email", f"The email address is longer than {EMAIL_MAX} characters.")
        return
    try:
        _email_validator(email)
    except ValidationError:
        row.add_error("email", f"{quoted(email, first=True)} is not a valid email address.")


def _check_texts(row: RowCheck) -> None:
    for key, (shortest, longest) in TEXT_LIMITS.items():
        value = row.record.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            row.add_error(key, f"The {key} must be text, not {json_kind(value)}.")
        elif len(value) < shortest:
            row.add_error(
                key, f"The {key} is empty: leave it out or give 1 to {longest} characters."
            )
        elif len(value) > longest:
            row.add_error(key, f"The {key} is longer than {longest} characters ({len(value)}).")


def _check_booleans(row: RowCheck) -> None:
    for key in ("email_verified", "blocked"):
        value = row.record.get(key)
        if value is not None and not isinstance(value, bool):
            shown = quoted(value) if isinstance(value, str) else json_kind(value)
            row.add_error(key, f"{key} must be true or false, not {shown}.")


def _check_picture(row: RowCheck) -> None:
    picture = row.record.get("picture")
    if picture is None:
        return
    try:
        if not isinstance(picture, str):
            raise ValidationError("not text")
        _url_validator(picture)
    except ValidationError:
        row.add_error("picture", "The picture must be a web address (https://...).")


def _check_user_id(row: RowCheck) -> None:
    user_id = row.record.get("user_id")
    if not isinstance(user_id, str):
        return  # missing, or already reported as not text
    if _WHITESPACE.search(user_id):
        row.add_error("user_id", "The user_id must not contain spaces or line breaks.")
    if user_id.startswith(_AUTH0_PREFIX):
        row.add_error(
            "user_id",
            f"Leave '{_AUTH0_PREFIX}' out of the user_id: Auth0 adds it "
            f"(this one would become {_AUTH0_PREFIX}{user_id}).",
        )


def _check_metadata(row: RowCheck) -> None:
    for key in _METADATA:
        value = row.record.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            row.add_error(key, f"{key} must be a JSON object {{...}}, not {json_kind(value)}.")
            continue
        bad_name = _bad_key(value)
        if bad_name is not None:
            row.add_error(
                key,
                f"{key} has a field named '{bad_name}': Auth0 refuses '.' and '$' in "
                "metadata field names.",
            )
        if key == "app_metadata":
            reserved = sorted(RESERVED_APP_METADATA.intersection(value))
            if reserved:
                row.add_error(
                    key,
                    f"app_metadata uses {', '.join(reserved)}, which Auth0 keeps for itself: "
                    "rename or leave out.",
                )


def _bad_key(value: Any) -> str | None:
    """The first key, at any depth, with "." or "$" in its name."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if "." in key or "$" in key:
                return str(key)
            found = _bad_key(inner)
            if found is not None:
                return found
    elif isinstance(value, list):
        for inner in value:
            found = _bad_key(inner)
            if found is not None:
                return found
    return None


def _check_hashes(row: RowCheck, treat_bad_hash_as_missing: bool) -> None:
    has_plain = "password_hash" in row.record
    has_custom = "custom_password_hash" in row.record
    if has_plain and has_custom:
        row.add_error(
            "password_hash",
            "Give either password_hash or custom_password_hash, not both.",
        )
        return
    if not (has_plain or has_custom):
        row.needs_password_link = True
        return
    problem = (
        bcrypt_problem(row.record["password_hash"])
        if has_plain
        else hash_problem(row.record["custom_password_hash"])
    )
    if problem is None:
        return
    if treat_bad_hash_as_missing:
        row.record.pop("password_hash", None)
        row.record.pop("custom_password_hash", None)
        row.needs_password_link = True
    else:
        row.add_error(*problem)


def _check_size(row: RowCheck) -> None:
    size = len(json.dumps(row.record, separators=(",", ":")).encode())
    if size > PROFILE_LIMIT_BYTES:
        kilobytes = -(-size // 1024)  # rounded up: 10.1 KB is over, say 11
        row.add_error(
            "",
            f"The user's profile is {kilobytes} KB; Auth0 takes at most "
            f"{PROFILE_LIMIT_BYTES // 1024} KB per user, metadata included.",
        )


def _display_name(record: dict[str, Any]) -> str:
    name = record.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    parts = [record.get("given_name"), record.get("family_name")]
    return " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())


def _user_id_key(row: RowCheck) -> str:
    user_id = row.record.get("user_id")
    return user_id if isinstance(user_id, str) else ""


def _mark_repeats(rows: list[RowCheck], field_name: str, key_of: Callable[[RowCheck], str]) -> None:
    """Later rows with the same value are refused: the first one keeps it."""
    first_with: dict[str, int] = {}
    for row in rows:
        key = key_of(row)
        if not key:
            continue
        if key in first_with:
            row.add_error(
                field_name,
                f"Also in row {first_with[key]}: Auth0 imports each {_REPEAT_WORDS[field_name]} "
                "once, so only that row is sent.",
            )
        else:
            first_with[key] = row.number


_REPEAT_WORDS = {"email": "email address", "user_id": "user_id"}
