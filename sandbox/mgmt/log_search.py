"""`GET /api/v2/logs` and `GET /api/v2/logs/{id}`: the tenant log, searched like Auth0's.

The query is `q` in Auth0's long-standing docs and `search` in the 2026 OpenAPI document
(which auth0-python 6.8 sends); both are accepted. Lucene subset: `type:X`,
`type:(a OR b)`, `date:[A TO B]`, quoted values, AND (see `lucene.py`); bare words match
the start of client_name, connection or user_name, as documented. Results are newest
first unless `sort=date:1`. With `from`, entries after that log id are returned oldest
first and every other parameter but `take` is ignored, as Auth0 documents.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from sandbox.errors import invalid_query, not_found
from sandbox.routing import Call, json_response, mgmt_route
from sandbox.state import JSON, LogEntry

from .listing import select_fields
from .lucene import matches, parse

TEXT_FIELDS = ("client_name", "connection", "user_name")
# Codes and ids match whole values even unquoted.
EXACT_FIELDS = frozenset(
    {"type", "log_id", "_id", "client_id", "user_id", "connection_id", "organization_id"}
)
# Auth0 lets a search page through the first 1,000 results only.
SEARCH_CAP = 1000


def _checkpoint(call: Call) -> list[JSON]:
    start = call.args.get("from") or ""
    take = call.query_int("take", 50, minimum=1, maximum=100) or 50
    after = [e for e in call.state.logs if e.log_id > start]
    return [e.to_api() for e in after[:take]]


def _sorted(entries: list[LogEntry], sort: str | None) -> list[LogEntry]:
    field, _, order = (sort or "date:-1").partition(":")
    if order not in ("1", "-1") or not field:
        raise invalid_query("Query validation error: 'Invalid sort' on property sort.")
    if field in ("date", "log_id"):
        # The log is kept in write order; equal timestamps keep that order too.
        return entries if order == "1" else list(reversed(entries))
    return sorted(entries, key=lambda e: str(e.to_api().get(field, "")), reverse=order == "-1")


@mgmt_route("GET", "/logs", scope=("read:logs", "read:logs_users"), description="Search log events")
def search_logs(call: Call) -> Response:
    if call.args.get("from"):
        return json_response(_checkpoint(call))
    entries = list(call.state.logs)
    query_text = call.args.get("q") or call.args.get("search")
    if query_text:
        query = parse(query_text)
        entries = [
            e
            for e in entries
            if matches(
                e.to_api(),
                query,
                default_fields=TEXT_FIELDS,
                prefix=True,
                exact_fields=EXACT_FIELDS,
            )
        ]
    entries = _sorted(entries, call.args.get("sort"))
    page = call.query_int("page", 0, minimum=0) or 0
    per_page = call.query_int("per_page", None, minimum=0, maximum=100)
    if per_page is None:
        per_page = call.query_int("take", 50, minimum=1, maximum=100) or 50
    start = page * per_page
    window = entries[:SEARCH_CAP][start : start + per_page]
    logs = [select_fields(e.to_api(), call) for e in window]
    if call.query_bool("include_totals"):
        return json_response(
            {
                "start": start,
                "limit": per_page,
                "length": len(logs),
                "total": len(entries),
                "logs": logs,
            }
        )
    return json_response(logs)


@mgmt_route(
    "GET", "/logs/<id>", scope=("read:logs", "read:logs_users"), description="Get a log event by id"
)
def get_log(call: Call) -> Response:
    for entry in call.state.logs:
        if entry.log_id == call.params["id"]:
            return json_response(entry.to_api())
    raise not_found("log not found", "inexistent_log")
