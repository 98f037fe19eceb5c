"""Auth0Error: responses, transport failures and SDK exceptions, each retryable or not."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest
from auth0.management.errors import ConflictError, TooManyRequestsError

from orgs.auth0.errors import (
    Auth0Error,
    LockBusy,
    RateLimited,
    error_from_response,
    error_from_sdk,
    error_from_transport,
)

NOW = 1_780_000_000.0


def test_a_429_is_retryable_at_the_rate_limit_reset() -> None:
    error = error_from_response(
        429,
        {"statusCode": 429, "error": "Too Many Requests", "message": "Global limit reached"},
        {"X-RateLimit-Reset": str(int(NOW) + 7)},
        now=NOW,
    )
    assert isinstance(error, RateLimited)
    assert (error.status, error.code, error.retryable) == (429, "too_many_requests", True)
    assert error.retry_at == NOW + 7
    assert error.retry_in(now=NOW) == 7


@pytest.mark.parametrize("skew", [30, -30], ids=["auth0-ahead", "auth0-behind"])
def test_a_429s_retry_time_counts_from_auth0s_date_header_not_our_clock(skew: int) -> None:
    auth0_now = int(NOW) + skew
    headers = {"X-RateLimit-Reset": str(auth0_now + 7), "Date": formatdate(auth0_now, usegmt=True)}
    error = error_from_response(429, {"message": "slow down"}, headers, now=NOW)
    assert error.retry_at == NOW + 7


def test_an_unusable_date_header_falls_back_on_our_clock() -> None:
    headers = {"x-ratelimit-reset": str(int(NOW) + 7), "date": "not a date"}
    assert error_from_response(429, None, headers, now=NOW).retry_at == int(NOW) + 7


def test_a_429_without_headers_still_waits_a_moment() -> None:
    error = error_from_response(429, None, {}, now=NOW)
    assert error.retry_at is not None
    assert error.retry_at > NOW


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_server_trouble_is_retryable(status: int) -> None:
    assert error_from_response(status, {"message": "boom"}).retryable


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_our_mistakes_are_not_retryable(status: int) -> None:
    error = error_from_response(status, {"message": "no"})
    assert not error.retryable
    assert error.status == status


def test_auth0s_error_code_and_message_are_kept() -> None:
    body = {
        "statusCode": 409,
        "error": "Conflict",
        "message": "An organization with this name already exists",
        "errorCode": "organization_conflict",
    }
    error = error_from_response(409, body)
    assert error.code == "organization_conflict"
    assert error.message == "An organization with this name already exists"
    assert str(error) == f"Auth0 409 organization_conflict: {body['message']}"


def test_authentication_api_bodies_are_understood() -> None:
    body = {"error": "access_denied", "error_description": "Unauthorized"}
    error = error_from_response(401, body)
    assert (error.code, error.message) == ("access_denied", "Unauthorized")


def test_a_non_json_body_is_shortened_and_the_code_falls_back_to_the_reason() -> None:
    error = error_from_response(502, "<html>" + "x" * 1000)
    assert error.code == "bad_gateway"
    assert len(error.message) <= 200


def test_timeouts_and_refused_connections_are_retryable() -> None:
    timeout = error_from_transport(httpx.ReadTimeout("read timed out"))
    refused = error_from_transport(httpx.ConnectError("connection refused"))
    assert (timeout.code, timeout.retryable) == ("timeout", True)
    assert (refused.code, refused.retryable) == ("transport_error", True)


def test_sdk_exceptions_map_to_the_same_errors() -> None:
    throttled = error_from_sdk(
        TooManyRequestsError(body={"message": "slow down"}, headers={"x-ratelimit-reset": "9"})
    )
    assert isinstance(throttled, RateLimited)
    conflict = error_from_sdk(ConflictError(body={"message": "exists", "errorCode": "conflict"}))
    assert (conflict.status, conflict.code, conflict.retryable) == (409, "conflict", False)
    assert error_from_sdk(httpx.ConnectTimeout("slow")).retryable
    # Unknown SDK failures are retried (transient races inside the SDK exist); a real bug
    # still fails visibly once the attempts run out.
    unknown = error_from_sdk(ValueError("bad model"))
    assert (unknown.code, unknown.retryable) == ("unexpected", True)


def test_a_busy_lock_is_retryable_soon_and_readable() -> None:
    error = LockBusy("client abc is locked by another worker")
    assert isinstance(error, Auth0Error)
    assert error.retryable
    assert 0 < error.retry_in() <= 1.0
    assert str(error).startswith("Auth0 lock_busy: client abc is locked")
    assert "retryable at" in str(error)
