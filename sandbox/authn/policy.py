"""Database-connection password policy, as Auth0's ``passwordPolicy`` option defines it.

Used where the login pages set a password (invitation sign-up, password-change
ticket). An unset policy means ``good``, the default of a new Auth0 connection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_CLASSES = (
    re.compile(r"[a-z]"),
    re.compile(r"[A-Z]"),
    re.compile(r"[0-9]"),
    re.compile(r"[^A-Za-z0-9]"),
)

_RULES = {
    "none": "Your password must not be empty.",
    "low": "Your password must be at least {n} characters long.",
    "fair": (
        "Your password must be at least {n} characters long and contain lower case "
        "letters, upper case letters and numbers."
    ),
    "good": (
        "Your password must be at least {n} characters long and contain at least 3 of: "
        "lower case letters, upper case letters, numbers, special characters."
    ),
    "excellent": (
        "Your password must be at least {n} characters long, contain at least 3 of: lower "
        "case letters, upper case letters, numbers, special characters, and have no more "
        "than 2 identical characters in a row."
    ),
}
_MIN_LENGTH = {"none": 1, "low": 6, "fair": 8, "good": 8, "excellent": 10}


def check(password: str, options: Mapping[str, Any] | None) -> str | None:
    """None when ``password`` satisfies the connection's policy, else the reason."""
    options = options or {}
    level = str(options.get("passwordPolicy") or "good")
    if level not in _RULES:
        level = "good"
    complexity = options.get("password_complexity_options") or {}
    min_length = _MIN_LENGTH[level]
    if isinstance(complexity, Mapping) and isinstance(complexity.get("min_length"), int):
        min_length = max(min_length, int(complexity["min_length"]))
    message = _RULES[level].format(n=min_length)
    if len(password) < min_length:
        return message
    present = [bool(c.search(password)) for c in _CLASSES]
    if level == "fair" and not all(present[:3]):
        return message
    if level in ("good", "excellent") and sum(present) < 3:
        return message
    if level == "excellent" and re.search(r"(.)\1\1", password):
        return message
    return None
