"""Call counters for `/__sandbox__/stats`: per route template, method and status."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.throttled = 0
        self.faults = 0

    def record(self, method: str, template: str, status: int | str) -> None:
        with self._lock:
            self.calls[f"{method} {template}"][str(status)] += 1

    def count_throttled(self) -> None:
        with self._lock:
            self.throttled += 1

    def count_fault(self) -> None:
        with self._lock:
            self.faults += 1

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()
            self.throttled = 0
            self.faults = 0

    def describe(self) -> dict[str, Any]:
        with self._lock:
            routes = {key: dict(statuses) for key, statuses in sorted(self.calls.items())}
            return {
                "routes": routes,
                "total": sum(sum(s.values()) for s in routes.values()),
                "throttled": self.throttled,
                "faults_fired": self.faults,
            }
