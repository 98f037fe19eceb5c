"""The auth0-python Management API client, built the one way the portal uses it.

- SDK retries are off (`max_retries=0`): the SDK would retry POSTs after a 5xx and 409s,
  duplicating resources; the sync engine owns retries, idempotency and waiting.
- Every request first takes tokens from the shared rate limiter and every response feeds
  its rate-limit headers back, through httpx event hooks, so no call can bypass them.
- The bearer token comes from the shared, cached client-credentials token.
- Every response is counted for `/metrics` (route template, status, 429s, the bucket's
  remaining tokens: `portal.metrics.observe_auth0_response`).
- Every write is fenced: immediately before it is sent, the running operation's claim,
  deadline and locks are checked (`orgs.sync.fencing`), so a stalled worker whose work
  was taken over never writes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import auth0.management.types  # noqa: F401  (see _warm_up)
import httpx
from auth0.management.client import Auth0
from django.conf import settings

from orgs.auth0 import ratelimit, tokens
from orgs.auth0.errors import Auth0Error, error_from_http_response, error_from_sdk
from portal.metrics import observe_auth0_response

# Waiting this long for a rate-limit token inside a call is fine; longer, and the
# operation is rescheduled so the worker can run something that is not throttled.
MAX_IN_CALL_WAIT = 3.0

_lock = threading.Lock()
_clients: dict[str, Auth0] = {}


_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def _before_request(request: httpx.Request) -> None:
    from orgs.sync.fencing import check_before_write

    ratelimit.acquire(request.method, request.url.path, max_wait=MAX_IN_CALL_WAIT, priority=None)
    if request.method not in _READS:
        # After the rate-limit wait, which can take seconds: the last moment we decide.
        check_before_write()


def _after_response(response: httpx.Response) -> None:
    request = response.request
    ratelimit.observe(request.method, request.url.path, response.status_code, response.headers)
    observe_auth0_response(request.method, request.url.path, response.status_code, response.headers)
    if response.status_code == 401:
        # Only drop the token this request used: another worker may have refreshed it.
        rejected = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        tokens.invalidate(rejected or None)
    if response.status_code == 429:
        # Raised here, not left to the SDK's error, so calls Auth0 refused together come
        # back one slot apart in their priority's line instead of all at the reset. (The
        # SDK lets exceptions from httpx hooks through unchanged; httpx closes the response.)
        retry_at = ratelimit.retry_at_after_429(request.method, request.url.path, response.headers)
        raise error_from_http_response(response, retry_at=retry_at)


def gateway_event_hooks() -> dict[str, list[Callable[..., None]]]:
    """The hooks every Management API request goes through (rate limits, fencing, token
    refresh, metrics): for the SDK's client and for plain reads the SDK cannot parse."""
    return {"request": [_before_request], "response": [_after_response]}


def management_client() -> Auth0:
    """The process's client for the configured tenant (thread-safe, shared)."""
    base = f"{tokens.auth0_base_url()}/api/v2"
    with _lock:
        client = _clients.get(base)
        if client is None:
            http = httpx.Client(
                timeout=settings.AUTH0_TIMEOUT,
                verify=tokens.auth0_tls_verify(),
                event_hooks=gateway_event_hooks(),
            )
            client = Auth0(
                base_url=base, token=tokens.management_token, httpx_client=http, max_retries=0
            )
            _warm_up(client)
            _clients[base] = client
        return client


def _warm_up(client: Auth0) -> None:
    """Resolve the SDK's lazily imported sub-clients once, under our lock: its lazy
    `__getattr__` imports are not thread-safe, and worker threads would race them."""
    organizations = client.organizations
    for sub in (
        organizations.enabled_connections,
        organizations.members,
        organizations.members.roles,
        organizations.invitations,
        client.connections.clients,
        client.clients,
        client.users,
        client.roles,
        client.tickets,
        client.connections.scim_configuration,
        client.connections.scim_configuration.tokens,
        client.self_service_profiles,
        client.self_service_profiles.sso_ticket,
        client.emails.provider,  # the tenant checks (orgs/monitoring/tenant_checks.py)
        client.log_streams,
        client.jobs,  # user migration and export (orgs/auth0/operations/jobs.py)
        client.jobs.users_imports,
        client.jobs.users_exports,
        client.jobs.errors,
    ):
        assert sub is not None


def forget_clients() -> None:
    """Drop cached clients (tests that point AUTH0_DOMAIN somewhere else)."""
    with _lock:
        _clients.clear()


@contextmanager
def auth0_call() -> Iterator[None]:
    """Translate whatever the SDK or the network raises into one `Auth0Error`."""
    try:
        yield
    except Auth0Error:
        raise
    except Exception as exc:
        error = error_from_sdk(exc)
        if error.status == 401:
            # The token was refused (rotated or revoked); the next try fetches a new one.
            error.retryable = True
        raise error from exc


def found_or_none(call: Callable[[], Any]) -> dict[str, Any] | None:
    """Run a read; a 404 means "not there" (None), anything else is an error."""
    try:
        with auth0_call():
            return as_dict(call())
    except Auth0Error as exc:
        if exc.status == 404:
            return None
        raise


def gone_is_done(call: Callable[[], Any]) -> None:
    """Run a delete; already gone (404) counts as done, so retries are harmless."""
    try:
        with auth0_call():
            call()
    except Auth0Error as exc:
        if exc.status != 404:
            raise


def as_dict(model: Any) -> dict[str, Any]:
    """An SDK response model as a plain dict (None fields left out)."""
    if model is None:
        return {}
    if isinstance(model, dict):
        return model
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_none=True, by_alias=True)
    return dumped
