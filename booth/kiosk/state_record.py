"""The kiosk's state record: what it is doing, for the sync agent, `booth status` and the
occupied light.

The record is rewritten whole at every write; since when the booth has been idle, and since
when a session has been open or not (`occupancy_since`, which the occupied light follows), are
kept here between writes.
"""

from __future__ import annotations

import os
from pathlib import Path

from booth.kiosk.health import Fault
from booth.session.clock import Clock
from booth.state import KioskState, activity_of, iso


class StateRecord:
    """Writes the kiosk's record in `state_dir`, with the times read from `clock`."""

    def __init__(self, state_dir: Path, clock: Clock) -> None:
        self.state_dir = state_dir
        self.clock = clock
        self._idle_since: str | None = None
        self._occupied = False  # a candidate's session is open (the occupied light's "on")
        self._occupancy_since: str | None = None

    def write(self, screen: str, fault: Fault | None, stopped: bool = False) -> None:
        """Publish the kiosk showing `screen` with `fault` (or that it has `stopped`)."""
        activity = "stopped" if stopped else activity_of(screen)
        now = self.clock.now()
        if activity != "idle":
            self._idle_since = None
        elif self._idle_since is None:
            self._idle_since = iso(now)
        occupied = activity == "session"
        if occupied != self._occupied or self._occupancy_since is None:
            self._occupied, self._occupancy_since = occupied, iso(now)
        KioskState(
            activity=activity,
            screen=screen,
            fault=fault.detail if fault else None,
            updated=iso(now),
            idle_since=self._idle_since,
            pid=os.getpid(),
            fault_id=fault.id if fault else None,
            occupancy_since=self._occupancy_since,
        ).write(self.state_dir)
