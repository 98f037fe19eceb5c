"""Token buckets like Auth0's: one global bucket plus endpoint buckets.

A call takes one token from the global bucket and one from each endpoint bucket its
method and path fall into; if any of them is empty the call is refused (429) and takes
nothing. Response headers describe the most constraining bucket (fewest tokens left).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from .config import BucketConfig, SandboxConfig, default_endpoint_buckets

GLOBAL = "global"

_ORG = r"/api/v2/organizations"
# (bucket, methods, path pattern): Auth0's Enterprise endpoint groups (NOTES.md).
ENDPOINT_GROUPS: list[tuple[str, frozenset[str], re.Pattern[str]]] = [
    (
        "organization_writes",
        frozenset({"POST", "PATCH", "DELETE"}),
        re.compile(rf"^{_ORG}(/[^/]+)?/?$"),
    ),
    (
        "organization_connection_writes",
        frozenset({"POST", "PATCH", "DELETE"}),
        re.compile(rf"^{_ORG}/[^/]+/(enabled_connections|connections)(/[^/]+)?/?$"),
    ),
    (
        "invitations",
        frozenset({"POST", "DELETE"}),
        re.compile(rf"^{_ORG}/[^/]+/invitations(/[^/]+)?/?$"),
    ),
    (
        "member_roles",
        frozenset({"POST", "DELETE"}),
        re.compile(rf"^{_ORG}/[^/]+/members/[^/]+/roles/?$"),
    ),
]


@dataclass
class TokenBucket:
    name: str
    burst: int
    rate: float  # tokens per second
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = max(self.updated, now)

    def remaining(self) -> int:
        return max(0, math.floor(self.tokens + 1e-9))

    def reset_at(self, now: float) -> int:
        """UNIX seconds when the bucket is full again (now, when it already is)."""
        missing = self.burst - self.tokens
        if missing <= 1e-9 or self.rate <= 0:
            return math.ceil(now)
        return math.ceil(now + missing / self.rate)

    def describe(self, now: float) -> dict[str, float | int | str]:
        self.refill(now)
        return {
            "name": self.name,
            "burst": self.burst,
            "rate": self.rate,
            "per_minute": round(self.rate * 60, 3),
            "tokens": round(self.tokens, 3),
            "remaining": self.remaining(),
            "reset": self.reset_at(now),
        }


@dataclass
class Decision:
    allowed: bool
    bucket: TokenBucket  # the bucket the headers describe (the empty one when refused)
    headers: dict[str, str]


class RateLimiter:
    def __init__(self, config: SandboxConfig, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.enabled_endpoints = config.endpoint_buckets
        self._lock = threading.Lock()
        self.buckets: dict[str, TokenBucket] = {}
        settings = {GLOBAL: BucketConfig(config.burst, config.rate), **default_endpoint_buckets()}
        for name, override in config.bucket_overrides.items():
            if name not in settings:
                raise ValueError(f"unknown rate-limit bucket {name!r}")
            base = settings[name]
            settings[name] = BucketConfig(
                int(override.get("burst", base.burst)), float(override.get("rate", base.rate))
            )
        now = clock()
        for name, cfg in settings.items():
            self.buckets[name] = TokenBucket(name, cfg.burst, cfg.rate, float(cfg.burst), now)

    @staticmethod
    def groups_for(method: str, path: str) -> list[str]:
        return [
            name
            for name, methods, pattern in ENDPOINT_GROUPS
            if method in methods and pattern.match(path)
        ]

    def acquire(self, method: str, path: str, *, take: bool = True) -> Decision:
        """Take a token from each bucket of this call, or refuse (taking none).

        `take=False` only reports, for responses that never reached the limiter (faults).
        """
        now = self.clock()
        with self._lock:
            names = [GLOBAL]
            if self.enabled_endpoints:
                names += self.groups_for(method, path)
            buckets = [self.buckets[n] for n in names]
            for bucket in buckets:
                bucket.refill(now)
            empty = [b for b in buckets if b.tokens < 1 - 1e-9]
            if empty:
                return Decision(False, empty[0], self._headers(empty[0], now))
            for bucket in buckets:
                bucket.tokens -= 1 if take else 0
            tightest = min(buckets, key=lambda b: (b.remaining(), -b.reset_at(now)))
            return Decision(True, tightest, self._headers(tightest, now))

    @staticmethod
    def _headers(bucket: TokenBucket, now: float) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(bucket.burst),
            "x-ratelimit-remaining": str(bucket.remaining()),
            "x-ratelimit-reset": str(bucket.reset_at(now)),
        }

    def configure(
        self, name: str, burst: int | None = None, rate: float | None = None, refill: bool = True
    ) -> None:
        with self._lock:
            bucket = self.buckets[name]
            if burst is not None:
                bucket.burst = burst
            if rate is not None:
                bucket.rate = rate
            bucket.tokens = float(bucket.burst) if refill else min(bucket.tokens, bucket.burst)
            bucket.updated = self.clock()

    def refill_all(self) -> None:
        with self._lock:
            now = self.clock()
            for bucket in self.buckets.values():
                bucket.tokens = float(bucket.burst)
                bucket.updated = now

    def describe(self) -> dict[str, object]:
        with self._lock:
            now = self.clock()
            return {
                "endpoint_buckets": self.enabled_endpoints,
                "buckets": {n: b.describe(now) for n, b in self.buckets.items()},
            }
