"""The ring light controller: the camera's exposure metadata in, the ring light's output out.

Two loops, one fast and open, one slow and closed:

- Feed-forward (every frame). A frame's `Lux` is the scene's light measured from that very
  frame, so a lamp switched on shows in the next frame's metadata, while auto-exposure needs
  15–20 frames to follow. The calibration curve says how much of that lux is the ring's own
  light; the rest is the room. The output that brings room + ring to the lux the target
  exposure × gain needs is found in one step, and the light moves there in one move (at the
  slew limit). The room estimate is the median of the last three frames, so one odd frame
  (a clap, a hand in front of the lens) moves nothing.
- Trim (slow). Only once auto-exposure has settled (exposure × gain steady for a while after
  the light last moved) does the controller compare the real exposure × gain with its target
  and correct the curve's scale. Waiting for the settle keeps this loop slower than the camera's
  own, so the two never chase each other. Without a calibration curve this is the only loop:
  a step, a settle, a step.

While recording, the target changes: the take must keep the candidate's face as bright as it
started, which exposure × gain on target does not give (auto-exposure holds the whole frame's
brightness, and the ring lights the face far more than the backdrop). How the controller keeps
the face depends on the camera:

- Exposure locked (frames report `AeState` idle: the booth's cameras lock it while an encoder is
  attached, see booth.devices.exposure_hold). The picture then changes only when the light on the
  face does, so the controller keeps that light, room + ring, where it was in the take's first
  locked frame: the room's share comes from each frame's lux reading, the ring's from the
  calibration curve (its face points, or the whole frame's lux without them), and the output that
  makes up the difference is found in one step, reached at `recording_slew_per_s` (2 % of full light
  per second). A door that opens in 1.5 s outruns that slew for two or three seconds; meanwhile the
  camera's small face-holding gain trim keeps the picture steady, and as the ring catches up the
  trim returns to 1. Measured in the simulated booth (bench/light.py): the door moves the face 0.7 %
  within a take, against 3.6 % with auto-exposure running and the same controller, 2.7 % with the
  lock but no trim, 5.4 % for a proportional loop. Nothing jumps at the take's start: the lock keeps
  auto-exposure's last choice (already in the sensor's pipeline) and the reference is what that
  first frame shows, so a take that starts while the light is still ramping holds the face there and
  finishes the move no faster than the recording slew. While the exposure is locked the trim and the
  no-curve loop stop (a frozen exposure × gain says nothing about the light), and a session screen
  shown over a recording (the camera still locked) keeps the recording's rules.
- Auto-exposure running (a camera that cannot lock). From the take's first frame the
  controller keeps the face's predicted brightness once auto-exposure settles (calibration
  curve) where it was, moving at most `recording_slew_per_s`; without a face curve it holds the
  light.

Metering on the face (`[light] metering = "face"`, the default) changes what the light aims at.
The camera's exposure then holds the candidate's face at its level (booth.devices.face_exposure),
so exposure × gain follows the light *on the face* alone, and each frame's face brightness over
its exposure × gain measures that light in the very frame (the `FaceBrightness` key the cameras
add). The face curve splits it into the ring's share and the room's, and the output that gives
the face the light the target exposure × gain needs is found in one step: light before gain.
Where the ring at full cannot give that much, `missing_light` says how much more the face needs
(booth.light.record). In a room bright enough on its own the ring adds only what brings the
exposure to whole flicker periods at gain 1 (`_face_target`). Locked for a take, the light on the
face is held where the take's first frame had it, measured the same way; the lux reading, the
scene constant and its trim are not used.

On top: a deadband (no move for a predicted error under `deadband`), slew limits (fast in a
session, at most `recording_slew_per_s` while recording, soft `ramp_s` ramps when a session
starts or ends and for idle, closed and override levels), the idle level, off when closed.

Units: light output is the share of the ring's full light, 0..1 (linear, what the camera sees;
the driver maps it to duty). Staff levels and the idle level are CIE lightness
(booth.devices.light.output_for_lightness).
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Mapping
from typing import Any

from booth.devices.face_meter import linear_light
from booth.devices.ports.camera import AE_STATE_IDLE, FACE_KEY
from booth.devices.ports.light import output_for_lightness
from booth.light.curve import LightCurve
from booth.light.settings import LightSettings
from booth.session.screens import Screen

IDLE, SESSION, RECORDING, CLOSED, OVERRIDE = "idle", "session", "recording", "closed", "override"
MODES = (IDLE, SESSION, RECORDING, CLOSED, OVERRIDE)

SETTLE_FRAMES = 20
"""Frames after the light last moved before the trim trusts exposure × gain: libcamera's AGC
needs about 15–20 frames to settle (speed 0.2, two frames of sensor delay)."""
STEADY_FRAMES = 6
STEADY_SPREAD = 0.03
"""Exposure × gain counts as settled when it spread less than this over `STEADY_FRAMES`."""
ROOM_MEDIAN_FRAMES = 3
TRIM_WEIGHT = 0.3
"""Share of a settled frame's observed scene constant taken into the estimate per frame."""
TRIM_PLAUSIBLE = 0.25
RECORDING_DEADBAND = 0.003
"""Locked exposure: a predicted face error under this is left alone (a tenth of what a viewer
could notice), so noise in the lux reading does not make the light creep."""
FLICKER_MARGIN = 1.05
"""A bright room: the light aims exposure × gain this much above a whole number of flicker
periods, so that the camera, which rounds its exposure down to whole periods, lands on that
number and not one fewer (with the gain making up 1.5 or 2 times)."""
NO_CURVE_STEP = 0.25
"""Without a curve: output change per unit of log(exposure×gain / target) per settled step."""


def light_mode(screen: str, override: float | None = None) -> str:
    """The controller's mode for the kiosk's screen (booth.session.screens.Screen) and the staff
    override (`OverrideWatch.poll()`): override wins; closed is off; idle and out of order are
    the idle level; the recording screen holds; every other screen is a session."""
    if override is not None:
        return OVERRIDE
    if screen == Screen.CLOSED:
        return CLOSED
    if screen in (Screen.IDLE, Screen.OUT_OF_ORDER):
        return IDLE
    return RECORDING if screen == Screen.RECORDING else SESSION


def exposure_gain(metadata: Mapping[str, Any]) -> float:
    """Exposure time × analogue gain × digital gain of a frame, in µs."""
    return (
        float(metadata["ExposureTime"])
        * float(metadata.get("AnalogueGain", 1.0))
        * float(metadata.get("DigitalGain", 1.0))
    )


class LightController:
    """Keeps the camera at the target exposure × gain by moving the ring light.

    settings: the `[light]` settings (target, deadband, slews, ramps, idle level, metering).
    curve: the calibration curve, None when the booth was never calibrated (slow trim only).
    output: the light output the ring shows now (0..1), e.g. 0 at start-up.
    flicker_period_us: the camera's flicker period (`[recording] flicker_period_us`; 0: none):
    in a room bright enough on its own, metering on the face, the light adds what brings the
    exposure to whole periods at gain 1 (see `_face_target`).

    Call `update` once per camera frame with that frame's metadata; set the returned output on
    the light at once. Pure: no clock, no I/O.
    """

    def __init__(
        self,
        settings: LightSettings,
        curve: LightCurve | None = None,
        output: float = 0.0,
        flicker_period_us: float = 0.0,
    ) -> None:
        self.settings = settings
        self.flicker_period_us = flicker_period_us
        self.curve = curve
        self.output = min(1.0, max(0.0, output))
        self.auto_output: float | None = None
        """What the automatic loops want (held between moves by the deadband)."""
        self.room_lux: float | None = None
        """The room's share of the camera's lux reading, as last estimated."""
        self.room_light: float | None = None
        """Metering on the face: the room's share of the light on the face, in the face
        curve's units (`LightCurve.ring_face_light`), as last estimated."""
        self.scene_constant = curve.scene_constant if curve else None
        self.mode = CLOSED
        self._ramping = True
        self._last_s: float | None = None
        self._lit: deque[tuple[float, float]] = deque(maxlen=16)
        self._rooms: deque[float] = deque(maxlen=ROOM_MEDIAN_FRAMES)
        self._exposures: deque[float] = deque(maxlen=STEADY_FRAMES)
        self._still_frames = 0
        self._take_face: float | None = None
        self._locked = False
        self._take_light: float | None = None
        """Exposure locked: the light on the face in the take's first locked frame (the face
        curve's `face_light`, or the whole frame's lux without face points)."""
        self._face_light = False
        """Whether the last frame was measured on the face (see `_measure_face`)."""
        self.missing_light: float | None = None
        """How much more light the face needs than room + ring at full give, as a fraction
        (0.4 = 40 % more; 0 when the ring can cover the room), measured on the face; None
        before a measurement or without a face curve."""

    @property
    def target_exposure_gain(self) -> float:
        return self.settings.target_exposure_gain

    def update(
        self,
        metadata: Mapping[str, Any] | None,
        now_s: float,
        mode: str,
        override: float | None = None,
    ) -> float:
        """One camera frame: returns the light output (0..1) to set now.

        metadata: the frame's picamera2 metadata (ExposureTime, AnalogueGain, DigitalGain, Lux,
        SensorTimestamp), or None when there is no frame (camera stopped): the light still
        ramps and holds.
        now_s: the time now, in seconds on the clock of SensorTimestamp (CLOCK_MONOTONIC).
        mode: what the booth is doing: idle, session, recording, closed, or override.
        override: the staff's lightness (0..1) for mode override.
        """
        if mode not in MODES:
            raise ValueError(f"unknown light mode {mode!r} (known: {', '.join(MODES)})")
        dt = 0.0 if self._last_s is None else min(0.2, max(0.0, now_s - self._last_s))
        self._last_s = now_s
        if metadata is not None:
            self._locked = metadata.get("AeState") == AE_STATE_IDLE
        if self._locked and mode == SESSION:
            # A locked exposure means a take is being recorded, whatever the screen says
            # (an "are you still there?" over the recording): the light must not jump.
            mode = RECORDING
        self._enter(mode)
        if metadata is not None:
            self._measure(metadata)
        want = self._wanted(mode, override)
        rate = self._rate(mode)
        step = max(-rate * dt, min(rate * dt, want - self.output))
        self.output = min(1.0, max(0.0, self.output + step))
        if self._ramping and abs(want - self.output) < 1e-6:
            self._ramping = False
        self._still_frames = 0 if abs(step) > 1e-4 else self._still_frames + 1
        self._lit.append((now_s, self.output))
        return self.output

    # ------------------------------------------------------------------ modes
    def _enter(self, mode: str) -> None:
        if mode == RECORDING and self.mode != RECORDING:
            self._take_face = self._face_now()
        if mode != RECORDING or not self._locked:
            self._take_light = None
        if mode == self.mode or (
            mode in (SESSION, RECORDING) and self.mode in (SESSION, RECORDING)
        ):
            self.mode = mode
            return
        # A session starting or ending, idle, closed and override all move softly.
        self.mode = mode
        self._ramping = True

    def _wanted(self, mode: str, override: float | None) -> float:
        if mode == CLOSED:
            return 0.0
        if mode == IDLE:
            return output_for_lightness(self.settings.idle_lightness)
        if mode == OVERRIDE:
            return output_for_lightness(override if override is not None else 0.0)
        if mode == RECORDING:
            if self._locked:
                return self._locked_output()
            if self._face_light:
                # Auto-exposure running on the face holds the face itself: the light holds.
                return self.output
            if self._take_face is None or self.room_lux is None or self.curve is None:
                return self.output
            return self.curve.output_for_face(self.room_lux, self._take_face)
        return self.output if self.auto_output is None else self.auto_output

    def _rate(self, mode: str) -> float:
        """Largest change of output per second in this mode."""
        s = self.settings
        if mode == RECORDING:
            return s.recording_slew_per_s
        ramp = 1.0 / s.ramp_s if s.ramp_s > 0 else math.inf
        return ramp if self._ramping or mode != SESSION else s.slew_per_s

    # ------------------------------------------------------------ measurement
    def _lit_by(self, metadata: Mapping[str, Any]) -> float:
        """The output that lit this frame: the last one set before its exposure started."""
        stamp = metadata.get("SensorTimestamp")
        if stamp is None:
            return self.output
        t = int(stamp) / 1e9
        lit = None
        for set_at, output in self._lit:
            if set_at < t:
                lit = output
        return self.output if lit is None else lit

    def _measure(self, metadata: Mapping[str, Any]) -> None:
        e = exposure_gain(metadata)
        lux = metadata.get("Lux")
        self._exposures.append(e)
        face = metadata.get(FACE_KEY)
        curve = self.curve
        self._face_light = bool(
            self.settings.metering == "face"
            and curve is not None
            and curve.has_face
            and face is not None
            and 0.0 < face < 0.98
            and e > 0
        )
        if self._face_light and face is not None:
            self._measure_face(float(face) / e, self._lit_by(metadata))
            return
        # A locked exposure says nothing about the light: neither the trim nor the no-curve
        # loop may read it as the camera having settled.
        settled = self._settled() and not self._locked
        lit = self._lit_by(metadata)
        curve, target = self.curve, self.target_exposure_gain
        if curve is None or lux is None or not math.isfinite(lux) or lux <= 0:
            if settled and abs(math.log(e / target)) > math.log1p(self.settings.deadband):
                base = self.output if self.auto_output is None else self.auto_output
                self.auto_output = min(1.0, max(0.0, base + NO_CURVE_STEP * math.log(e / target)))
                self._still_frames = 0
            return
        assert self.scene_constant is not None
        observed = e * lux
        # Far from the constant means auto-exposure is at a limit (top gain, clipping): then the
        # product says nothing about the scene.
        if settled and abs(observed / self.scene_constant - 1.0) < TRIM_PLAUSIBLE:
            self.scene_constant += TRIM_WEIGHT * (observed - self.scene_constant)
        self._rooms.append(lux - curve.ring_lux(lit))
        self.room_lux = statistics.median(self._rooms)
        if self._locked and self.mode == RECORDING and self._take_light is None:
            self._take_light = self._light_on_face(self.room_lux, lit)
        target_lux = self.scene_constant / target
        held = self.output if self.auto_output is None else self.auto_output
        predicted = self.scene_constant / max(1e-6, self.room_lux + curve.ring_lux(held))
        if self.auto_output is None or abs(predicted / target - 1.0) > self.settings.deadband:
            self.auto_output = curve.output_for(target_lux - self.room_lux)

    def _measure_face(self, light: float, lit: float) -> None:
        """Metering on the face: the camera's exposure holds the face at its level, so the light
        on the face decides exposure × gain. `light` is this frame's face brightness over its
        exposure × gain: the light on the face, in the face curve's units, measured in the very
        frame (no waiting for auto-exposure). The ring's share of it comes from the curve, the
        rest is the room; the output that brings room + ring to the light the face needs at the
        target exposure × gain is found in one step. A candidate whose skin reflects more or
        less than the calibration's face scales room and ring alike, so the next frames' steps
        finish the move."""
        curve = self.curve
        assert curve is not None
        self._rooms.append(light - curve.ring_face_light(lit))
        room = self.room_light = statistics.median(self._rooms)
        if self._locked and self.mode == RECORDING and self._take_light is None:
            self._take_light = room + curve.ring_face_light(lit)
        target = self._face_target(room)
        full = room + curve.ring_face_light(1.0)
        self.missing_light = max(0.0, target / full - 1.0) if full > 0 else None
        held = self.output if self.auto_output is None else self.auto_output
        predicted = room + curve.ring_face_light(held)
        if self.auto_output is None or abs(predicted / target - 1.0) > self.settings.deadband:
            self.auto_output = curve.output_for_ring_face_light(target - room)

    def _face_target(self, room: float) -> float:
        """The light the face needs (face curve units) in a room giving `room` of it.

        Light before gain: the face at its level with exposure × gain at the target, which the
        ring makes up where the room is darker. A room brighter than that needs less exposure
        × gain; the camera takes exposure time first (booth.devices.face_exposure's profile)
        but rounds it down to whole flicker periods and makes up the rest with gain, up to 1.5
        times (20 ms for 29 ms). So the ring adds the little light that brings the exposure to
        a whole number of periods at gain 1 instead of leaving the gain to do it."""
        level = linear_light(self.settings.face_level)
        target_e = self.target_exposure_gain
        room_e = level / room if room > 0 else math.inf
        period = self.flicker_period_us
        if room_e >= target_e or period <= 0:
            return level / target_e
        periods = math.floor(room_e / (period * FLICKER_MARGIN))
        if periods < 1:
            return room  # under one period exposures are not rounded: the room is enough
        return level / (periods * period * FLICKER_MARGIN)

    def _light_on_face(self, room_lux: float, output: float) -> float:
        """The light that makes the face's brightness (times exposure × gain): the face curve's
        `face_light`, or without one the whole frame's lux."""
        assert self.curve is not None
        if self.curve.has_face:
            return float(self.curve.face_light(room_lux, output))
        return room_lux + self.curve.ring_lux(output)

    def _locked_output(self) -> float:
        """Recording with the exposure locked: the output that keeps the face as bright as at
        the take's start in the room as it is now."""
        curve, light = self.curve, self._take_light
        room = self.room_light if self._face_light else self.room_lux
        if curve is None or light is None or room is None:
            return self.output
        if self._face_light:
            now = room + curve.ring_face_light(self.output)
            if abs(now / light - 1.0) < RECORDING_DEADBAND:
                return self.output
            return curve.output_for_ring_face_light(light - room)
        if abs(self._light_on_face(room, self.output) / light - 1.0) < RECORDING_DEADBAND:
            return self.output
        if curve.has_face:
            return curve.output_for_face_light(room, light)
        return curve.output_for(light - room)

    def _face_now(self) -> float | None:
        curve = self.curve
        if curve is None or not curve.has_face or self.room_lux is None:
            return None
        return float(curve.predicted_face(self.room_lux, self.output))

    def _settled(self) -> bool:
        if self._still_frames < SETTLE_FRAMES or len(self._exposures) < STEADY_FRAMES:
            return False
        return max(self._exposures) <= min(self._exposures) * (1.0 + STEADY_SPREAD)
