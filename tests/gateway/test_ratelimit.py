"""Shared token buckets: arithmetic, atomic global+endpoint takes, header feedback, 429 pauses."""

from __future__ import annotations

import threading
import time

import pytest

from orgs.auth0 import ratelimit
from orgs.auth0.errors import RateLimited
from orgs.auth0.plans import BucketLimit
from orgs.auth0.ratelimit import WAKE_MARGIN, RateLimiter
from portal.coordination import coordination_store
from tests.gateway._clock import FakeClock, exact_limiter

pytestmark = pytest.mark.usefixtures("coordination")

LIMITS = {
    "global": BucketLimit(burst=10, per_second=10),
    "organization_writes": BucketLimit(burst=2, per_second=1),
}
ORG_CREATE = ("POST", "/api/v2/organizations")
CLIENT_READ = ("GET", "/api/v2/clients/abc")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def exact(clock: FakeClock, limits: dict[str, BucketLimit] = LIMITS) -> RateLimiter:
    return exact_limiter(clock, limits)


def test_a_fresh_bucket_starts_full_and_then_says_when_the_next_token_is_due(
    clock: FakeClock,
) -> None:
    limiter = exact(clock)
    assert [limiter.try_acquire(*CLIENT_READ) for _ in range(10)] == [0.0] * 10
    assert limiter.try_acquire(*CLIENT_READ) == pytest.approx(0.1)
    clock.now += 0.05
    assert limiter.try_acquire(*CLIENT_READ) == pytest.approx(0.05)
    clock.now += 0.05
    assert limiter.try_acquire(*CLIENT_READ) == 0.0


def test_refill_stops_at_the_burst(clock: FakeClock) -> None:
    limiter = exact(clock)
    limiter.try_acquire(*CLIENT_READ)
    clock.now += 3600
    assert limiter.level("global").tokens == pytest.approx(10)


def test_an_endpoint_call_takes_from_global_and_its_endpoint_bucket(clock: FakeClock) -> None:
    limiter = exact(clock)
    assert limiter.buckets_for(*ORG_CREATE) == ["global", "organization_writes"]
    assert limiter.buckets_for(*CLIENT_READ) == ["global"]
    limiter.try_acquire(*ORG_CREATE)
    assert limiter.level("global").tokens == pytest.approx(9)
    assert limiter.level("organization_writes").tokens == pytest.approx(1)


def test_a_refused_call_takes_no_token_from_any_bucket(clock: FakeClock) -> None:
    limiter = exact(clock)
    limiter.try_acquire(*ORG_CREATE)
    limiter.try_acquire(*ORG_CREATE)
    assert limiter.try_acquire(*ORG_CREATE) == pytest.approx(1.0)
    assert limiter.level("global").tokens == pytest.approx(8)
    # The endpoint bucket is empty, the global one is not: other calls still go.
    assert limiter.try_acquire(*CLIENT_READ) == 0.0


def test_an_empty_global_bucket_keeps_the_endpoint_token(clock: FakeClock) -> None:
    limiter = exact(clock)
    for _ in range(10):
        limiter.try_acquire(*CLIENT_READ)
    assert limiter.try_acquire(*ORG_CREATE) == pytest.approx(0.1)
    assert limiter.level("organization_writes").tokens == pytest.approx(2)


def test_acquire_sleeps_exactly_until_the_token_is_due_and_counts_the_wait(
    clock: FakeClock,
) -> None:
    limiter = exact(clock)
    limiter.try_acquire(*ORG_CREATE)
    limiter.try_acquire(*ORG_CREATE)
    waited = limiter.acquire(*ORG_CREATE, max_wait=5)
    assert clock.slept == [pytest.approx(1.0 + WAKE_MARGIN)]
    assert waited == pytest.approx(1.0 + WAKE_MARGIN)
    stats = limiter.stats()
    assert stats["granted"] == 3
    assert stats["granted:organization_writes"] == 3
    assert stats["waits"] == 1
    assert stats["wait_seconds"] == pytest.approx(1.0 + WAKE_MARGIN)


def test_acquire_raises_rate_limited_when_the_wait_exceeds_max_wait(clock: FakeClock) -> None:
    limiter = exact(clock)
    limiter.try_acquire(*ORG_CREATE)
    limiter.try_acquire(*ORG_CREATE)
    with pytest.raises(RateLimited) as caught:
        limiter.acquire(*ORG_CREATE, max_wait=0.5)
    assert clock.slept == []
    assert caught.value.retryable
    assert caught.value.retry_at == pytest.approx(clock.now + 1.0, abs=0.01)
    assert limiter.stats()["rate_limited"] == 1


def test_a_lower_remaining_header_lowers_our_level(clock: FakeClock) -> None:
    limiter = exact(clock)
    assert limiter.observe(*CLIENT_READ, 200, {"X-RateLimit-Remaining": "3"})
    assert limiter.level("global").tokens == pytest.approx(3)
    # A higher figure never raises ours: other workers' calls may still be in flight.
    assert not limiter.observe(*CLIENT_READ, 200, {"x-ratelimit-remaining": "9"})
    assert limiter.level("global").tokens == pytest.approx(3)


def test_headers_of_an_endpoint_call_correct_its_endpoint_bucket(clock: FakeClock) -> None:
    limiter = exact(clock)
    limiter.observe(*ORG_CREATE, 201, {"x-ratelimit-remaining": "0"})
    assert limiter.level("organization_writes").tokens == pytest.approx(0)
    assert limiter.level("global").tokens == pytest.approx(10)


def test_the_limit_header_tells_which_bucket_the_headers_describe(clock: FakeClock) -> None:
    limiter = exact(clock)
    limiter.observe(*ORG_CREATE, 201, {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "4"})
    assert limiter.level("global").tokens == pytest.approx(4)
    assert limiter.level("organization_writes").tokens == pytest.approx(2)


def test_a_429_pauses_the_bucket_for_every_limiter_until_the_reset(clock: FakeClock) -> None:
    worker_a, worker_b = exact(clock), exact(clock)
    reset = clock.now + 3
    headers = {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0",
               "x-ratelimit-reset": str(reset)}  # fmt: skip
    assert worker_a.observe(*CLIENT_READ, 429, headers)
    assert worker_b.level("global").paused_until == pytest.approx(reset, abs=1e-6)
    assert worker_b.try_acquire(*CLIENT_READ) == pytest.approx(3.0)
    assert worker_b.try_acquire(*ORG_CREATE) == pytest.approx(3.0)
    worker_b.acquire(*CLIENT_READ, max_wait=5)
    assert clock.now == pytest.approx(reset + WAKE_MARGIN, abs=1e-6)
    # One token is back at the reset, then it refills at the bucket's rate.
    assert worker_a.try_acquire(*CLIENT_READ) == pytest.approx(0.1 - WAKE_MARGIN, abs=1e-5)
    assert worker_a.stats()["http_429"] == 1


def test_a_429_on_an_endpoint_call_pauses_only_that_endpoint_bucket(clock: FakeClock) -> None:
    limiter = exact(clock)
    limiter.observe(*ORG_CREATE, 429, {"x-ratelimit-reset": str(clock.now + 2)})
    assert limiter.try_acquire(*ORG_CREATE) == pytest.approx(2.0)
    assert limiter.try_acquire(*CLIENT_READ) == 0.0


def test_an_older_429_never_shortens_a_pause(clock: FakeClock) -> None:
    limiter = exact(clock)
    limiter.observe(*CLIENT_READ, 429, {"x-ratelimit-reset": str(clock.now + 5)})
    limiter.observe(*CLIENT_READ, 429, {"x-ratelimit-reset": str(clock.now + 1)})
    assert limiter.try_acquire(*CLIENT_READ) == pytest.approx(5.0)


def test_a_429_without_a_usable_reset_pauses_briefly(clock: FakeClock) -> None:
    limiter = exact(clock)
    limiter.observe(*CLIENT_READ, 429, {"x-ratelimit-reset": "soon"})
    assert limiter.try_acquire(*CLIENT_READ) == pytest.approx(ratelimit.DEFAULT_PAUSE)
    limiter.observe(*CLIENT_READ, 429, {"x-ratelimit-reset": str(clock.now + 86400)})
    assert limiter.try_acquire(*CLIENT_READ) == pytest.approx(ratelimit.MAX_PAUSE)


def test_responses_without_rate_limit_headers_change_nothing(clock: FakeClock) -> None:
    limiter = exact(clock)
    assert not limiter.observe(*CLIENT_READ, 200, {"content-type": "application/json"})
    assert coordination_store().keys("rate:*") == []


def test_the_default_margins_stay_under_auth0s_figures() -> None:
    limiter = RateLimiter(coordination_store(), {"global": BucketLimit(burst=50, per_second=16)})
    burst, rate = limiter.effective("global")
    assert burst == 49
    assert 15 < rate < 16


def test_the_module_functions_use_the_configured_plan(settings: object) -> None:
    settings.AUTH0_RATE_PLAN = "enterprise"  # type: ignore[attr-defined]
    settings.AUTH0_RATE_OVERRIDES = "global=3:1"  # type: ignore[attr-defined]
    ratelimit.reset_stats()
    for _ in range(2):  # burst 3, less the safety token
        assert ratelimit.acquire("GET", "/api/v2/clients", max_wait=0) == 0.0
    with pytest.raises(RateLimited):
        ratelimit.acquire("GET", "/api/v2/clients", max_wait=0.1)
    assert ratelimit.observe("GET", "/api/v2/clients", 429, {"x-ratelimit-reset": "0"})
    stats = ratelimit.stats()
    assert (stats["granted"], stats["rate_limited"], stats["http_429"]) == (2, 1, 1)


def test_the_redis_server_clock_paces_real_waits() -> None:
    limiter = RateLimiter(
        coordination_store(), {"global": BucketLimit(burst=2, per_second=20)}, burst_safety=0
    )
    started = time.monotonic()
    for _ in range(4):
        limiter.acquire(*CLIENT_READ, max_wait=1)
    elapsed = time.monotonic() - started
    # Two from the burst, then two more at ~1/19.4 s each.
    assert 0.09 < elapsed < 1.0  # generous: a loaded machine only adds time


def test_concurrent_workers_together_stay_within_burst_plus_rate() -> None:
    limits = {"global": BucketLimit(burst=5, per_second=50)}
    granted_at: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + 1.0

    def worker() -> None:
        limiter = RateLimiter(coordination_store(), limits, burst_safety=0, rate_safety=1.0)
        while True:
            try:
                limiter.acquire(*CLIENT_READ, max_wait=stop - time.monotonic())
            except RateLimited:
                return
            with lock:
                granted_at.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Never more than the burst plus the refill over the time the grants spanned (a little
    # slack for the gap between a grant and its timestamp); under a loaded machine the
    # window may stretch, so the bound follows the observed span, not the nominal second.
    span = granted_at[-1] - granted_at[0]
    assert len(granted_at) <= 5 + 50 * span + 3
    assert len(granted_at) >= 30
