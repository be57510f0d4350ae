"""Clocks the session flow can be driven by.

The flow never reads the time itself: it is handed a clock, so tests and the
headless simulator run in virtual time (booth.sim.clock.VirtualClock) and a 90 s
answer takes milliseconds. A booth runs on `SystemClock`.
"""

from __future__ import annotations

import time
from datetime import datetime
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
