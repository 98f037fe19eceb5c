"""Reading the tenant's `/api/v2/logs` by checkpoint, through the gateway.

auth0-python 6.8's `logs.list` cannot parse checkpoint pages (a bare array), so this is
a plain httpx GET, built the way the SDK's client is (`orgs.auth0.client`): the shared
Management API token, the same event hooks (a rate-limit token taken before the call and
the response's rate-limit headers fed back after it; a 429 raised as `RateLimited` at its
spaced slot; a 401 drops the cached token) and the gateway's error mapping. Reads only,
so there is nothing to fence.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from django.conf import settings

from orgs.auth0 import tokens

# The gateway's own hooks, so this read can never bypass the limiter or its 429 handling.
from orgs.auth0.client import gateway_event_hooks
from orgs.auth0.errors import Auth0Error, error_from_http_response, error_from_transport

# Auth0's maximum for `take`.
PAGE_SIZE = 100


@contextmanager
def logs_http() -> Iterator[httpx.Client]:
    """An HTTP client for the tenant's Management API with the gateway's hooks."""
    with httpx.Client(
        base_url=f"{tokens.auth0_base_url()}/api/v2",
        timeout=settings.AUTH0_TIMEOUT,
        verify=tokens.auth0_tls_verify(),
        event_hooks=gateway_event_hooks(),
    ) as http:
        yield http


def logs_after(http: httpx.Client, log_id: str, *, take: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """The log events after `log_id`, in log id order, at most `take` of them.

    Raises `Auth0Error` (`RateLimited` for our limiter or Auth0's 429)."""
    return _get(http, {"from": log_id, "take": take})


def oldest_logs(http: httpx.Client, *, take: int = 1) -> list[dict[str, Any]]:
    """The oldest events the tenant still has: where checkpoint paging starts without an id.

    Auth0 documents no `from` for "the beginning" (its guide starts from "a log_id of any
    log"), so the first one comes from a search sorted oldest first. One is enough: the
    pages after it are checkpoint pages, ordered by log id as Auth0 promises, which a
    date-sorted search page is not."""
    return _get(http, {"sort": "date:1", "per_page": take, "page": 0})


def _get(http: httpx.Client, params: dict[str, Any]) -> list[dict[str, Any]]:
    token = tokens.management_token()
    try:
        response = http.get("/logs", params=params, headers={"Authorization": f"Bearer {token}"})
    except Auth0Error:
        raise  # raised by the gateway's hooks: our limiter, or Auth0's 429
    except httpx.TransportError as exc:
        raise error_from_transport(exc) from exc
    if response.status_code != 200:
        raise error_from_http_response(response)
    return _events(response)


def _events(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("logs"), list):
        body = body["logs"]  # a search page with include_totals
    if not isinstance(body, list):
        raise Auth0Error(
            "GET /logs answered something that is not a list of log events",
            status=response.status_code,
            code="unexpected_body",
            retryable=True,
        )
    return [event for event in body if isinstance(event, dict)]
