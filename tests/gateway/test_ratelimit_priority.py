"""A person's call never waits behind bulk work: the reserve, per-priority slot lines,
spaced retries after Auth0's 429s, and pauses read on Auth0's clock (its Date header)."""

from __future__ import annotations

import time
from email.utils import formatdate
from itertools import pairwise

import httpx
import pytest
from auth0.management.client import Auth0

from orgs.auth0 import ratelimit
from orgs.auth0.client import _after_response, _before_request
from orgs.auth0.errors import RateLimited
from orgs.auth0.plans import BucketLimit, buckets_for_plan
from orgs.auth0.ratelimit import WAKE_MARGIN, RateLimiter
from portal.coordination import coordination_store
from tests.gateway._clock import FakeClock, exact_limiter

pytestmark = pytest.mark.usefixtures("coordination")

# organization_writes: burst 10, 2/s, so a reserve of 0.2 is 2 tokens and a slot is 0.5 s.
LIMITS = {
    "global": BucketLimit(burst=20, per_second=20),
    "organization_writes": BucketLimit(burst=10, per_second=2),
}
ORG_CREATE = ("POST", "/api/v2/organizations")
RESERVE = 2
SLOT = 0.5
INTERACTIVE, BULK = "interactive", "bulk"  # orgs.models.Priority


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def exact(clock: FakeClock, limits: dict[str, BucketLimit] = LIMITS) -> RateLimiter:
    return exact_limiter(clock, limits)


def throttled_headers(auth0_now: float, reset_in: float, limit: int = 10) -> dict[str, str]:
    """A 429's headers as Auth0 sends them: whole-second reset and Date on Auth0's clock."""
    return {
        "x-ratelimit-limit": str(limit),
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(int(auth0_now + reset_in)),
        "date": formatdate(int(auth0_now), usegmt=True),
    }


# -- the reserve ----------------------------------------------------------------------------


def test_every_bucket_reserves_at_least_one_token_but_never_its_whole_burst() -> None:
    store = coordination_store()
    enterprise = RateLimiter(store, buckets_for_plan("enterprise"))
    # Effective bursts 49, 4 and 19 (Auth0's less one): 20 % of each, rounded up.
    assert enterprise.reserve("global") == 10
    assert enterprise.reserve("organization_writes") == 1
    assert enterprise.reserve("invitations") == 4
    # The free plan's effective burst is 1 token: reserving it would starve bulk work.
    assert RateLimiter(store, buckets_for_plan("free")).reserve("global") == 0
    off = RateLimiter(store, buckets_for_plan("enterprise"), interactive_reserve=0)
    assert off.reserve("global") == 0


def test_bulk_calls_stop_at_the_reserve_and_wait_until_one_token_above_it(
    clock: FakeClock,
) -> None:
    limiter = exact(clock)
    taken = 0
    while limiter.try_acquire(*ORG_CREATE, priority=BULK) == 0.0:
        taken += 1
    assert taken == 10 - RESERVE
    assert limiter.level("organization_writes").tokens == pytest.approx(RESERVE)
    # Bulk waits for reserve + 1 tokens: one refill from here...
    assert limiter.try_acquire(*ORG_CREATE, priority=BULK) == pytest.approx(SLOT)
    # ...while a person takes a reserved token at once, without waiting.
    assert limiter.acquire(*ORG_CREATE, max_wait=0, priority=INTERACTIVE) == 0.0
    assert clock.slept == []
    # Now bulk waits for the reserve to be back as well: two refills.
    assert limiter.try_acquire(*ORG_CREATE, priority=BULK) == pytest.approx(2 * SLOT)
    assert limiter.wait_for(*ORG_CREATE, priority=BULK) == pytest.approx(2 * SLOT)


def test_while_bulk_work_drains_a_bucket_every_person_gets_a_token_without_waiting(
    clock: FakeClock,
) -> None:
    limiter = exact(clock)
    people_waited: list[float] = []
    next_person, end = clock.now + 2, clock.now + 60
    while clock.now < end:
        # Bulk workers take every token they may, as soon as it is there.
        limiter.acquire(*ORG_CREATE, max_wait=10, priority=BULK)
        if clock.now >= next_person:
            people_waited.append(limiter.acquire(*ORG_CREATE, max_wait=0, priority=INTERACTIVE))
            next_person += 2
    assert len(people_waited) >= 28
    assert people_waited == [0.0] * len(people_waited)
    assert sum(clock.slept) > 0  # bulk did wait: the bucket really was drained


@pytest.mark.parametrize(
    ("limits", "call", "bucket"),
    [
        (LIMITS, ORG_CREATE, "organization_writes"),
        (buckets_for_plan("enterprise"), ("GET", "/api/v2/clients"), "global"),
    ],
    ids=["endpoint-bucket", "enterprise-global-with-default-margins"],
)
def test_bulk_work_alone_keeps_nine_tenths_of_the_bucket_bound_and_leaves_the_reserve(
    clock: FakeClock, limits: dict[str, BucketLimit], call: tuple[str, str], bucket: str
) -> None:
    limiter = RateLimiter(coordination_store(), limits, clock=clock, sleep=clock.sleep)
    if limits is LIMITS:
        limiter = exact(clock)
    start, granted = clock.now, 0
    while clock.now - start < 20:
        limiter.acquire(*call, max_wait=10, priority=BULK)
        granted += 1
    span = clock.now - start
    # Auth0's own bound: its whole burst plus its full rate over the run.
    bound = limits[bucket].burst + limits[bucket].per_second * span
    assert granted >= 0.9 * bound
    # ...and a person arriving now still finds the reserve.
    assert limiter.level(bucket).tokens >= limiter.reserve(bucket) - 1e-6
    assert limiter.reserve(bucket) >= 1


# -- slot lines -----------------------------------------------------------------------------


def test_a_person_turned_away_is_not_queued_behind_bulk_slots(clock: FakeClock) -> None:
    limiter = exact(clock)
    for _ in range(10):  # people emptied the bucket, reserve and all
        limiter.try_acquire(*ORG_CREATE, priority=INTERACTIVE)
    bulk_slots = []
    for _ in range(100):
        with pytest.raises(RateLimited) as refused:
            limiter.acquire(*ORG_CREATE, max_wait=0, priority=BULK)
        bulk_slots.append(refused.value.retry_at or 0.0)
    assert all(b - a == pytest.approx(SLOT) for a, b in pairwise(bulk_slots))
    assert bulk_slots[-1] > clock.now + 99 * SLOT

    with pytest.raises(RateLimited) as person:
        limiter.acquire(*ORG_CREATE, max_wait=0, priority=INTERACTIVE)
    # When one token is back, not after a hundred bulk calls (nor even the first of them).
    assert (person.value.retry_at or 0.0) - clock.now == pytest.approx(SLOT + WAKE_MARGIN)
    assert (person.value.retry_at or 0.0) < bulk_slots[0]


# -- Auth0's 429s ---------------------------------------------------------------------------


def test_calls_auth0_refused_at_once_come_back_one_slot_apart_after_the_reset(
    clock: FakeClock,
) -> None:
    limiter = exact(clock)
    headers = throttled_headers(clock.now, reset_in=5)
    retry_at = []
    for _ in range(20):  # twenty calls in flight, all answered 429
        limiter.observe(*ORG_CREATE, 429, headers)
        retry_at.append(limiter.retry_at_after_429(*ORG_CREATE, headers))
    assert retry_at[0] - clock.now == pytest.approx(5)
    assert all(b - a == pytest.approx(SLOT) for a, b in pairwise(retry_at))


def test_bulk_calls_refused_by_auth0_queue_apart_from_people(clock: FakeClock) -> None:
    limiter = exact(clock)
    headers = throttled_headers(clock.now, reset_in=5)
    limiter.observe(*ORG_CREATE, 429, headers)
    bulk = [limiter.retry_at_after_429(*ORG_CREATE, headers, priority=BULK) for _ in range(50)]
    person = limiter.retry_at_after_429(*ORG_CREATE, headers, priority=INTERACTIVE)
    # At the reset one token is back, and it is the person's; bulk waits for its reserve.
    assert person - clock.now == pytest.approx(5)
    assert bulk[0] - clock.now == pytest.approx(5 + RESERVE * SLOT)
    assert bulk[-1] - bulk[0] == pytest.approx(49 * SLOT)


def _throttling_tenant(skew: float, reset_in: float) -> httpx.MockTransport:
    """A tenant whose clock is `skew` seconds off ours and that refuses every call."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = {"statusCode": 429, "error": "Too Many Requests", "message": "Slow down"}
        headers = throttled_headers(time.time() + skew, reset_in, limit=5)
        return httpx.Response(429, headers=headers, json=body)

    return httpx.MockTransport(handler)


def test_operations_auth0_refused_together_get_distinct_spaced_retry_times(
    settings: object,
) -> None:
    settings.AUTH0_RATE_OVERRIDES = "organization_writes=5:2"  # type: ignore[attr-defined]
    # Only the response hook: as if all these requests were in flight together.
    http = httpx.Client(
        transport=_throttling_tenant(skew=0, reset_in=4),
        event_hooks={"response": [_after_response]},
    )
    retry_at = []
    for n in range(8):
        with pytest.raises(RateLimited) as refused:
            http.post("https://tenant.test/api/v2/organizations", json={"name": f"o{n}"})
        assert refused.value.status == 429 and refused.value.message == "Slow down"
        retry_at.append(refused.value.retry_at or 0.0)
    assert len(set(retry_at)) == 8
    # One refill apart (slots are kept on the Redis clock and handed out on ours: the two
    # are read a moment apart, hence the tolerance).
    spacing = 1 / (2 * ratelimit.RATE_SAFETY)
    assert all(b - a == pytest.approx(spacing, abs=0.05) for a, b in pairwise(retry_at))
    assert retry_at[0] - time.time() == pytest.approx(4, abs=1.5)  # at the reset, not before


def test_a_429_reaches_the_caller_through_the_sdk_as_rate_limited_at_a_slot(
    settings: object,
) -> None:
    settings.AUTH0_RATE_OVERRIDES = "organization_writes=5:2"  # type: ignore[attr-defined]
    http = httpx.Client(
        transport=_throttling_tenant(skew=30, reset_in=4),
        event_hooks={"request": [_before_request], "response": [_after_response]},
    )
    sdk = Auth0(base_url="https://tenant.test/api/v2", token="t", httpx_client=http, max_retries=0)
    with pytest.raises(RateLimited) as refused:
        list(sdk.organizations.list(take=1))
    assert refused.value.status == 429
    # Four seconds on Auth0's clock, though Auth0's clock is 30 s ahead of ours.
    assert (refused.value.retry_at or 0.0) - time.time() == pytest.approx(4, abs=1.5)


# -- Auth0's clock, not ours ----------------------------------------------------------------


@pytest.mark.parametrize("skew", [30.0, -30.0], ids=["auth0-ahead", "auth0-behind"])
def test_a_worker_clock_off_from_auth0s_date_still_pauses_for_reset_minus_date(
    clock: FakeClock, skew: float
) -> None:
    limiter = exact(clock)
    headers = throttled_headers(clock.now + skew, reset_in=4)
    assert limiter.observe(*ORG_CREATE, 429, headers)
    assert limiter.level("organization_writes").paused_until - clock.now == pytest.approx(4)
    assert limiter.try_acquire(*ORG_CREATE) == pytest.approx(4)
    assert limiter.retry_at_after_429(*ORG_CREATE, headers) - clock.now == pytest.approx(4)


def test_the_bucket_pause_is_applied_on_the_redis_clock() -> None:
    limiter = RateLimiter(coordination_store(), LIMITS, rate_safety=1.0, burst_safety=0)
    headers = throttled_headers(time.time() - 30, reset_in=5)  # Auth0's clock 30 s behind
    limiter.observe(*ORG_CREATE, 429, headers)
    paused_for = limiter.level("organization_writes").paused_until - limiter.now()
    assert paused_for == pytest.approx(5, abs=1.0)


def test_without_a_usable_date_the_reset_is_read_on_our_clock(clock: FakeClock) -> None:
    limiter = exact(clock)
    headers = throttled_headers(clock.now, reset_in=3) | {"date": "yesterday-ish"}
    limiter.observe(*ORG_CREATE, 429, headers)
    assert limiter.try_acquire(*ORG_CREATE) == pytest.approx(3)
    assert limiter.retry_at_after_429(*ORG_CREATE, headers) - clock.now == pytest.approx(3)


# -- the module functions -------------------------------------------------------------------


def test_the_module_functions_take_the_priority_of_the_work_in_progress(
    settings: object,
) -> None:
    from orgs.sync.priority import bulk_priority

    settings.AUTH0_RATE_OVERRIDES = "global=6:0.5"  # type: ignore[attr-defined]
    # Effective burst 5, reserve 1: bulk gets four tokens, the fifth is a person's.
    with bulk_priority():
        for _ in range(4):
            assert ratelimit.acquire("GET", "/api/v2/clients", max_wait=0) == 0.0
        with pytest.raises(RateLimited):
            ratelimit.acquire("GET", "/api/v2/clients", max_wait=0)
    assert ratelimit.acquire("GET", "/api/v2/clients", max_wait=0) == 0.0
    stats = ratelimit.stats()
    assert (stats["granted_bulk"], stats["granted_interactive"]) == (4, 1)
