"""events.jsonl: one JSON object per line for everything the kiosk does.

Each line carries the session clock's seconds (`t`, virtual in simulation) and
the wall time. Invitation codes never reach this file: the flow leaves typed
digits out of its events, and this writer refuses a `code` field as a second
guard.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from booth.session.clock import Clock

log = logging.getLogger("booth.events")

# Writes one event now: its name and fields (the kiosk's parts log through one of these).
LogEvent = Callable[[str, dict[str, Any]], None]


class EventLog:
    def __init__(self, path: Path | None) -> None:
        self._file: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8")

    def write(self, t: float, wall: datetime, name: str, fields: dict[str, Any]) -> None:
        if "code" in fields:
            raise ValueError("an invitation code must never be logged")
        record = {"t": round(t, 4), "wall": wall.isoformat(), "event": name, **fields}
        line = json.dumps(record, ensure_ascii=False, default=str)
        log.info(line)
        if self._file is not None:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def event_writer(events: EventLog, clock: Clock) -> LogEvent:
    """Writes each event to `events` stamped with `clock`'s time when it is written."""

    def write(name: str, fields: dict[str, Any]) -> None:
        events.write(clock.monotonic(), clock.now(), name, fields)

    return write
