"""One Auth0 log event (a `/logs` item) as an `Auth0LogEntry` row.

The searchable fields are lifted into columns and cut to their column's length; the
whole event stays in `raw`. `route` names the Management API route an `api_limit` or
`fapi` event was about, so the scan can count the busiest routes with one GROUP BY.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from orgs.auth0logs.models import Auth0LogEntry

API_PREFIX = "/api/v2"
# A path segment that is a word of the API ("organizations", "enabled_connections",
# "rotate-secret") rather than an id: lower-case letters joined by - or _. Auth0's ids
# carry digits, capitals, "|" or "@" ("org_W4x...", "auth0|65f...", 32-character client
# ids), so they fall outside it.
_API_WORD = re.compile(r"^[a-z]+(?:[-_][a-z]+)*$")
# Auth0's ids start with a short type prefix ("org_", "con_", "rol_", "cgr_", "uinv_");
# the API's own underscored words are longer ("enabled_connections").
_ID_PREFIX = re.compile(r"^[a-z]{2,5}_")
# After these words the next segment is a value, whatever it looks like
# (`/organizations/name/acme`, `/users-by-email`'s siblings use query strings).
_VALUE_AFTER = frozenset({"name"})
# A route named in free text: "GET /api/v2/users/auth0|1 ..." or "... '/api/v2/users'".
_ROUTE_IN_TEXT = re.compile(
    r"(?:\b(GET|POST|PUT|PATCH|DELETE)\s+)?(/api/v2/[^\s'\"?]*)", re.IGNORECASE
)


def entry_from_event(event: dict[str, Any], *, fetched_at: datetime) -> Auth0LogEntry | None:
    """The row for one event, or None when it has no log id (nothing to page or dedupe by)."""
    log_id = _text(event.get("log_id") or event.get("_id"), 128)
    if not log_id:
        return None
    return Auth0LogEntry(
        log_id=log_id,
        date=_date(event.get("date")) or fetched_at,
        type=_text(event.get("type"), 64),
        description=_text(event.get("description"), 10_000),
        client_id=_text(event.get("client_id"), 255),
        client_name=_text(event.get("client_name"), 255),
        connection=_text(event.get("connection"), 255),
        user_id=_text(event.get("user_id"), 255),
        user_name=_text(event.get("user_name"), 255),
        ip=_text(event.get("ip"), 64),
        route=route_of(event),
        raw=event,
        fetched_at=fetched_at,
    )


def route_of(event: dict[str, Any]) -> str:
    """ "GET /organizations/{id}/members" for an event about a Management API call, else "".

    Where the route is: `details.request.{method,path}` (Auth0's `sapi`/`fapi` events, and
    the sandbox's), `details.{method,path}` (the sandbox's `api_limit`), else a route
    named in the description (Auth0's `api_limit` wording).
    """
    details = event.get("details")
    details = details if isinstance(details, dict) else {}
    request = details.get("request")
    request = request if isinstance(request, dict) else {}
    for where in (request, details):
        path = where.get("path")
        if isinstance(path, str) and path.startswith("/"):
            return _route(str(where.get("method") or ""), path)
    match = _ROUTE_IN_TEXT.search(str(event.get("description") or ""))
    if match:
        return _route(match.group(1) or "", match.group(2))
    return ""


def _route(method: str, path: str) -> str:
    path = path.split("?", 1)[0].removeprefix(API_PREFIX) or "/"
    segments: list[str] = []
    value_next = False
    for segment in path.strip("/").split("/"):
        if not segment:
            continue
        is_value = (
            value_next
            or not _API_WORD.match(segment)
            or bool(_ID_PREFIX.match(segment))
            or len(segment) > 40
        )
        segments.append("{id}" if is_value else segment)
        value_next = segment in _VALUE_AFTER and not is_value
    route = "/" + "/".join(segments)
    return f"{method.upper()} {route}".strip()[:255]


def _text(value: Any, length: int) -> str:
    if value is None:
        return ""
    return str(value)[:length]


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)
