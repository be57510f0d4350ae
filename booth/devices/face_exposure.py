"""The face's exposure between takes: the camera meters a spot, the booth's face meter sets its EV.

A camera's auto-exposure brings a weighted mean of its picture to a fixed level. Metering the
whole frame (libcamera's matrix mode) lets the backdrop decide how bright the face comes out:
the ring light lights the face far more than the wall behind it, so in a dark room, where the
ring does the work, the face is overexposed against a dim wall, and in a bright room, where the
room lights both alike, it is dim. The booth aims at the face instead, in two parts:

- The camera's own metering does most of it: `AeMeteringMode` Spot weighs only the zones around
  the middle of the picture, where the framing guide puts the face (booth.framing). libcamera's
  control_ids_core.yaml: "The metering modes determine which parts of the image are used to
  determine the scene brightness"; Raspberry Pi's tuning files define centre-weighted, spot and
  matrix as zone weights (booth.sim.exposure.METERING_WEIGHTS).
- The spot is not the face: its zones hold some hair and backdrop too, and their share of the
  brightness changes from room to room, and the AGC aims at a grey level (y_target, about
  0.16), not at skin. So the booth's face meter reads the face in every frame (the lores stream
  on a Pi) and moves the camera's `ExposureValue` until the face's mean luma is at its target.
  libcamera: "By convention EV adjusts the exposure as log2"; Raspberry Pi's AGC multiplies its
  y_target by 2^EV (src/ipa/rpi/common/ipa_base.cpp).

`FaceExposure` is that second part, pure: a step, a settle, a step. It waits until the camera's
auto-exposure says it has converged (AeState), then moves the EV by the whole remaining error
in one step; the camera's AGC then moves at its own pace (15–20 frames), so the two never chase
each other. While a take is recorded the exposure is locked and this rests (see
booth.devices.exposure_hold). The simulated camera and the Pi camera both run it.
"""

from __future__ import annotations

import copy
import math
import statistics
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from booth.config.settings import LightSettings
from booth.devices.face_meter import linear_light

FACE_LEVEL = 0.57
"""The face's mean luma the booth aims at, as a fraction of full scale (skin at about 55–60 %:
bright and clear without clipping a shiny forehead): `[light] face_level`."""
MAX_EV = 4.0
"""Largest correction either way, in stops (libcamera accepts -8..8)."""
MAX_STEP_EV = 2.0
"""Largest single step, in stops (a black or white frame must not throw the EV far)."""
DEADBAND = 0.03
"""A face within 3 % (linear light; about 1.3 % of luma) of its target is left alone: the AGC
itself leaves changes under its 2 % stable region alone."""
CONVERGED_FRAMES = 3
"""Frames in a row the camera must report its auto-exposure converged before a step."""
HOLDOFF_FRAMES = 6
"""Frames after a step before the next: the sensor's delay, and the AGC seeing the new EV."""
MEDIAN_FRAMES = 3
"""The face is read as the median of the last few frames: one odd frame (a clap's flash, a hand
in front of the lens) moves nothing."""


SPOT, MATRIX = "spot", "matrix"
TOP_GAIN = 16.0
"""The top of the booth's exposure profile: the Camera Module 3's largest analogue gain."""


@dataclass(frozen=True)
class CameraAim:
    """How the camera's auto-exposure is set up for the `[light]` settings (`camera_aim`).

    metering: libcamera's AeMeteringMode, by its tuning-file name ("spot", "matrix", …).
    face_level: the face meter's target (0..1 of full scale), None for no face meter.
    exposure_profile: (exposure times in µs, analogue gains) of the exposure mode the booth
    adds to the camera's tuning as AeExposureMode Custom; None keeps the tuning's "normal".
    """

    metering: str
    face_level: float | None
    exposure_profile: tuple[tuple[float, ...], tuple[float, ...]] | None


def camera_aim(light: LightSettings) -> CameraAim:
    """The camera's auto-exposure for `[light]`: "face" meters a spot, sets the EV by the face
    and uses the booth's exposure profile (`booth_exposure_profile`); "frame" meters the whole
    picture with the tuning's own profile, as a camera comes out of the box."""
    if light.metering != "face":
        return CameraAim(MATRIX, None, None)
    return CameraAim(SPOT, light.face_level, booth_exposure_profile(light.target_exposure_us))


def booth_exposure_profile(exposure_us: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Light before gain, in the camera: exposure time up to the target's (30 ms) at gain 1,
    only then analogue gain. The tuning files' "normal" profile raises the gain to 1.5–2 at
    10 ms before it lengthens the exposure (Camera Module 3: 10 ms × 1.5, then 30 ms × 2), which
    with exposures rounded down to whole 10 ms mains periods puts a bright room at 10 ms × 2.2.
    Stages as in libcamera's exposure modes: lengthen the exposure to the next stage's time,
    then raise the gain to the next stage's gain."""
    return (100.0, exposure_us, exposure_us), (1.0, 1.0, TOP_GAIN)


def with_booth_exposure_mode(
    tuning: dict[str, Any], profile: tuple[tuple[float, ...], tuple[float, ...]]
) -> dict[str, Any]:
    """A copy of a Raspberry Pi camera tuning (picamera2's `Picamera2.load_tuning_file`) with
    `profile` (`CameraAim.exposure_profile`) added as the exposure mode "custom" of every AGC
    channel, which `AeExposureMode` Custom selects (libcamera's src/ipa/rpi/common/ipa_base.cpp
    maps ExposureCustom to "custom"). Handles version 1 files (`rpi.agc` at the top) and
    version 2 (a list of algorithms, the AGC with or without `channels`), as picamera2's
    `find_tuning_algo` does. Raises KeyError or StopIteration without an `rpi.agc`."""
    tuned = copy.deepcopy(tuning)
    if tuned.get("version", 1) == 1:
        agc = tuned["rpi.agc"]
    else:
        agc = next(a for a in tuned["algorithms"] if "rpi.agc" in a)["rpi.agc"]
    shutter, gain = profile
    for channel in agc.get("channels", [agc]):
        channel.setdefault("exposure_modes", {})["custom"] = {
            "shutter": list(shutter),
            "gain": list(gain),
        }
    return tuned


AE_METERING_MODES = {"centre-weighted": 0, "spot": 1, "matrix": 2}
"""libcamera's AeMeteringModeEnum values (control_ids_core.yaml: MeteringCentreWeighted 0,
MeteringSpot 1, MeteringMatrix 2) by the tuning files' names."""
AE_EXPOSURE_CUSTOM = 3
"""libcamera's AeExposureModeEnum ExposureCustom."""


def aim_controls(aim: CameraAim, available: Collection[str], tuned: bool) -> dict[str, Any]:
    """picamera2 controls that set the camera's auto-exposure up as `aim` says.

    available: the controls the camera offers (`Picamera2.camera_controls`); one it lacks is
    left out. tuned: whether the camera was opened with the booth's exposure mode in its tuning
    (`with_booth_exposure_mode`): only then is AeExposureMode Custom asked for.
    """
    controls: dict[str, Any] = {}
    if "AeMeteringMode" in available:
        controls["AeMeteringMode"] = AE_METERING_MODES[aim.metering]
    if tuned and aim.exposure_profile is not None and "AeExposureMode" in available:
        controls["AeExposureMode"] = AE_EXPOSURE_CUSTOM
    if aim.face_level is not None and "ExposureValue" in available:
        controls["ExposureValue"] = 0.0
    return controls


class FaceExposure:
    """The camera's ExposureValue that puts the face at its target level.

    level: the face's mean luma to aim at, 0..1 of full scale (`FACE_LEVEL`).
    """

    def __init__(self, level: float = FACE_LEVEL) -> None:
        if not 0.0 < level < 1.0:
            raise ValueError(f"face level {level} must be between 0 and 1")
        self.level = level
        self.target = linear_light(level)
        """The face's brightness aimed at, linear light (booth.devices.face_meter units)."""
        self.exposure_value = 0.0
        """The ExposureValue to ask the camera for, in stops."""
        self._converged = 0
        self._since_step = HOLDOFF_FRAMES
        self._faces: deque[float] = deque(maxlen=MEDIAN_FRAMES)

    def update(self, face: float, converged: bool) -> float:
        """One frame: its face brightness (booth.devices.face_meter.face_brightness, linear
        0..1) and whether the camera's auto-exposure had converged (AeState). Returns the
        ExposureValue to ask for from now on."""
        self._since_step += 1
        self._converged = self._converged + 1 if converged else 0
        self._faces.append(face)
        if self._since_step < HOLDOFF_FRAMES or self._converged < CONVERGED_FRAMES:
            return self.exposure_value
        error = math.log2(self.target / max(statistics.median(self._faces), 1e-4))
        if abs(error) < math.log2(1.0 + DEADBAND):
            return self.exposure_value
        step = max(-MAX_STEP_EV, min(MAX_STEP_EV, error))
        self.exposure_value = max(-MAX_EV, min(MAX_EV, self.exposure_value + step))
        self._since_step = self._converged = 0
        return self.exposure_value
