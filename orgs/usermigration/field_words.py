"""Which column of the person's file a problem is about: a CSV's own header (what they
see in their spreadsheet) rather than the Auth0 field it became; a JSON file's field path
as it is."""

from __future__ import annotations

from orgs.usermigration.mapping import CsvMapping
from orgs.usermigration.models import UserMigration

# The Auth0 field a row's problem names (or its start) -> the mapping field it came from.
_SOURCES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("custom_password_hash.algorithm", ("password_algorithm", "custom_password_hash_json")),
    ("custom_password_hash.hash.salt", ("password_salt", "custom_password_hash_json")),
    ("custom_password_hash", ("password_hash_value", "custom_password_hash_json")),
    ("password_hash", ("password_hash_value",)),
    ("password", ("password_hash_value", "custom_password_hash_json")),
    ("app_metadata", ("app_metadata_json",)),
    ("user_metadata", ("user_metadata_json",)),
)
WHOLE_FILE_ALGORITHM = "Hash algorithm for the whole file"


def field_words(migration: UserMigration, field: str) -> str:
    """`field` in the person's terms: the CSV header it came from, else `field`."""
    if migration.source_format != "csv" or not field:
        return field
    mapping = CsvMapping.from_json(migration.mapping)
    for key in _candidates(field):
        header = mapping.columns.get(key, "")
        if header:
            return header
    if field.startswith("custom_password_hash.algorithm") and mapping.algorithm:
        return WHOLE_FILE_ALGORITHM
    return field


def _candidates(field: str) -> tuple[str, ...]:
    for start, keys in _SOURCES:
        if field == start or field.startswith(start + "."):
            return keys
    return (field.split(".", 1)[0],)
