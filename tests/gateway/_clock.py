"""Simulated time for the rate-limiter tests: it moves only when something sleeps."""

from __future__ import annotations


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
