"""Token buckets for the Management API, shared by every worker through the coordination store.

Auth0 meters the tenant with token buckets: a global one and endpoint groups (organization
writes, invitations, ...; `orgs.auth0.plans`). We keep a copy of each in the store and take a
token before every call, so all workers together stay under the tenant's limits instead of
each discovering them by 429s.

- `acquire` takes one token from "global" and one from the call's endpoint bucket, in one Lua
  script, so a call never holds one without the other. When a token is missing the script
  says exactly when it will be there, and the caller sleeps that long (no polling).
- `observe` feeds every response's rate-limit headers back: a lower `x-ratelimit-remaining`
  lowers our level; a 429 pauses the bucket for every worker until `x-ratelimit-reset`.
- Time is the Redis server's (`TIME` inside the scripts), so workers on different hosts
  agree; tests can pass a clock instead. Auth0's own times (`x-ratelimit-reset`) are read
  against the response's `Date`, so a worker whose clock is off still pauses for as long
  as Auth0 asked.

Two priorities share every bucket (`orgs.sync.priority`). Bulk work may only take a token
while the bucket keeps its *reserve* (`AUTH0_RATE_INTERACTIVE_RESERVE` of the burst, at
least one token), so a person's change always finds headroom. The reserve is headroom, not
a rate split: with nobody interactive, bulk takes every token above it, at the full rate.
Calls turned away (by us, or by Auth0 with a 429) get spaced slots in one virtual line per
bucket *and priority*, so a person never queues behind hundreds of bulk slots.

We run slightly under Auth0's figures (`RATE_SAFETY`, `BURST_SAFETY`): our grant times are
not Auth0's arrival times (network jitter can bunch requests up), and a 429 costs more
than a few per cent of throughput.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import redis
from django.conf import settings

from orgs.auth0.bucket_scripts import ACQUIRE_SCRIPT, OBSERVE_SCRIPT, SLOT_SCRIPT
from orgs.auth0.errors import RateLimited, reset_delay
from orgs.auth0.plans import BucketLimit, buckets_for_plan, endpoint_bucket
from orgs.auth0.ratelimit_inputs import BULK, INTERACTIVE, _api_path, _header, _priority
from portal.coordination import coordination_store

PREFIX = "rate:"
RATE_SAFETY = 0.98  # refill at 98 % of Auth0's rate
BURST_SAFETY = 1  # and hold one token less than Auth0's burst
# Sleep a hair past the computed instant, so we wake to a whole token, not 0.9999 of one.
WAKE_MARGIN = 0.001
# A 429 without a usable reset pauses this long; a reset further away than MAX_PAUSE is
# treated as garbage (clock skew, a proxy's header) and capped.
DEFAULT_PAUSE = 1.0
MAX_PAUSE = 120.0
# Idle bucket keys expire once they would be full again anyway (plus this slack).
IDLE_SLACK = 60.0
# The share of every bucket's burst bulk work leaves for people (AUTH0_RATE_INTERACTIVE_RESERVE).
INTERACTIVE_RESERVE = 0.2


@dataclass(frozen=True)
class BucketLevel:
    """A bucket as the store sees it now (for tests, the bench and operators)."""

    tokens: float
    paused_until: float


class RateLimiter:
    """The shared buckets of one tenant plan; any number of instances share the state."""

    def __init__(
        self,
        store: redis.Redis,
        limits: Mapping[str, BucketLimit],
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        rate_safety: float = RATE_SAFETY,
        burst_safety: int = BURST_SAFETY,
        interactive_reserve: float = INTERACTIVE_RESERVE,
        prefix: str = PREFIX,
    ) -> None:
        if not 0 <= interactive_reserve < 1:
            raise ValueError(f"interactive_reserve {interactive_reserve!r} is not in [0, 1)")
        self.store = store
        self.limits = dict(limits)
        self.clock = clock  # None: the Redis server's clock
        self.sleep = sleep or time.sleep
        self.rate_safety = rate_safety
        self.burst_safety = burst_safety
        self.interactive_reserve = interactive_reserve
        self.prefix = prefix
        self._acquire = store.register_script(ACQUIRE_SCRIPT.replace("SLACK", repr(IDLE_SLACK)))
        self._observe = store.register_script(OBSERVE_SCRIPT.replace("SLACK", repr(IDLE_SLACK)))
        self._slot = store.register_script(SLOT_SCRIPT.replace("SLACK", repr(IDLE_SLACK)))

    # -- naming -------------------------------------------------------------------------

    def buckets_for(self, method: str, path: str) -> list[str]:
        """The buckets a call takes a token from: "global", then its endpoint bucket if any."""
        names = ["global"]
        endpoint = endpoint_bucket(method, _api_path(path))
        if endpoint is not None and endpoint in self.limits:
            names.append(endpoint)
        return names

    def key(self, bucket: str) -> str:
        return f"{self.prefix}bucket:{bucket}"

    def slot_key(self, bucket: str, priority: str) -> str:
        return f"{self.prefix}slot:{bucket}:{priority}"

    @property
    def stats_key(self) -> str:
        return f"{self.prefix}stats"

    def effective(self, bucket: str) -> tuple[int, float]:
        """(burst, tokens per second) we actually enforce: Auth0's, less the safety margin."""
        limit = self.limits[bucket]
        return max(1, limit.burst - self.burst_safety), limit.per_second * self.rate_safety

    def reserve(self, bucket: str) -> int:
        """Tokens of `bucket` only interactive calls may take: the configured share of the
        effective burst rounded up (at least 1), but never all of it, or bulk would starve
        (a burst of 1 has no reserve). A share of 0 turns the reserve off."""
        burst, _rate = self.effective(bucket)
        if self.interactive_reserve == 0 or burst < 2:
            return 0
        return min(burst - 1, max(1, math.ceil(self.interactive_reserve * burst - 1e-9)))

    def _now_arg(self) -> str:
        return "" if self.clock is None else repr(self.clock())

    def now(self) -> float:
        """The limiter's clock: the injected one, else the Redis server's."""
        if self.clock is not None:
            return self.clock()
        seconds, micros = self.store.time()
        return seconds + micros / 1_000_000

    # -- taking tokens ------------------------------------------------------------------

    def try_acquire(self, method: str, path: str, *, priority: str | None = None) -> float:
        """Take the call's tokens if all are there (0.0), else take none and return the wait."""
        return self._run_acquire(method, path, _priority(priority), take=True)

    def wait_for(self, method: str, path: str, *, priority: str | None = None) -> float:
        """Seconds until the call's tokens would be there for `priority`, taking none."""
        return self._run_acquire(method, path, _priority(priority), take=False)

    def _run_acquire(self, method: str, path: str, priority: str, *, take: bool) -> float:
        names = self.buckets_for(method, path)
        args: list[str] = [self._now_arg(), "1" if take else "0", priority]
        for name in names:
            burst, rate = self.effective(name)
            floor = self.reserve(name) if priority == BULK else 0
            args += [str(burst), repr(rate), str(floor), name]
        keys = [self.key(name) for name in names] + [self.stats_key]
        granted, wait = self._acquire(keys=keys, args=args)
        return 0.0 if int(granted) else float(wait)

    def acquire(
        self, method: str, path: str, *, max_wait: float, priority: str | None = None
    ) -> float:
        """Block until the call may go (returns seconds waited), or raise `RateLimited`.

        Sleeps exactly until the missing tokens are due, then tries again (another worker
        may have taken them meanwhile). Raises at once when the next wait would take the
        total past `max_wait`, with `retry_at` at the call's slot in its priority's line.
        """
        priority = _priority(priority)
        waited = 0.0
        while True:
            wait = self.try_acquire(method, path, priority=priority)
            if wait == 0.0:
                if waited:
                    self._count({"waits": 1}, {"wait_seconds": waited})
                return waited
            wait += WAKE_MARGIN
            if waited + wait > max_wait:
                self._count({"rate_limited": 1}, {"wait_seconds": waited})
                raise RateLimited(
                    f"no rate-limit token for {method} {path} within {max_wait:g}s",
                    retry_at=self.next_slot(method, path, wait, priority=priority),
                )
            self.sleep(wait)
            waited += wait

    def next_slot(
        self, method: str, path: str, wait: float, *, priority: str | None = None
    ) -> float:
        """When a call that cannot wait now should come back (wall-clock time).

        Calls turned away together would otherwise all return at the same instant and turn
        each other away again, holding workers. Each gets its own slot in the bucket's line
        for its priority instead (interactive never queues behind bulk), one refill apart.
        """
        return self._slot_in(self.buckets_for(method, path)[-1], wait, _priority(priority))

    def retry_at_after_429(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        *,
        priority: str | None = None,
    ) -> float:
        """When a call Auth0 refused with 429 should come back (wall-clock time): not at the
        reset, where every call refused meanwhile would meet, but at the next slot after it
        in the throttled bucket's line for this priority (and once our buckets allow it)."""
        priority = _priority(priority)
        lowered = {k.lower(): v for k, v in headers.items()}
        pause = min(max(self._pause_after_429(lowered), 0.0), MAX_PAUSE)
        wait = max(pause, self.wait_for(method, path, priority=priority))
        return self._slot_in(self.bucket_for_headers(method, path, lowered), wait, priority)

    def _pause_after_429(self, headers: Mapping[str, str]) -> float:
        """reset - Date (Auth0's clock); without a Date, reset - our now; else the default."""
        delay = reset_delay(headers)
        if delay is not None:
            return delay
        reset = _header(headers, "x-ratelimit-reset")
        return float(reset) - self.now() if reset else DEFAULT_PAUSE

    def _slot_in(self, bucket: str, wait: float, priority: str) -> float:
        _burst, rate = self.effective(bucket)
        slot = float(
            self._slot(
                keys=[self.slot_key(bucket, priority)],
                args=[self._now_arg(), repr(wait), repr(1.0 / rate)],
            )
        )
        return self._wall_time() + (slot - self.now())

    def _wall_time(self) -> float:
        return self.clock() if self.clock is not None else time.time()

    # -- feedback from Auth0 ------------------------------------------------------------

    def bucket_for_headers(self, method: str, path: str, headers: Mapping[str, str]) -> str:
        """Which of the call's buckets a response's rate-limit headers describe.

        Auth0 doesn't say. When `x-ratelimit-limit` matches the burst of exactly one of the
        call's buckets, that one; otherwise the endpoint bucket if the call has one, else
        "global".
        """
        names = self.buckets_for(method, path)
        limit = headers.get("x-ratelimit-limit")
        if limit is not None:
            matches = [n for n in names if str(self.limits[n].burst) == limit.strip()]
            if len(matches) == 1:
                return matches[0]
        return names[-1]

    def observe(self, method: str, path: str, status: int, headers: Mapping[str, str]) -> bool:
        """Correct the shared state from a response; True when it lowered or paused a bucket."""
        lowered = {k.lower(): v for k, v in headers.items()}
        is_429 = status == 429
        if not is_429 and "x-ratelimit-remaining" not in lowered:
            return False
        bucket = self.bucket_for_headers(method, path, lowered)
        burst, rate = self.effective(bucket)
        delay = reset_delay(lowered)  # on Auth0's clock, when the response has a Date
        args = [
            self._now_arg(),
            str(burst),
            repr(rate),
            _header(lowered, "x-ratelimit-remaining"),
            _header(lowered, "x-ratelimit-limit"),
            "1" if is_429 else "0",
            _header(lowered, "x-ratelimit-reset"),
            repr(DEFAULT_PAUSE),
            repr(MAX_PAUSE),
            "" if delay is None else repr(delay),
        ]
        return bool(self._observe(keys=[self.key(bucket), self.stats_key], args=args))

    # -- inspection ---------------------------------------------------------------------

    def level(self, bucket: str) -> BucketLevel:
        """Tokens in `bucket` now (full when never used) and when its pause ends (0: none)."""
        burst, rate = self.effective(bucket)
        raw = self.store.hmget(self.key(bucket), ["tokens", "ts", "paused_until"])
        if raw[0] is None or raw[1] is None:
            return BucketLevel(tokens=float(burst), paused_until=0.0)
        tokens, ts = float(raw[0]), float(raw[1])
        paused = float(raw[2] or 0)
        now = self.now()
        if now >= ts:
            tokens = min(float(burst), tokens + (now - ts) * rate)
        return BucketLevel(tokens=tokens, paused_until=paused)

    def stats(self) -> dict[str, float]:
        """Counters since the last reset: granted (and granted:<bucket>,
        granted_<priority>), waits, wait_seconds, rate_limited, http_429, corrections."""
        raw = self.store.hgetall(self.stats_key)
        return {_text(k): float(v) for k, v in raw.items()}

    def reset_stats(self) -> None:
        self.store.delete(self.stats_key)

    def reset(self, buckets: Sequence[str] | None = None) -> None:
        """Forget bucket state (full again) and counters, e.g. before a benchmark run."""
        names = self.limits if buckets is None else buckets
        lines = [self.slot_key(n, p) for n in names for p in (INTERACTIVE, BULK)]
        self.store.delete(*[self.key(n) for n in names], *lines, self.stats_key)

    def _count(self, ints: Mapping[str, int], floats: Mapping[str, float]) -> None:
        pipe = self.store.pipeline(transaction=False)
        for name, n in ints.items():
            pipe.hincrby(self.stats_key, name, n)
        for name, x in floats.items():
            if x:
                pipe.hincrbyfloat(self.stats_key, name, x)
        pipe.execute()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def limiter() -> RateLimiter:
    """The limiter for the configured tenant plan (`AUTH0_RATE_PLAN`, `AUTH0_RATE_OVERRIDES`).

    Every Management API call asks for it twice (before and after), so it is built once
    per store and plan; settings changed at run time (tests, the bench) get a new one."""
    store = coordination_store()
    reserve = float(settings.AUTH0_RATE_INTERACTIVE_RESERVE)
    key = (id(store), settings.AUTH0_RATE_PLAN, settings.AUTH0_RATE_OVERRIDES, reserve)
    with _limiters_lock:
        found = _limiters.get(key)
        if found is None or found.store is not store:
            limits = buckets_for_plan(settings.AUTH0_RATE_PLAN, settings.AUTH0_RATE_OVERRIDES)
            found = _limiters[key] = RateLimiter(store, limits, interactive_reserve=reserve)
        return found


_limiters: dict[tuple[int, str, str, float], RateLimiter] = {}
_limiters_lock = threading.Lock()


def acquire(method: str, path: str, *, max_wait: float, priority: str | None = None) -> float:
    """Take the tokens for one Management API call, waiting up to `max_wait` seconds.

    `priority` None: the work in progress's (`orgs.sync.priority.current_priority`)."""
    return limiter().acquire(method, path, max_wait=max_wait, priority=priority)


def next_slot(method: str, path: str, wait: float, *, priority: str | None = None) -> float:
    """The call's slot (wall-clock time) in its bucket's line for `priority`."""
    return limiter().next_slot(method, path, wait, priority=priority)


def retry_at_after_429(
    method: str, path: str, headers: Mapping[str, str], *, priority: str | None = None
) -> float:
    """When a call Auth0 answered with 429 should come back: a spaced slot after the reset."""
    return limiter().retry_at_after_429(method, path, headers, priority=priority)


def observe(method: str, path: str, status: int, headers: Mapping[str, str]) -> bool:
    """Feed one response's status and rate-limit headers back into the shared buckets."""
    return limiter().observe(method, path, status, headers)


def stats() -> dict[str, float]:
    """The shared counters (for the benchmark's report)."""
    return limiter().stats()


def reset_stats() -> None:
    """Zero the shared counters (a benchmark run starts here)."""
    limiter().reset_stats()


def reset() -> None:
    """Forget every bucket's state and the counters: only right against a fresh tenant."""
    limiter().reset()
