"""One error type for everything that goes wrong between us and Auth0.

Callers (tasks, the sync machinery) only need to know two things about a failure: may it
be retried, and when. `Auth0Error.retryable` and `Auth0Error.retry_at` answer that, whatever
raised it: an HTTP response, a transport failure, the SDK, a busy lock or our own rate
limiter. `code` keeps Auth0's machine-readable error code (or the HTTP reason) so a caller
can single out cases such as a 401 that a token refresh may fix, or a 409 to adopt.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import httpx

# 408 and 5xx are the server's or the network's trouble, not our request's: try again.
# 429 is retryable too, but at the time the rate-limit headers give.
_RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Without a usable x-ratelimit-reset, wait at least this long after a 429.
_DEFAULT_429_DELAY = 1.0


class Auth0Error(Exception):
    """A failed Auth0 interaction, with whether and when to retry it."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        retryable: bool = False,
        retry_at: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retryable = retryable
        self.retry_at = retry_at

    def __str__(self) -> str:
        head = f"Auth0 {self.status}" if self.status is not None else "Auth0"
        if self.code:
            head += f" {self.code}"
        text = f"{head}: {self.message}"
        if self.retryable:
            when = ""
            if self.retry_at is not None:
                at = datetime.fromtimestamp(self.retry_at, tz=UTC).strftime("%H:%M:%S.%f")[:-3]
                when = f" at {at} UTC"
            text += f" (retryable{when})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, retryable={self.retryable!r}, retry_at={self.retry_at!r})"
        )

    def retry_in(self, now: float | None = None) -> float:
        """Seconds until `retry_at` (0 when it is unset or past)."""
        if self.retry_at is None:
            return 0.0
        return max(0.0, self.retry_at - (time.time() if now is None else now))


class RateLimited(Auth0Error):
    """No rate-limit token in time (ours or Auth0's 429): retry at `retry_at`."""

    def __init__(self, message: str, *, retry_at: float, status: int | None = None) -> None:
        super().__init__(
            message, status=status, code="too_many_requests", retryable=True, retry_at=retry_at
        )


class LockBusy(Auth0Error):
    """Another worker holds the resource lock: retry soon, this is never a failure."""

    def __init__(self, message: str, *, retry_at: float | None = None) -> None:
        if retry_at is None:
            # Jitter, so the workers that lost the same race don't come back together.
            retry_at = time.time() + random.uniform(0.25, 1.0)
        super().__init__(message, code="lock_busy", retryable=True, retry_at=retry_at)


class LockLost(Auth0Error):
    """A held lock expired or was taken over: what was done under it must be re-verified."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="lock_lost", retryable=True, retry_at=time.time())


def _lower_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {k.lower(): v for k, v in (headers or {}).items()}


def _float_header(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, TypeError, ValueError):
        return None


def response_date(headers: Mapping[str, str] | None) -> float | None:
    """The response's `Date` header as UNIX seconds (the server's clock), None if unusable."""
    raw = _lower_headers(headers).get("date")
    if not raw:
        return None
    try:
        sent = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if sent.tzinfo is None:  # "-0000": HTTP dates are GMT anyway
        sent = sent.replace(tzinfo=UTC)
    return sent.timestamp()


def reset_delay(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from the response to `x-ratelimit-reset`, both on Auth0's clock (its `Date`).

    Our clock may be off from Auth0's by any amount; the difference of two Auth0 times is
    not. None when either header is missing or unusable (callers fall back on our clock).
    """
    reset = _float_header(_lower_headers(headers), "x-ratelimit-reset")
    sent = response_date(headers)
    if reset is None or sent is None or not math.isfinite(reset):
        return None
    return reset - sent


def retry_at_from_headers(
    headers: Mapping[str, str] | None, *, now: float | None = None
) -> float | None:
    """When a throttled call may be retried (our clock): `x-ratelimit-reset`, else `Retry-After`.

    The reset counts from the response's `Date` when it has one, else from `now`."""
    lowered = _lower_headers(headers)
    now = time.time() if now is None else now
    delay = reset_delay(lowered)
    if delay is not None:
        return now + max(delay, 0.0)
    reset = _float_header(lowered, "x-ratelimit-reset")
    if reset is not None:
        return max(reset, now)
    after = _float_header(lowered, "retry-after")
    if after is not None:
        return now + max(after, 0.0)
    return None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _describe(status: int, body: Any) -> tuple[str, str]:
    """Auth0's (code, message) from a Management API or Authentication API error body."""
    if isinstance(body, Mapping):
        # Management API: {statusCode, error, message, errorCode};
        # Authentication API: {error, error_description}.
        code = body.get("errorCode") or body.get("error") or ""
        message = body.get("message") or body.get("error_description") or ""
        return str(code), str(message) or _reason(status)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body.strip():
        # Never echo a whole HTML error page into an operator's screen.
        return "", body.strip()[:200]
    return "", _reason(status)


def error_from_response(
    status: int,
    body: Any,
    headers: Mapping[str, str] | None = None,
    *,
    now: float | None = None,
    retry_at: float | None = None,
) -> Auth0Error:
    """Map an HTTP error response (status, decoded body, headers) to an `Auth0Error`.

    429 is retryable at `retry_at` when given (the rate limiter's spaced slot), else at
    `x-ratelimit-reset`; 408 and 5xx are retryable with no fixed time
    (the caller backs off); every other status, including 401, is not retryable: a 401
    may be fixed by refreshing the token, which is the caller's business (`status == 401`).
    """
    code, message = _describe(status, body)
    if status == 429:
        now = time.time() if now is None else now
        at = retry_at if retry_at is not None else retry_at_from_headers(headers, now=now)
        if at is None:
            at = now + _DEFAULT_429_DELAY
        return RateLimited(message, retry_at=at, status=429)
    if not code:
        code = _reason(status).lower().replace(" ", "_")
    # A 503 may say when the service is back; other statuses leave the backoff to the caller.
    retry_at = retry_at_from_headers(headers, now=now) if status in (502, 503, 504) else None
    return Auth0Error(
        message,
        status=status,
        code=code,
        retryable=status in _RETRYABLE_STATUSES,
        retry_at=retry_at,
    )


def error_from_http_response(
    response: httpx.Response, *, retry_at: float | None = None
) -> Auth0Error:
    """`error_from_response` for an httpx response whose body may not be read yet."""
    response.read()
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return error_from_response(response.status_code, body, response.headers, retry_at=retry_at)


def error_from_transport(exc: Exception) -> Auth0Error:
    """Map a transport failure (timeout, refused connection, broken stream) to a retryable error.

    The request may or may not have been applied: the caller must be idempotent about it.
    """
    code = "timeout" if isinstance(exc, httpx.TimeoutException) else "transport_error"
    return Auth0Error(f"{type(exc).__name__}: {exc}", code=code, retryable=True)


def error_from_sdk(exc: Exception) -> Auth0Error:
    """Map anything auth0-python (or httpx under it) raised to an `Auth0Error`."""
    from auth0.management.core.api_error import ApiError

    if isinstance(exc, Auth0Error):
        return exc
    if isinstance(exc, ApiError) and exc.status_code is not None:
        return error_from_response(exc.status_code, exc.body, exc.headers)
    if isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError):
        return error_from_transport(exc)
    # Unknown: a body the SDK could not parse, or a transient fault inside the SDK (its lazy
    # imports can race under threads). Retry with backoff; a real bug still ends as a
    # visible failure after the last attempt.
    return Auth0Error(f"{type(exc).__name__}: {exc}", code="unexpected", retryable=True)
