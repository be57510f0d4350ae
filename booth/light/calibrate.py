"""Calibration: step the ring light, record the camera's settled exposure × gain and lux.

The room must stay as it is while this runs (about 10–20 s at 30 fps): the curve is the
ring's own share of the light, so a lamp switched on half-way would bend it. `booth light
calibrate` runs it on the booth's light and camera and stores the curve in the state directory.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from booth.devices.ports.camera import FACE_KEY
from booth.light.controller import exposure_gain
from booth.light.curve import CurvePoint, LightCurve

STEPS: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
"""Light outputs measured; denser at the bottom, where LED drivers are least linear."""
MIN_FRAMES = 8
"""Frames after each step before settling is even checked (the sensor's delay plus AE start)."""
MAX_FRAMES = 90
STEADY_FRAMES = 5
STEADY_SPREAD = 0.01


class CalibrationError(Exception):
    """The measurement cannot make a curve (the camera saw no change, or never settled)."""


Metadata = Mapping[str, Any]


def calibrate(
    set_output: Callable[[float], None],
    next_metadata: Callable[[], Metadata],
    steps: Sequence[float] = STEPS,
    measured: datetime | None = None,
    progress: Callable[[float, CurvePoint], None] | None = None,
) -> LightCurve:
    """Measure the light curve.

    set_output: puts the ring light at an output (0..1 of full light).
    next_metadata: waits for the camera's next frame and returns its metadata; with the key
    `FACE_KEY` (the face's linear brightness in that frame; the booth's cameras add it) the
    curve also learns how the ring lights the face.
    steps: the outputs to measure, starting with 0 (light off).
    progress: called after each step with the output and what was measured.
    """
    if not steps or steps[0] != 0.0:
        raise ValueError("calibration starts with the light off (the first step must be 0)")
    points = []
    for output in steps:
        set_output(output)
        point = _settle(output, next_metadata)
        points.append(point)
        if progress is not None:
            progress(output, point)
    set_output(0.0)
    if points[-1].lux <= points[0].lux * 1.02:
        raise CalibrationError(
            "the camera saw no more light at full output than with the light off: "
            "check that the ring light is connected and faces the chair"
        )
    return LightCurve.from_points(points, measured)


def _settle(output: float, next_metadata: Callable[[], Metadata]) -> CurvePoint:
    exposures: list[float] = []
    luxes: list[float] = []
    faces: list[float] = []
    for frame in range(MAX_FRAMES):
        metadata = next_metadata()
        exposures.append(exposure_gain(metadata))
        luxes.append(float(metadata.get("Lux") or 0.0))
        if metadata.get(FACE_KEY) is not None:
            faces.append(float(metadata[FACE_KEY]))
        recent = exposures[-STEADY_FRAMES:]
        steady = max(recent) <= min(recent) * (1 + STEADY_SPREAD)
        if frame + 1 >= MIN_FRAMES and len(recent) == STEADY_FRAMES and steady:
            face = statistics.median(faces[-3:]) if len(faces) >= 3 else None
            return CurvePoint(
                output, statistics.median(recent), statistics.median(luxes[-3:]), face
            )
    raise CalibrationError(
        f"auto-exposure did not settle within {MAX_FRAMES} frames at output {output:.2f}: "
        "is the room's light changing, or someone moving in front of the camera?"
    )
