"""The glue between the face meter and a camera's exposure controls, the same for every camera.

Between takes the face meter moves the camera's `ExposureValue` until the face is at its level
(booth.devices.face_exposure); while a take records, the exposure is locked and only the
face-holding gain trim moves `AnalogueGain` (booth.devices.exposure_hold). Both reach the camera
through one port shaped like picamera2's `Picamera2.set_controls`: a mapping of libcamera
control names to values. The Pi camera's port is picamera2 itself (through
`PiCamera.set_controls`, which leaves out what the camera does not advertise); the simulated
camera's applies the same two controls to its simulated sensor and auto-exposure. A control is
asked for only when its value moves: every picamera2 request carries the controls set since the
last one, and libcamera applies each a couple of frames later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from booth.devices.exposure_hold import Exposure, FaceHold
from booth.devices.face_exposure import FaceExposure
from booth.devices.ports.camera import AE_STATE_CONVERGED

SetControls = Callable[[Mapping[str, Any]], None]
"""picamera2's `set_controls` shape: libcamera control names to values."""

GAIN_MOVED = 1e-4
"""A gain within this fraction of the one asked for last is not asked for again."""


class ExposureSteering:
    """The face meter between takes and the gain trim during them, through `set_controls`.

    face_level: the face meter's target (0..1 of full scale); None: no face meter (the EV stays
    at the camera's own).
    """

    def __init__(self, set_controls: SetControls, face_level: float | None) -> None:
        self._set_controls = set_controls
        self._face_level = face_level
        self._face_ev: FaceExposure | None = None
        self._asked_ev = 0.0
        self._hold: FaceHold | None = None
        self._asked_gain: float | None = None
        self.restart()

    def restart(self) -> None:
        """The camera (re)started: its auto-exposure begins from EV 0 and no lock."""
        level = self._face_level
        self._face_ev = FaceExposure(level) if level is not None else None
        self._asked_ev = 0.0
        self.unlock()

    @property
    def locked(self) -> bool:
        """Whether a take's exposure lock (and its gain trim) is on."""
        return self._hold is not None

    def lock(self, locked: Exposure, max_analogue_gain: float) -> None:
        """A take starts, its exposure fixed at `locked` (the camera was told so already)."""
        self._hold = FaceHold(locked, max_analogue_gain)
        self._asked_gain = locked.analogue_gain

    def unlock(self) -> None:
        """The take ended; the camera's auto-exposure takes over again."""
        self._hold = None
        self._asked_gain = None

    def frame(self, face: float, metadata: Mapping[str, Any]) -> None:
        """One frame's face brightness (booth.devices.face_meter, linear 0..1) and metadata
        (picamera2's keys): the next controls, asked for through the port if they moved."""
        if self._hold is not None:
            taken = Exposure(
                metadata["ExposureTime"], metadata["AnalogueGain"], metadata["DigitalGain"]
            )
            gain = self._hold.update(face, taken).analogue_gain
            asked = self._asked_gain
            if asked is None or abs(gain / asked - 1.0) > GAIN_MOVED:
                self._set_controls({"AnalogueGain": gain})
                self._asked_gain = gain
        elif self._face_ev is not None:
            ev = self._face_ev.update(face, metadata["AeState"] == AE_STATE_CONVERGED)
            if ev != self._asked_ev:
                self._set_controls({"ExposureValue": ev})
                self._asked_ev = ev
