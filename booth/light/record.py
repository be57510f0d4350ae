"""The light's state record, and how much light a room is missing at the face.

The kiosk rewrites `<state>/light-state.json` about once a second while its camera runs, so
that `booth doctor`, `booth status` and a metrics writer can read what the light does without
asking the kiosk:

    {"mode": "session", "output": 0.71, "missing_light_pct": 0.0, "heartbeat": 1796112000.0}

`missing_light_pct` is how much more light the candidate's face needs than the room and the
ring at full give together (40 = the face needs 40 % more light; 0 = the ring covers the room;
null before the light has measured the face, or when the camera does not meter the face). Where
light is missing the camera makes up the rest with gain, and the picture is grainier.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from booth.config.reader import read_json_object
from booth.devices.face_meter import linear_light
from booth.light.curve import LightCurve
from booth.light.settings import LightSettings

if TYPE_CHECKING:  # the controller brings the camera's modules: booth-metrics only reads
    from booth.light.controller import LightController
from booth.media.takefiles import write_json_atomic

LIGHT_STATE_FILE = "light-state.json"
WRITE_SECONDS = 1.0
STALE_SECONDS = 10.0
"""A record whose heartbeat is older than this is a stopped kiosk's."""
MISSING_WARN = 0.05
"""Light missing at the face below this (5 %) is within what the camera's gain trims away."""


@dataclass(frozen=True)
class LightState:
    """What the ring light does: `mode` (idle, session, recording, closed, override), `output`
    (0..1 of full light), `missing_light_pct` (see the module), `heartbeat` (Unix seconds)."""

    mode: str
    output: float
    missing_light_pct: float | None
    heartbeat: float = field(default_factory=time.time)

    @property
    def fresh(self) -> bool:
        return abs(time.time() - self.heartbeat) <= STALE_SECONDS


class LightRecord:
    """For the kiosk's loop: writes the controller's state at most once a `WRITE_SECONDS`."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LIGHT_STATE_FILE
        self._written_s: float | None = None

    def update(self, controller: LightController, now_s: float) -> None:
        """After the controller's update for a frame at `now_s` (the camera's clock)."""
        if self._written_s is not None and 0.0 <= now_s - self._written_s < WRITE_SECONDS:
            return
        self._written_s = now_s
        missing = controller.missing_light
        state = LightState(
            controller.mode,
            round(controller.output, 4),
            None if missing is None else round(100.0 * missing, 1),
        )
        try:
            write_json_atomic(self.path, asdict(state))
        except OSError:
            pass  # a full or read-only state directory must not stop the light


def read_light_state(state_dir: Path) -> LightState | None:
    """The kiosk's last light record, or None (none, or unreadable)."""
    try:
        data = read_json_object(state_dir / LIGHT_STATE_FILE)
        return LightState(
            str(data["mode"]),
            float(data["output"]),
            None if data["missing_light_pct"] is None else float(data["missing_light_pct"]),
            float(data["heartbeat"]),
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None


def curve_missing_light(curve: LightCurve, light: LightSettings) -> float | None:
    """How much more light the face needed in the room the curve was measured in, with the ring
    at full, than the target exposure × gain asks for (a fraction, 0 when none); None for a
    curve without face points."""
    if not curve.has_face:
        return None
    target = linear_light(light.face_level) / light.target_exposure_gain
    full = curve.face_light(curve.points[0].lux, 1.0)
    return max(0.0, target / float(full) - 1.0)


def missing_light_text(fraction: float) -> str:
    """The sentence for staff: how much light the room is missing at the face, and the fixes."""
    return (
        f"this room needs about {100.0 * fraction:.0f} % more light at the face than the room and "
        "the ring light at full give; the camera makes up the rest with gain, which shows as "
        "grain: move the ring closer to the chair, use a brighter ring, or light the room"
    )
