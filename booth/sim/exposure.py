"""A simulated camera auto-exposure that moves the way Raspberry Pi's does.

libcamera's Raspberry Pi AGC (src/ipa/rpi/controller/rpi/agc_channel.cpp) works per frame:
it measures the mean luminance of the frame without digital gain, computes the total exposure
(exposure time × gain) that would bring it to `y_target`, and then *filters*: it jumps there at
once during the first `startup_frames`, afterwards it moves a fraction `speed` (0.2) of the
remaining distance each frame (the square root of `speed` once within ±20 %), and it leaves
changes under `stable_region` (2 %) alone. The total is then divided up into exposure time
first, analogue gain next, stage by stage, with the exposure time capped by the frame duration
and, when a flicker period is set, rounded down to whole flicker periods. Digital gain makes up
only what analogue gain cannot.

What the AGC measures is a *weighted* mean: the statistics come in 15 × 15 zones (a Pi 5's
PiSP; a Pi 4's VC4 has fewer), and the metering mode (libcamera's `AeMeteringMode`:
centre-weighted, spot or matrix) weighs each zone by a table from the tuning file.
`METERING_WEIGHTS` are those tables from the Camera Module 3's PiSP tuning file
(src/ipa/rpi/pisp/data/imx708.json, `rpi.agc` channel 0). `ExposureValue` multiplies the
target: y_target × 2^EV, capped at 0.9 (agc_channel.cpp, `EvGainYTargetLimit`). The AGC's
histogram constraints (the "normal" constraint mode lifts the brightest 2 % to at least 0.5)
are not modelled: the booth's face meter (booth.devices.face_exposure) closes whatever gap the
camera's own metering leaves, on a Pi as here.

This class is that algorithm on one number (the metered mean) instead of full statistics.
With the sensor's two-frame delay in applying new settings (modelled by the simulated camera)
it settles in about 15–20 frames after a large step, like the real camera. It is pure: no I/O,
no clock; the caller passes each frame's measurement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class AgcTuning:
    """The AGC tuning keys, named as in Raspberry Pi's camera tuning files.

    y_target: mean luminance the AGC aims at, linear, as a fraction of full scale (the rpi
    tuning files use about 0.16).
    speed: fraction of the remaining error corrected per frame after start-up.
    startup_frames: frames during which the AGC jumps straight to its target.
    stable_region: relative change below which the exposure is left alone.
    fast_reduce_threshold: when a bright target is over-exposed, exposure without digital
    gain drops to this fraction at once ("desaturate").
    exposure_stages_us, gain_stages: the exposure profile, like the "normal" mode of the rpi
    tuning files: raise exposure time to the next stage first, then gain to the next stage.
    The last gain stage is the sensor's top analogue gain (16 on a Camera Module 3).
    min_exposure_us: the sensor's shortest exposure time.
    max_analogue_gain: the sensor's top analogue gain.
    max_digital_gain: the ISP's top digital gain.
    """

    y_target: float = 0.16
    speed: float = 0.2
    startup_frames: int = 10
    stable_region: float = 0.02
    fast_reduce_threshold: float = 0.4
    exposure_stages_us: tuple[float, ...] = (100.0, 10_000.0, 30_000.0, 60_000.0, 66_666.0)
    gain_stages: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)
    min_exposure_us: float = 100.0
    max_analogue_gain: float = 16.0
    max_digital_gain: float = 4.0


def _diamond(radii: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    return tuple(
        tuple(radii[min(len(radii) - 1, abs(r - 7) + abs(c - 7))] for c in range(15))
        for r in range(15)
    )


METERING_WEIGHTS: dict[str, tuple[tuple[int, ...], ...]] = {
    # Rows top to bottom, 15 zones each, as in the tuning file.
    "centre-weighted": (
        (0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0),
        (0, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 0),
        (1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1),
        (1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1),
        (1, 1, 2, 2, 2, 2, 3, 3, 3, 2, 2, 2, 2, 1, 1),
        (1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 2, 2, 2, 1, 1),
        (1, 1, 2, 2, 3, 3, 3, 4, 3, 3, 3, 2, 2, 1, 1),
        (1, 1, 2, 2, 3, 3, 4, 4, 4, 3, 3, 2, 2, 1, 1),
        (1, 1, 2, 2, 3, 3, 3, 4, 3, 3, 3, 2, 2, 1, 1),
        (1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 2, 2, 2, 1, 1),
        (1, 1, 2, 2, 2, 2, 3, 3, 3, 2, 2, 2, 2, 1, 1),
        (1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1),
        (1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1),
        (0, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 0),
        (0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0),
    ),
    # A diamond around the middle zone: 3 in the middle, 2, then 1, then nothing.
    "spot": _diamond((3, 2, 1, 0)),
    "matrix": _diamond((1,)),
}
"""Zone weights of libcamera's metering modes (Raspberry Pi Camera Module 3, PiSP)."""
EV_Y_TARGET_LIMIT = 0.9
"""libcamera caps y_target × 2^EV here: histograms say nothing near saturation."""

INITIAL_EXPOSURE_US = 1000
INITIAL_GAIN = 1.0


class AutoExposure:
    """Chooses exposure time and gains frame by frame from the measured mean luminance.

    frame_duration_us: the sensor's frame time (33 333 µs at 30 fps); exposure never exceeds it.
    flicker_period_us: the light's flicker period to avoid (10 000 µs for 50 Hz mains lamps,
    or the ring light's PWM period); None to disable. Like `AeFlickerPeriod` in picamera2.
    """

    def __init__(
        self,
        frame_duration_us: float,
        tuning: AgcTuning | None = None,
        flicker_period_us: float | None = None,
    ) -> None:
        self.tuning = tuning or AgcTuning()
        self.frame_duration_us = float(frame_duration_us)
        self.flicker_period_us = flicker_period_us
        self.exposure_us = float(INITIAL_EXPOSURE_US)
        self.analogue_gain = INITIAL_GAIN
        self.digital_gain = 1.0
        self.frame_count = 0
        self.exposure_value = 0.0
        """libcamera's `ExposureValue` (EV stops): the target is y_target × 2^EV."""
        self.converged = False
        """Whether the last frame's target was inside the stable region (libcamera's AeState
        Converged, as opposed to Searching)."""
        self._filtered: float | None = None

    @property
    def settings(self) -> tuple[int, float, float]:
        """(exposure_us, analogue_gain, digital_gain) to use for the next frame."""
        return round(self.exposure_us), self.analogue_gain, self.digital_gain

    @property
    def max_exposure_us(self) -> float:
        return min(self.tuning.exposure_stages_us[-1], self.frame_duration_us)

    @property
    def y_target(self) -> float:
        """The metered mean aimed at: the tuning's y_target × 2^ExposureValue (capped)."""
        return min(EV_Y_TARGET_LIMIT, self.tuning.y_target * 2.0**self.exposure_value)

    def update(
        self,
        mean_luma: float,
        exposure_us: float | None = None,
        analogue_gain: float | None = None,
    ) -> tuple[int, float, float]:
        """Take one frame's measurement; return the settings to request next.

        mean_luma: the metered mean luminance of the frame (its zones weighted by the metering
        mode) before digital gain, linear, 0..1 of full scale.
        exposure_us, analogue_gain: what that frame was really taken with (its metadata). A
        sensor applies new settings a couple of frames late, so these can differ from the last
        request; None means the last request.
        """
        t = self.tuning
        self.frame_count += 1
        y_target = self.y_target
        # As libcamera does: a few rounds, so the small offset that guards against a black
        # frame does not bias the result.
        gain = 1.0
        for _ in range(8):
            extra = min(10.0, y_target / (min(1.0, max(0.0, mean_luma) * gain) + 0.001))
            gain *= extra
            if extra < 1.01:
                break
        current_no_dg = (exposure_us or self.exposure_us) * (analogue_gain or self.analogue_gain)
        max_total = self.max_exposure_us * t.gain_stages[-1]
        target = min(current_no_dg * gain, max_total)
        self._filter(target)
        assert self._filtered is not None
        no_dg = self._filtered
        if y_target > t.fast_reduce_threshold and gain < math.sqrt(y_target):
            no_dg *= t.fast_reduce_threshold
        self._divide_up(no_dg)
        return self.settings

    def _filter(self, target: float) -> None:
        t = self.tuning
        speed, stable = t.speed, t.stable_region
        if self.frame_count <= t.startup_frames:
            speed, stable = 1.0, 0.0
        f = self._filtered
        self.converged = f is not None and f * (1 - t.stable_region) < target < f * (
            1 + t.stable_region
        )
        if f is None:
            self._filtered = target
        elif f * (1 - stable) < target < f * (1 + stable):
            return
        else:
            if 0.8 * target < f < 1.2 * target:
                speed = math.sqrt(speed)
            self._filtered = speed * target + (1 - speed) * f

    def _divide_up(self, value: float) -> None:
        t = self.tuning
        exposure = self._limit_exposure(t.exposure_stages_us[0])
        gain = max(1.0, t.gain_stages[0])
        if exposure * gain < value:
            for stage in range(1, len(t.gain_stages)):
                stage_exposure = self._limit_exposure(t.exposure_stages_us[stage])
                if stage_exposure * gain >= value:
                    exposure = value / gain
                    break
                exposure = stage_exposure
                if t.gain_stages[stage] * exposure >= value:
                    gain = value / exposure
                    break
                gain = t.gain_stages[stage]
        if self.flicker_period_us:
            periods = math.floor(exposure / self.flicker_period_us)
            if periods:
                whole = periods * self.flicker_period_us
                gain *= exposure / whole
                exposure = whole
        analogue = min(gain, t.max_analogue_gain)
        no_dg = analogue * exposure
        # The ISP never attenuates: digital gain stays at 1 or above.
        assert self._filtered is not None  # _filter set it before the split
        digital = min(max(1.0, self._filtered / no_dg), t.max_digital_gain)
        self._filtered = no_dg * digital
        self.exposure_us, self.analogue_gain, self.digital_gain = exposure, analogue, digital

    def _limit_exposure(self, exposure_us: float) -> float:
        return min(max(exposure_us, self.tuning.min_exposure_us), self.max_exposure_us)
