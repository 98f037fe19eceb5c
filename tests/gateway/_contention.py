"""Runs in spawned worker processes: read-modify-write one shared counter N times."""

from __future__ import annotations

import os
import time
from typing import Any

COUNTER = "test:counter"


def bump_counter(redis_url: str, times: int, barrier: Any, locked: bool) -> None:
    # A fresh interpreter: point the settings at the test Redis before anything reads them.
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from orgs.auth0.locks import resource_lock
    from portal.coordination import coordination_store

    store = coordination_store()
    barrier.wait(timeout=60)
    for _ in range(times):
        if locked:
            with resource_lock("test", "counter", wait=30) as held:
                _read_modify_write(store)
                held.verify()
        else:
            _read_modify_write(store)


def _read_modify_write(store: Any) -> None:
    value = int(store.get(COUNTER) or 0)
    # Stands in for the Auth0 round trip between reading a list field and writing it back.
    time.sleep(0.002)  # long enough that unlocked writers overlap even on a busy machine
    store.set(COUNTER, value + 1)
