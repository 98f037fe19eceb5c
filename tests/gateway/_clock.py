"""Simulated time for the rate-limiter tests: it moves only when something sleeps."""

from __future__ import annotations

from collections.abc import Mapping

from orgs.auth0.plans import BucketLimit
from orgs.auth0.ratelimit import RateLimiter
from portal.coordination import coordination_store


class FakeClock:
    """Time that moves only when something sleeps (or a test moves it)."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def exact_limiter(clock: FakeClock, limits: Mapping[str, BucketLimit]) -> RateLimiter:
    """A limiter without safety margins on simulated time, so the arithmetic is Auth0's
    own and exact."""
    return RateLimiter(
        coordination_store(),
        limits,
        clock=clock,
        sleep=clock.sleep,
        rate_safety=1.0,
        burst_safety=0,
    )
