"""Per-key rate limit: a fixed one-minute window counted in the coordination store, so
every web process shares the count."""

from __future__ import annotations

import time

from django.conf import settings

from orgs.models import ApiKey
from portal.coordination import coordination_store

WINDOW_SECONDS = 60


def seconds_to_wait(key: ApiKey, *, now: float | None = None) -> int:
    """0 when this call may go ahead (and counts it), else seconds until the next window."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    # The hash prefix keeps a reused id (a test database, a restore) off an old count.
    name = f"api:rate:{key.pk}:{key.secret_hash[:12]}:{window}"
    store = coordination_store()
    pipe = store.pipeline()
    pipe.incr(name)
    pipe.expire(name, WINDOW_SECONDS * 2)
    count = int(pipe.execute()[0])
    if count <= settings.API_RATE_LIMIT_PER_MINUTE:
        return 0
    return max(1, (window + 1) * WINDOW_SECONDS - int(now))
