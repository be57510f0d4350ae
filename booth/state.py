"""The kiosk's small state record, shared with the sync agent and `booth status`.

The kiosk rewrites `<state>/kiosk.json` atomically whenever its state changes
(and at least every few seconds while running). Readers never see a torn file.
The two processes share nothing else but the spool, so a crash of one never
stops the other.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from booth.media.takefiles import write_json_atomic

STATE_FILE = "kiosk.json"
# A record older than this with a dead pid means no kiosk is running.
HEARTBEAT_SECONDS = 5.0


@dataclass(frozen=True)
class KioskState:
    """What the kiosk is doing.

    activity: "idle" (no candidate: uploads may run), "session" (a candidate is in the booth),
    "closed" (outside opening hours), "out-of-order", or "stopped" (the kiosk shut down).
    screen: the screen id showing.
    fault: why the booth is out of order, in words for staff (None when healthy).
    updated: when this record was written (wall clock, ISO 8601 with offset).
    idle_since: when the booth last became idle (None while not idle).
    pid: the kiosk's process id, so readers can tell a stale record from a running kiosk.
    """

    activity: str
    screen: str
    fault: str | None
    updated: str
    idle_since: str | None
    pid: int

    def write(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(state_dir / STATE_FILE, asdict(self))

    @property
    def running(self) -> bool:
        """Whether the kiosk that wrote this record is still running."""
        if self.activity == "stopped":
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def read_state(state_dir: Path) -> KioskState | None:
    """The last record the kiosk wrote, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
        return KioskState(**data)
    except (OSError, ValueError, TypeError):
        return None


def activity_of(screen: str) -> str:
    """The activity a screen stands for."""
    return screen if screen in ("idle", "closed", "out-of-order") else "session"


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")
