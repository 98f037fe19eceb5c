"""A bulk run's time left, from the rate-limit buckets' share for the bulk lane."""

from __future__ import annotations

from typing import Any

import pytest

from orgs.auth0.plans import BucketLimit
from orgs.auth0.ratelimit import RateLimiter
from orgs.bulk.eta import describe_seconds_left, remaining_calls, seconds_left
from orgs.models import Application, BulkRunStatus
from orgs.services.bulk import bulk_run_create, bulk_run_execute
from portal.coordination import coordination_store

LIMITS = {
    "global": BucketLimit(burst=50, per_second=16),
    "organization_writes": BucketLimit(burst=5, per_second=150 / 60),
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def rate_limiter() -> RateLimiter:
    store = coordination_store()
    store.flushdb()
    return RateLimiter(store, LIMITS, clock=Clock(), prefix="test-eta:")


def test_the_slowest_bucket_at_the_bulk_share_sets_the_time(rate_limiter: RateLimiter) -> None:
    # organization_writes: burst 4 (5 less the safety token), 2.45/s; 1 token reserved for
    # people, so bulk takes 3 at once and then 2.45 * 3/4 per second.
    seconds = seconds_left({"global": 200, "organization_writes": 200}, rate_limiter)

    assert seconds == pytest.approx(197 / (2.45 * 3 / 4))
    assert describe_seconds_left(seconds) == "about 2 minutes left"


def test_a_paused_bucket_adds_its_pause(rate_limiter: RateLimiter) -> None:
    rate_limiter.store.hset(
        rate_limiter.key("organization_writes"),
        mapping={"tokens": 0, "ts": 1000.0, "paused_until": 1030.0},
    )

    seconds = seconds_left({"organization_writes": 3}, rate_limiter)

    assert seconds == pytest.approx(30 + 3 / (2.45 * 3 / 4))


def test_nothing_left_takes_no_time(rate_limiter: RateLimiter) -> None:
    assert seconds_left({}, rate_limiter) == 0.0
    assert seconds_left({"global": 0, "unknown_bucket": 5}, rate_limiter) == 0.0


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "finishing"),
        (9.9, "finishing"),
        (30, "less than a minute left"),
        (60, "about 1 minute left"),
        (110, "about 2 minutes left"),
        (89 * 60, "about 89 minutes left"),
        (2 * 3600, "about 2 hours left"),
    ],
)
def test_the_time_left_in_words(seconds: float, words: str) -> None:
    assert describe_seconds_left(seconds) == words


@pytest.mark.django_db
def test_remaining_calls_count_planned_rows_then_open_operations(demo: None) -> None:
    app = Application.objects.get(client_id="sandbox-demo-app")
    content = (
        b"name,display_name,membership_model,admin_email,callback_urls\n"
        b"initech,Initech,shared_db,boss@initech.test,https://initech.example.com/cb\n"
        b"umbrella,Umbrella,own_db,,\n"
    )
    run = bulk_run_create(actor=None, file_name="x.csv", content=content, application=app)

    # Not created yet: what each row will record (its link goes with the create).
    assert remaining_calls(run) == {"global": 8, "organization_writes": 2, "invitations": 1}

    run.status = BulkRunStatus.CREATING
    run.save()
    bulk_run_execute(run_id=run.pk)

    calls: Any = remaining_calls(run)
    assert calls["organization_writes"] == 2 and calls["invitations"] == 1
    assert calls["global"] >= 8
