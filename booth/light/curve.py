"""The ring light's calibration curve: what each light output adds to the camera's lux reading.

The camera reports, per frame, `Lux`: the scene's illuminance estimated from that frame's own
brightness, exposure and gain (libcamera's rpi.lux), so it moves the very frame the room's light
moves, long before auto-exposure has caught up. Calibration steps the light output with the room
unchanged; the lux reading minus the reading with the light off is the ring's share at that
output. With that curve the controller splits any frame's lux into room light + ring light, and
knows in one step which output brings the total to what the target exposure needs.

After auto-exposure settles, exposure × gain × lux is the same at every step (the AE holds the
frame's mean brightness, and lux is that brightness over exposure × gain): the
`scene_constant`. It turns a target exposure × gain into a target lux.

Each step may also record the face's brightness in the picture (linear, 0..1). The ring lights
the face far more than the backdrop, and auto-exposure holds the *whole frame's* brightness, so
when the room changes during a take the face would brighten or dim against the backdrop. With
the face curve the controller predicts the face's brightness for any room and output
(`predicted_face`) and, while recording, keeps it where the take started.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from booth.config.reader import read_json
from booth.media.takefiles import write_json_atomic

CURVE_FILE = "light-curve.json"
"""The curve's file name in the state directory."""
VERSION = 1


class CurveError(Exception):
    """The curve file cannot be used; the message names the file and the fix."""


@dataclass(frozen=True)
class CurvePoint:
    """One calibration step: light output (0..1), settled exposure × gain (µs), lux reading,
    and the face's linear brightness in the picture (0..1; None when not measured)."""

    output: float
    exposure_gain: float
    lux: float
    face: float | None = None


@dataclass(frozen=True)
class LightCurve:
    """The measured curve. `points` sorted by output, the first at output 0 (light off)."""

    points: tuple[CurvePoint, ...]
    measured: str = ""

    def __post_init__(self) -> None:
        if len(self.points) < 2 or self.points[0].output != 0.0:
            raise ValueError("a light curve needs the light-off point and at least one more")

    @classmethod
    def from_points(cls, points: list[CurvePoint], measured: datetime | None = None) -> LightCurve:
        stamp = measured.isoformat(timespec="seconds") if measured else ""
        return cls(tuple(sorted(points, key=lambda p: p.output)), stamp)

    @property
    def scene_constant(self) -> float:
        """Exposure × gain × lux of a settled frame (µs·lux): the median over the steps."""
        return float(np.median([p.exposure_gain * p.lux for p in self.points]))

    @property
    def _outputs(self) -> np.ndarray:
        return np.array([p.output for p in self.points])

    @property
    def _ring(self) -> np.ndarray:
        lux = np.array([p.lux for p in self.points])
        # The ring only ever adds light: noise in a reading must not make the curve fall.
        return np.maximum.accumulate(np.maximum(lux - lux[0], 0.0))

    @property
    def full_ring_lux(self) -> float:
        """Lux the ring adds at full output (the largest correction it can make)."""
        return float(self._ring[-1])

    def ring_lux(self, output: float) -> float:
        """Lux the ring adds to the camera's reading at light output `output` (0..1)."""
        return float(np.interp(output, self._outputs, self._ring))

    def output_for(self, ring_lux: float) -> float:
        """The smallest light output at which the ring adds `ring_lux` (clamped to 0..1)."""
        ring = self._ring
        if ring_lux <= 0.0:
            return 0.0
        if ring_lux >= ring[-1]:
            return float(self._outputs[-1])
        # Searching the first point at or above, then interpolating, handles flat stretches
        # (below an LED driver's minimum duty the ring adds nothing).
        i = int(np.searchsorted(ring, ring_lux, side="left"))
        x0, x1 = self._outputs[i - 1], self._outputs[i]
        y0, y1 = ring[i - 1], ring[i]
        return float(x0 + (x1 - x0) * (ring_lux - y0) / (y1 - y0))

    @property
    def has_face(self) -> bool:
        return all(p.face is not None and p.face > 0 for p in self.points)

    @property
    def _face_per_exposure(self) -> np.ndarray:
        """Face brightness per µs of exposure × gain at each step (the face's illuminance in
        the picture's units)."""
        return np.array([(p.face or 0.0) / p.exposure_gain for p in self.points])

    def face_light(self, room_lux: float, output: float | np.ndarray) -> float | np.ndarray:
        """The face's illuminance in units of face brightness per µs of exposure × gain: the
        face's brightness in a frame is this times the frame's exposure × gain. Needs
        `has_face`.

        room_lux: the room's share of the lux reading; output: the ring's output (0..1, a number
        or an array). The room's part scales from the light-off step; the ring's part is the
        measured rise over it.
        """
        per_exposure = self._face_per_exposure
        room = per_exposure[0] * room_lux / self.points[0].lux
        return room + np.interp(output, self._outputs, per_exposure) - per_exposure[0]

    @property
    def _ring_face(self) -> np.ndarray:
        per_exposure = self._face_per_exposure
        # As `_ring`: the ring only ever adds light.
        return np.maximum.accumulate(np.maximum(per_exposure - per_exposure[0], 0.0))

    def ring_face_light(self, output: float) -> float:
        """The ring's share of the face's illuminance at `output` (0..1), in `face_light`'s
        units (face brightness per µs of exposure × gain). Needs `has_face`."""
        return float(np.interp(output, self._outputs, self._ring_face))

    def output_for_ring_face_light(self, light: float) -> float:
        """The smallest output (0..1) at which the ring adds `light` to the face's illuminance
        (`ring_face_light`'s units), clamped to 0..1."""
        ring = self._ring_face
        if light <= 0.0:
            return 0.0
        if light >= ring[-1]:
            return float(self._outputs[-1])
        i = int(np.searchsorted(ring, light, side="left"))
        x0, x1 = self._outputs[i - 1], self._outputs[i]
        y0, y1 = ring[i - 1], ring[i]
        return float(x0 + (x1 - x0) * (light - y0) / (y1 - y0))

    def output_for_face_light(self, room_lux: float, face_light: float) -> float:
        """The output (0..1) at which `face_light(room_lux, output)` is `face_light`."""
        grid = np.linspace(0.0, 1.0, 201)
        lights = np.maximum.accumulate(np.asarray(self.face_light(room_lux, grid)))
        return float(np.interp(face_light, lights, grid))

    def predicted_face(self, room_lux: float, output: float | np.ndarray) -> float | np.ndarray:
        """The face's brightness in the picture (calibration's units) once auto-exposure has
        settled, with the room at `room_lux` (its share of the lux reading) and the ring at
        `output` (a number or an array). Needs `has_face`.

        Face brightness = exposure × gain × `face_light`, and a settled auto-exposure puts
        exposure × gain at the scene constant over the lux reading.
        """
        ring = np.interp(output, self._outputs, self._ring)
        total = np.maximum(1e-6, room_lux + ring)
        return self.scene_constant / total * self.face_light(room_lux, output)

    def output_for_face(self, room_lux: float, face: float) -> float:
        """The output (0..1) at which `predicted_face` is `face` in a room of `room_lux`."""
        grid = np.linspace(0.0, 1.0, 201)
        faces = np.asarray(self.predicted_face(room_lux, grid))
        # More ring light lifts the face against the backdrop: the curve rises.
        return float(np.interp(face, np.maximum.accumulate(faces), grid))

    def to_json(self) -> dict:
        return {
            "version": VERSION,
            "measured": self.measured,
            "scene_constant": round(self.scene_constant, 1),
            "points": [
                {
                    "output": p.output,
                    "exposure_gain": round(p.exposure_gain, 1),
                    "lux": round(p.lux, 2),
                    "face": None if p.face is None else round(p.face, 6),
                }
                for p in self.points
            ],
        }

    def save(self, state_dir: Path) -> Path:
        """Write the curve to `<state_dir>/light-curve.json` atomically; returns the path."""
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / CURVE_FILE
        write_json_atomic(path, self.to_json())
        return path


def load_curve(state_dir: Path) -> LightCurve | None:
    """The stored curve, or None when the booth was never calibrated.

    Raises CurveError for a file that exists but cannot be used.
    """
    path = state_dir / CURVE_FILE
    fix = "run `booth light calibrate` again"
    try:
        data = read_json(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise CurveError(f"{path}: cannot read the light curve ({err}); {fix}") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise CurveError(f"{path}: not a version {VERSION} light curve; {fix}")
    try:
        points = [
            CurvePoint(
                float(p["output"]),
                float(p["exposure_gain"]),
                float(p["lux"]),
                None if p.get("face") is None else float(p["face"]),
            )
            for p in data["points"]
        ]
        if not all(math.isfinite(v) for p in points for v in (p.exposure_gain, p.lux)):
            raise ValueError("a value is not a number")
        return LightCurve(tuple(sorted(points, key=lambda p: p.output)), str(data["measured"]))
    except (KeyError, TypeError, ValueError) as err:
        raise CurveError(f"{path}: field points: {err}; {fix}") from None
