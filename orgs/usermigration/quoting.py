"""Quoting a person's value back in a message, unless it may be a secret.

A CSV row with a stray comma shifts its cells, so a password hash can land in the email
or the algorithm column; its message would then carry the hash into the report, the
results CSV and the stored row. A value that looks like one (a `$`, `{SSHA}`-style
prefix, or a long unbroken run of hash characters) is described, never repeated."""

from __future__ import annotations

import re

MAX_QUOTED = 80
_HASH_LIKE = re.compile(r"[A-Za-z0-9+/=._-]{24,}")
NOT_SHOWN = "the value given (not shown: it may be a password hash)"


def quoted(value: str, *, first: bool = False) -> str:
    """'value' in quotes, or words standing for it when it may be a secret (capitalised
    when `first` in the sentence)."""
    if len(value) > MAX_QUOTED or "$" in value or value.startswith("{") or _HASH_LIKE.search(value):
        return NOT_SHOWN.capitalize() if first else NOT_SHOWN
    return f"'{value}'"
