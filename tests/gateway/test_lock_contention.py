"""resource_lock under real contention: several OS processes on one real Redis."""

from __future__ import annotations

import multiprocessing

import pytest
import redis

from tests.gateway import _contention

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def _run_contention(redis_url: str, *, locked: bool, workers: int = 4, each: int = 50) -> int:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(workers)
    procs = [
        ctx.Process(target=_contention.bump_counter, args=(redis_url, each, barrier, locked))
        for _ in range(workers)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
        assert proc.exitcode == 0
    return int(redis.Redis.from_url(redis_url).get(_contention.COUNTER) or 0)


def test_four_processes_lose_no_increment_of_200_under_the_lock(
    redis_url: str,
) -> None:
    assert _run_contention(redis_url, locked=True) == 200


def test_without_the_lock_the_same_processes_lose_increments(
    redis_url: str,
) -> None:
    assert _run_contention(redis_url, locked=False) < 200
