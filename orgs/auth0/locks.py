"""`resource_lock`: one writer at a time for a read-modify-write of an Auth0 resource.

Auth0 replaces list fields wholesale (a client's callbacks, a connection's options,
organization metadata), so two workers that each read, append and write would lose one
append. The lock lives in the coordination store, shared by every worker process:

- `SET lock:{kind}:{id} <random owner token> NX PX ttl` takes it;
- a background thread extends it (owner-checked, in Lua) while the block runs, so the TTL
  only matters when the holder dies: then the lock frees itself after `ttl`;
- release is compare-and-delete (Lua), so a holder whose lock expired never deletes the
  lock a second worker has since taken.

A TTL lock is not proof of exclusivity (a paused process can outlive its TTL): every
write to Auth0 first checks that each lock the thread holds is still ours
(`verify_held_locks`, called from the HTTP client's request hook through
`orgs.sync.fencing`); after writing, read back to verify. `HeldLock.lost` and
`HeldLock.verify()` say whether the lock was kept throughout.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import redis
from django.conf import settings

from orgs.auth0.errors import LockBusy, LockLost
from portal.coordination import coordination_store

log = logging.getLogger(__name__)

# Calls made under one lock: read, write, read back. SDK retries are off, so each is
# one try of at most AUTH0_TIMEOUT; the margin covers rate-limit waits and slow starts.
CALLS_PER_LOCK = 3
TTL_MARGIN = 5.0
# Waiters poll (Redis has no "wait for delete"); start fast, back off to this ceiling.
_POLL_FIRST = 0.005
_POLL_MAX = 0.1

_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def default_ttl() -> float:
    """A TTL longer than every call the lock may cover: timeout * calls + margin."""
    return float(settings.AUTH0_TIMEOUT) * CALLS_PER_LOCK + TTL_MARGIN


def lock_key(kind: str, resource_id: str) -> str:
    return f"lock:{kind}:{resource_id}"


class HeldLock:
    """A lock we hold (or held): its key, owner token and whether it was lost."""

    def __init__(
        self,
        store: redis.Redis,
        key: str,
        token: str,
        ttl: float,
        on_extend: Callable[[], bool] | None = None,
    ) -> None:
        self.store = store
        self.on_extend = on_extend
        self.key = key
        self.token = token
        self.ttl = ttl
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._extend = store.register_script(_EXTEND)
        self._release = store.register_script(_RELEASE)
        self._thread: threading.Thread | None = None

    @property
    def lost(self) -> bool:
        """True once an extension or the release found the lock no longer ours."""
        return self._lost.is_set()

    def verify(self) -> None:
        """Raise `LockLost` unless the store still says we own the lock, right now."""
        owner = self.store.get(self.key)
        if isinstance(owner, bytes):
            owner = owner.decode()
        if self.lost or owner != self.token:
            self._lost.set()
            raise LockLost(f"lock {self.key} was lost while held")

    def _start_extending(self) -> None:
        self._thread = threading.Thread(
            target=self._extend_loop, name=f"extend {self.key}", daemon=True
        )
        self._thread.start()

    def _extend_loop(self) -> None:
        try:
            self._keep_alive()
        finally:
            if self.on_extend is not None:
                from django.db import connection

                connection.close()  # this thread's own database connection

    def _keep_alive(self) -> None:
        # Extend three times per TTL: two extensions may fail (a Redis blip) before expiry.
        interval = self.ttl / 3
        last_ok = time.monotonic()
        while not self._stop.wait(interval):
            try:
                if not self._extend(keys=[self.key], args=[self.token, int(self.ttl * 1000)]):
                    self._mark_lost("expired or taken over")
                    return
                last_ok = time.monotonic()
            except redis.RedisError as exc:
                log.warning("extending lock %s failed: %s", self.key, exc)
                if time.monotonic() - last_ok >= self.ttl:
                    self._mark_lost("could not be extended before its TTL ran out")
                    return
            if self.on_extend is not None and not self._extend_with_lock():
                self._mark_lost("outlived the claim it protects")
                return

    def _extend_with_lock(self) -> bool:
        """Whatever must expire together with the lock (an operation's lease)."""
        assert self.on_extend is not None
        try:
            return self.on_extend()
        except Exception:  # a database blip: the next round tries again
            log.warning("extending what lock %s protects failed", self.key, exc_info=True)
            return True

    def _mark_lost(self, why: str) -> None:
        self._lost.set()
        log.warning("lock %s %s while held", self.key, why)

    def _finish(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            if not self._release(keys=[self.key], args=[self.token]) and not self.lost:
                self._mark_lost("had expired or been taken over at release")
        except redis.RedisError as exc:
            # The TTL frees it; the next holder waits at most that long.
            log.warning("releasing lock %s failed: %s", self.key, exc)


# The locks this thread (or task) holds, innermost last: checked before every write.
_held: ContextVar[tuple[HeldLock, ...]] = ContextVar("held_locks", default=())


def verify_held_locks() -> None:
    """Raise `LockLost` unless every lock held here is still ours, right now."""
    for held in _held.get():
        held.verify()


def _try_take(store: redis.Redis, key: str, token: str, ttl: float) -> bool:
    return bool(store.set(key, token, nx=True, px=int(ttl * 1000)))


@contextmanager
def resource_lock(
    kind: str,
    resource_id: str,
    *,
    ttl: float | None = None,
    wait: float = 0.0,
    on_extend: Callable[[], bool] | None = None,
) -> Iterator[HeldLock]:
    """Hold `lock:{kind}:{resource_id}` for the block, or raise `LockBusy`.

    `wait` is how long to keep trying when another owner holds it (0: one try). `ttl`
    defaults to `default_ttl()`; the lock is extended while held, so the TTL only bounds
    how long a crashed holder blocks others. `on_extend` is called at each extension
    (False: what the lock protects is gone, so the lock counts as lost). Every write to
    Auth0 made inside the block first verifies the lock; a lost lock is logged, never
    raised on exit.
    """
    store = coordination_store()
    ttl = default_ttl() if ttl is None else ttl
    key = lock_key(kind, resource_id)
    token = secrets.token_hex(16)
    deadline = time.monotonic() + wait
    poll = _POLL_FIRST
    while not _try_take(store, key, token, ttl):
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockBusy(f"{kind} {resource_id} is locked by another worker")
        # Jittered, growing polls: waiters spread out instead of hammering in step.
        time.sleep(min(left, poll * random.uniform(0.5, 1.5)))
        poll = min(poll * 1.5, _POLL_MAX)
    held = HeldLock(store, key, token, ttl, on_extend)
    registered = _held.set((*_held.get(), held))
    try:
        held._start_extending()
        yield held
    finally:
        _held.reset(registered)
        held._finish()
