"""The coordination store: where locks, rate-limit buckets and the token cache live.

With `REDIS_URL` it is that Redis server, shared by every web and worker process. Without
it (the embedded `make run` stack, where web and worker share one process) it is an
in-process fakeredis server. Callers always get a `redis.Redis`-compatible client, so the
code that takes locks and rate-limit tokens is the same in both modes.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING

import redis
from django.conf import settings

if TYPE_CHECKING:
    import fakeredis

_lock = threading.Lock()


@cache
def _embedded_server() -> fakeredis.FakeServer:
    import fakeredis

    return fakeredis.FakeServer()


def coordination_store() -> redis.Redis:
    """The shared client (thread-safe: redis-py pools connections)."""
    with _lock:
        return _client(settings.COORDINATION_URL)


@cache
def _client(url: str) -> redis.Redis:
    if url.startswith("embedded://"):
        import fakeredis

        return fakeredis.FakeRedis(server=_embedded_server(), decode_responses=False)
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)


def is_embedded() -> bool:
    return bool(settings.COORDINATION_URL.startswith("embedded://"))


def reset_cached_clients() -> None:
    """Forget cached clients (tests that switch REDIS_URL between cases)."""
    _client.cache_clear()
