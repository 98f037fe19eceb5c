"""What the rate limiter reads from a call: its API path, its priority, a numeric header."""

from __future__ import annotations

import math
from collections.abc import Mapping
from urllib.parse import urlsplit

INTERACTIVE, BULK = "interactive", "bulk"  # orgs.models.Priority's values


def _api_path(path: str) -> str:
    """The Management API path `endpoint_bucket` expects: no host, query or /api/v2."""
    path = urlsplit(path).path if "://" in path else path.split("?", 1)[0]
    return path.removeprefix("/api/v2") or "/"


def _priority(priority: str | None) -> str:
    """The given priority, or the work in progress's (`orgs.sync.priority`)."""
    if priority is None:
        from orgs.sync.priority import current_priority  # needs the app registry

        priority = current_priority()
    if priority not in (INTERACTIVE, BULK):
        raise ValueError(f"unknown priority {priority!r}")
    return priority


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        return ""
    try:
        number = float(value)
    except ValueError:
        return ""
    return repr(number) if math.isfinite(number) else ""
