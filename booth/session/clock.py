"""Clocks the session flow can be driven by.

The flow never reads the time itself: it is handed a clock, so tests and the
headless simulator run in virtual time and a 90 s answer takes milliseconds.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (timers and durations)."""

    def monotonic_ns(self) -> int:
        """The same clock in whole nanoseconds (frame and sample timestamps)."""

    def now(self) -> datetime:
        """The wall-clock date and time, timezone-aware (deadlines, opening hours)."""


class SystemClock:
    """The real clock of the booth."""

    def monotonic(self) -> float:
        return time.monotonic()

    def monotonic_ns(self) -> int:
        return time.monotonic_ns()

    def now(self) -> datetime:
        return datetime.now().astimezone()


class VirtualClock:
    """Simulated time that moves only when told to (`advance`)."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime.now(UTC)
        if start.tzinfo is None:
            start = start.astimezone()
        self._start = start
        self._ns = 0

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("virtual time cannot go backwards")
        self._ns += round(seconds * 1e9)

    def set_ns(self, ns: int) -> None:
        """Move to `ns` (the simulated world's frame time); never backwards."""
        if ns < self._ns:
            raise ValueError("virtual time cannot go backwards")
        self._ns = ns

    def monotonic(self) -> float:
        return self._ns / 1e9

    def monotonic_ns(self) -> int:
        return self._ns

    def now(self) -> datetime:
        return self._start + timedelta(microseconds=self._ns // 1000)
