"""The exposure of a take: locked when it starts, with a small gain trim that holds the face.

While a take is recorded the camera's auto-exposure is off (picamera2: exposure time and
analogue gain manual). Auto-exposure holds the *whole frame's* mean brightness, moving in steps
of its own (it ignores changes under its 2 % stable region, then catches up over 15-20 frames),
and the ring lights the face far more than the backdrop, so with auto-exposure running a room
that changes during a take shows on the face as a drift and a step. Locked, the picture changes
only when the light does, and the ring light (booth.light.controller) cancels a change of the
room in small moves.

The ring may move at most 2 % of full scale per second while recording, though, and a door that
swings open in 1.5 s lights the face 7 % more: the ring needs 2-3 s to take that back. For those
seconds the camera trims its analogue gain, at most `MAX_TRIM` either way, so the face in the
picture stays as bright as in the take's first frame; the ring, which keeps the *light* on the
face where it was, then takes the trim back to 1 (the gain, and so the noise, return to where
the take started). Only the gain moves: the exposure time stays the whole number of flicker
periods it was locked at, so mains lamps and the ring's PWM never band.

`FaceHold` is that trim, pure: each frame's face brightness and settings in, the next settings
out. The simulated camera and the Pi camera both run it while an encoder is attached.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

MAX_TRIM = 0.10
"""Largest gain trim either way (10 %): a door or a lamp, not a candidate leaning back."""
TRIM_SPEED = 0.5
"""Share of the remaining error corrected per frame (the target is absolute, so any value up
to 1 is stable despite the sensor's delay)."""
TRIM_FRAMES = 5
"""The trim aims at the mean of the last few frames' needs: one frame's face patch is noisy
(sensor noise, the head's sway), a few frames' mean much less so."""
TRIM_DEADBAND = 0.005
"""Trim changes under 0.2 % are left alone: far below what shows, above the face patch's
noise."""


@dataclass(frozen=True)
class Exposure:
    """Exposure time (µs), analogue gain and digital gain of a frame or a request."""

    exposure_us: float
    analogue_gain: float
    digital_gain: float = 1.0

    @property
    def total(self) -> float:
        """Exposure × analogue gain × digital gain, in µs."""
        return self.exposure_us * self.analogue_gain * self.digital_gain


class FaceHold:
    """The locked exposure of one take and its face-holding gain trim.

    locked: the exposure the take is locked at (auto-exposure's last choice).
    max_analogue_gain: the sensor's top analogue gain; a trim above it goes to digital gain.
    """

    def __init__(self, locked: Exposure, max_analogue_gain: float = 16.0) -> None:
        self.locked = locked
        self.max_analogue_gain = max_analogue_gain
        self.trim = 1.0
        """The gain asked for now, as a factor on the locked gain."""
        self.reference: float | None = None
        """The face's brightness in the take's first frame (linear, 0..1)."""
        self._wanted: deque[float] = deque(maxlen=TRIM_FRAMES)

    def update(self, face: float, frame: Exposure) -> Exposure:
        """One frame's face brightness (linear, 0..1, see
        booth.devices.face_meter.face_brightness) and the settings it was really taken with
        (its metadata); returns the settings to request.
        """
        if face <= 0.0 or frame.total <= 0.0:
            return self.request
        if self.reference is None:
            self.reference = face
        # The exposure this very frame would have needed: an absolute target, so the sensor's
        # delay in applying requests cannot make the trim ring.
        self._wanted.append(frame.total * self.reference / face / self.locked.total)
        wanted = sum(self._wanted) / len(self._wanted)
        wanted = min(1.0 + MAX_TRIM, max(1.0 - MAX_TRIM, wanted))
        if abs(wanted / self.trim - 1.0) > TRIM_DEADBAND:
            self.trim += TRIM_SPEED * (wanted - self.trim)
        return self.request

    @property
    def request(self) -> Exposure:
        """The settings to ask the sensor for: the locked exposure time, the trimmed gain."""
        gain = self.locked.analogue_gain * self.locked.digital_gain * self.trim
        # Sensors have no gain under 1: at gain 1 the face can be held only against darkening.
        analogue = min(max(1.0, gain), self.max_analogue_gain)
        return Exposure(self.locked.exposure_us, analogue, max(1.0, gain / analogue))
