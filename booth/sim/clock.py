"""Virtual time: the simulator's adapter of the `Clock` protocol (booth.session.clock).

It moves only when told to, one camera frame at a time in a simulated booth, so a 90 s
answer simulates in a few seconds and every run of a script gives the same takes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


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
