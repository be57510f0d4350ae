"""The staff override: `booth light set 0.4` and `booth light auto`.

The kiosk is a separate process, so the command writes `<state>/light.json` and the kiosk
reads it (cheaply: only when the file's modification time changes):

    {"mode": "set", "lightness": 0.4, "updated": "2026-12-01T09:00:00+01:00"}
    {"mode": "auto", "updated": "..."}

`set` holds the light at that lightness (CIE, 0..1, so 0.5 looks half as bright as 1.0) in every
mode, even outside opening hours, until `auto`.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from booth.config.reader import read_json_object
from booth.media.takefiles import write_json_atomic

OVERRIDE_FILE = "light.json"


def write_override(state_dir: Path, lightness: float | None, now: datetime) -> Path:
    """Hold the light at `lightness` (0..1), or hand it back to the controller (None)."""
    if lightness is not None and not 0.0 <= lightness <= 1.0:
        raise ValueError(f"lightness {lightness} is out of range (0 to 1)")
    data: dict = {"mode": "auto", "updated": now.isoformat(timespec="seconds")}
    if lightness is not None:
        data = {"mode": "set", "lightness": float(lightness), "updated": data["updated"]}
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / OVERRIDE_FILE
    write_json_atomic(path, data)
    return path


def read_override(state_dir: Path) -> float | None:
    """The staff's lightness while an override is set; None for automatic (also when the file
    is missing or unreadable: a broken file must never leave the light stuck)."""
    try:
        data = read_json_object(state_dir / OVERRIDE_FILE)
        if data.get("mode") == "set":
            value = float(data["lightness"])
            return value if 0.0 <= value <= 1.0 else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass
    return None


class OverrideWatch:
    """For the kiosk's loop: re-reads `<state>/light.json` only when it changed."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / OVERRIDE_FILE
        self._stamp: int | None = -1
        self.lightness: float | None = None

    def poll(self) -> float | None:
        """The current override (see `read_override`); one stat() per call."""
        try:
            stamp: int | None = os.stat(self.path).st_mtime_ns
        except OSError:
            stamp = None
        if stamp != self._stamp:
            self._stamp = stamp
            self.lightness = read_override(self.path.parent) if stamp is not None else None
        return self.lightness
