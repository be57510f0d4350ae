"""The kiosk's small state record, shared with the sync agent and `booth status`.

The kiosk rewrites `<state>/kiosk.json` atomically whenever its state changes
(and at least once a second while running). Readers never see a torn file.
The two processes share nothing else but the spool, so a crash of one never
stops the other.

Whether the kiosk still runs is judged by its heartbeat as well as its pid: a kiosk that
crashed leaves a record that says "session" for ever, and after a reboot its pid may belong to
another process. A record not rewritten for `STALE_SECONDS` counts as stopped, so it cannot
hold uploads back for ever.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from booth.media.takefiles import write_json_atomic

STATE_FILE = "kiosk.json"
WRITE_SECONDS = 1.0
"""The kiosk rewrites its record at least this often while it runs (its health check)."""
STALE_SECONDS = 10 * WRITE_SECONDS
"""A record whose heartbeat is further than this from now is a stopped kiosk's, whatever its
pid. Ten writes: a kiosk whose loop stalls for a few seconds (a slow disk; a simulated booth on
a busy machine, whose virtual second takes longer) still counts as running."""


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
    heartbeat: when the kiosk made this record to write it, in Unix seconds of the real clock
    (`time.time()`), also when the kiosk runs in virtual time and `updated` is virtual.
    fault_id: the fault's id ("camera", "microphone", "disk"), the reason label of the fleet
    metrics' booth_out_of_order (None when healthy, and in records of older kiosks).
    """

    activity: str
    screen: str
    fault: str | None
    updated: str
    idle_since: str | None
    pid: int
    heartbeat: float = field(default_factory=time.time)
    fault_id: str | None = None

    def write(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(state_dir / STATE_FILE, asdict(self))

    @property
    def running(self) -> bool:
        """Whether the kiosk that wrote this record is still running (see `running_at`)."""
        return self.running_at(time.time())

    def running_at(self, now: float) -> bool:
        """Whether the kiosk that wrote this record still runs at `now` (Unix seconds): it did
        not stop, its heartbeat is fresh, and its process is alive.

        A heartbeat as far in the future counts as stale too: the wall clock was set back (a Pi
        has no clock battery), and a running kiosk rewrites its record within a second.
        """
        if self.activity == "stopped":
            return False
        if not abs(now - self.heartbeat) <= STALE_SECONDS:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def read_state(state_dir: Path) -> KioskState | None:
    """The last record the kiosk wrote, or None when there is none (or it is unreadable).

    A record written before records had a heartbeat has the file's modification time as its
    heartbeat: when it was written.
    """
    path = state_dir / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            return None
        data.setdefault("heartbeat", path.stat().st_mtime)
        if type(data["heartbeat"]) not in (int, float):
            return None
        return KioskState(**data)
    except (OSError, ValueError, TypeError):
        return None


def activity_of(screen: str) -> str:
    """The activity a screen stands for."""
    return screen if screen in ("idle", "closed", "out-of-order") else "session"


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")
