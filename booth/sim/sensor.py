"""A simulated image sensor and ISP: scene radiance in, 8-bit RGB pixels out.

A pixel's linear value before digital gain is radiance × exposure time × analogue gain ×
`sensitivity`, clipped at full scale (1.0). Noise has two parts, both in linear units: read
noise, amplified by the analogue gain, and photon shot noise, which grows with the square root
of the signal and the gain. So a dark room, where the camera runs at high gain, gives a grainy
picture, as a real one does. Digital gain multiplies signal and noise alike. The result goes
through the sRGB transfer curve to 8 bits.

Because a scene is a handful of materials, the sensor computes a small palette (material ×
noise level → RGB) and looks each pixel up in it; the noise level per pixel comes from a
pre-drawn random field that shifts every frame.
"""

from __future__ import annotations

from functools import lru_cache
from statistics import NormalDist

import numpy as np

from booth.sim.scene import LUMA_WEIGHTS, SceneView

NOISE_LEVELS = 16
"""Gaussian noise is drawn from this many quantiles (enough to look like grain)."""
_NOISE_SHIFT = 4  # log2(NOISE_LEVELS)
_NOISE_SPARE_ROWS = 61
_Z = np.array(
    [NormalDist().inv_cdf((i + 0.5) / NOISE_LEVELS) for i in range(NOISE_LEVELS)],
    dtype=np.float64,
)


class Sensor:
    """The sensor's response.

    sensitivity: linear full-scale fraction per lux·second of radiance at gain 1 (0.02 puts a
    typical booth at 300 lux around 33 ms × gain 2, and a dark room at the top analogue gain).
    read_noise: read noise at gain 1, as a fraction of full scale.
    full_well_electrons: electrons at full scale at gain 1 (sets the shot noise).
    seed: seed of the noise field.
    """

    def __init__(
        self,
        sensitivity: float = 0.02,
        read_noise: float = 0.002,
        full_well_electrons: float = 4000.0,
        seed: int = 0,
    ) -> None:
        self.sensitivity = sensitivity
        self.read_noise = read_noise
        self.full_well_electrons = full_well_electrons
        self.seed = seed

    def linear(self, view: SceneView, exposure_us: float, analogue_gain: float) -> np.ndarray:
        """Per material, the linear RGB value before digital gain, clipped at full scale."""
        if view.white:
            return np.ones_like(view.radiance)
        k = exposure_us * 1e-6 * analogue_gain * self.sensitivity
        return np.minimum(view.radiance * k, 1.0)

    def meter(
        self,
        view: SceneView,
        exposure_us: float,
        analogue_gain: float,
        counts: np.ndarray | None = None,
    ) -> float:
        """Mean luminance of the frame before digital gain (what the AGC statistics give), 0..1.

        counts: pixels per material weighted by the metering mode's zones
        (booth.sim.scene.zone_counts); None for the whole frame, every pixel alike.
        """
        luma = self.linear(view, exposure_us, analogue_gain) @ LUMA_WEIGHTS
        weights = view.counts if counts is None else counts
        return float(weights @ luma / weights.sum())

    def lux(self, view: SceneView, mean_luma: float, exposure_us: float, gain: float) -> float:
        """Estimate the scene illuminance in lux from a frame's brightness, as rpi.lux does.

        Clipped highlights make it read low, as a real camera's estimate does.
        """
        k = exposure_us * 1e-6 * gain * self.sensitivity * view.mean_reflectance_luma()
        return mean_luma / k if k > 0 else 0.0

    def palette(
        self, view: SceneView, exposure_us: float, analogue_gain: float, digital_gain: float
    ) -> np.ndarray:
        """(n_materials × NOISE_LEVELS, 3) uint8: each material's colour at each noise level."""
        if view.white:
            return np.full((len(view.radiance) * NOISE_LEVELS, 3), 255, dtype=np.uint8)
        signal = self.linear(view, exposure_us, analogue_gain)
        read = self.read_noise * analogue_gain
        shot = signal * analogue_gain / self.full_well_electrons
        sigma = np.sqrt(read * read + shot)
        noisy = signal[:, None, :] + sigma[:, None, :] * _Z[None, :, None]
        noisy = np.clip(noisy, 0.0, 1.0) * digital_gain
        return _srgb8(noisy).reshape(-1, 3)

    def image(
        self,
        view: SceneView,
        exposure_us: float,
        analogue_gain: float,
        digital_gain: float,
        frame_index: int,
    ) -> np.ndarray:
        """The frame as (H, W, 3) uint8 RGB."""
        palette = self.palette(view, exposure_us, analogue_gain, digital_gain)
        return self.image_from_palette(view, palette, frame_index)

    def image_from_palette(
        self, view: SceneView, palette: np.ndarray, frame_index: int
    ) -> np.ndarray:
        """Look every pixel up in `palette` (see `palette`); used for main and preview streams."""
        h, w = view.materials.shape
        field = _noise_field(h, w, self.seed)
        row = (frame_index * 37) % _NOISE_SPARE_ROWS
        index = np.left_shift(view.materials, _NOISE_SHIFT, dtype=np.uint16)
        index |= field[row : row + h]
        return np.take(palette, index, axis=0)


@lru_cache(maxsize=8)
def _noise_field(height: int, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    field = rng.integers(0, NOISE_LEVELS, size=(height + _NOISE_SPARE_ROWS, width), dtype=np.uint16)
    field.setflags(write=False)
    return field


def _srgb8(linear: np.ndarray) -> np.ndarray:
    v = np.clip(linear, 0.0, 1.0)
    encoded = np.where(v <= 0.0031308, 12.92 * v, 1.055 * np.power(v, 1 / 2.4) - 0.055)
    return np.rint(encoded * 255).astype(np.uint8)
