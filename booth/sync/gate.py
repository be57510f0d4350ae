"""When the sync agent may upload: inside the upload windows, and never beside a candidate.

It reads only the kiosk's state record. Uploads go when the kiosk has been idle for
`idle_seconds` (or is not running at all: its process is gone, or its record's heartbeat is
stale, so a kiosk that crashed never holds uploads back) inside the upload windows; while bytes
go out the record is read again at most every `_BUSY_CHECK_SECONDS`, so that the agent stops
within a second of a candidate starting a session.
"""

from __future__ import annotations

import time
from datetime import datetime

from booth.state import KioskState, read_state
from booth.sync.config import SyncSettings, describe_windows, in_window
from booth.sync.parts import SyncParts

# How often, at most, the state record is read while bytes are going out.
_BUSY_CHECK_SECONDS = 0.2


def upload_gate(
    state: KioskState | None, running: bool, sync: SyncSettings, now: datetime
) -> str | None:
    """Why uploading must wait right now, or None when it may go ahead.

    `state` is the kiosk's record and `running` whether that kiosk still runs (its process is
    alive and its heartbeat fresh: `KioskState.running`); `now` is an aware local time. No
    running kiosk counts as idle, so staff can upload from a stopped booth. A booth that is
    closed or out of order has no candidate either.
    """
    if sync.windows and not in_window(sync.windows, now):
        return f"outside the upload windows ({describe_windows(sync.windows)})"
    if state is None or not running:
        return None
    if state.activity == "session":
        return "a candidate session is in progress"
    if state.activity == "idle":
        since = _parse(state.idle_since) or _parse(state.updated)
        idle = (now - since).total_seconds() if since else 0.0
        if idle < sync.idle_seconds:
            return f"the booth has been idle for {idle:.0f} s of {sync.idle_seconds:g} s"
    return None


class UploadGate:
    """The kiosk's state record in `parts.state_dir`, read for the agent."""

    def __init__(self, parts: SyncParts) -> None:
        self.parts = parts
        self._busy_checked = 0.0
        self._busy = False

    def blocked(self) -> str | None:
        """Why uploading must wait right now (see `upload_gate`), or None."""
        state = read_state(self.parts.state_dir)
        running = state is not None and state.running
        return upload_gate(state, running, self.parts.sync, self.parts.hooks.now())

    def candidate_arrived(self) -> bool:
        """Whether a candidate session runs now: asked between 64 KiB pieces, so the record is
        read at most every `_BUSY_CHECK_SECONDS` and the last answer given in between."""
        now = time.monotonic()
        if now - self._busy_checked >= _BUSY_CHECK_SECONDS:
            self._busy_checked = now
            state = read_state(self.parts.state_dir)
            self._busy = state is not None and state.activity == "session" and state.running
        return self._busy

    def look_again(self) -> None:
        """Read the state record afresh at the next `candidate_arrived`."""
        self._busy_checked = 0.0


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.astimezone()
