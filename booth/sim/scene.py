"""The simulated booth as the camera sees it: a candidate in front of a plain backdrop.

The figure (head oval with hair, eyes and mouth, neck, shoulders) sits where the framing guide
asks a candidate to sit (booth.framing): the skin of the head oval fills the guide's face box,
the eyes are on its eye line, and the head, hair included, stays inside the guide's oval. It
sways slowly from side to side, by up to the `sway` the guide allows for, so that video is
never static.

Light: every surface gets the room's ambient illuminance; the ring light adds up to
`ring_lux_at_full` lux on the face at full duty, and much less on the backdrop behind it
(inverse square: the backdrop is about 2.5 times as far from the ring as the face).

For speed the scene is described as a *material image* (one small integer per pixel) plus the
radiance of each material. A camera turns that into pixels with one table look-up per pixel,
which keeps 1080p frames at a few tens of milliseconds in numpy. Material images are built once
per frame size and cached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from booth.framing import FRAMING

SWAY_PERIOD_S = 3.7


@dataclass(frozen=True)
class Material:
    """One surface of the scene.

    reflectance: linear RGB reflectance, 0..1.
    ring_coupling: share of the ring light's face illuminance this surface receives
    (1.0 for the face; the backdrop is farther from the ring and gets far less).
    """

    name: str
    reflectance: tuple[float, float, float]
    ring_coupling: float


def _materials() -> tuple[Material, ...]:
    backdrop = [
        # A neutral blue-grey backdrop, a little darker towards the floor.
        Material(f"backdrop{i}", (0.40 - 0.01 * i, 0.43 - 0.01 * i, 0.48 - 0.01 * i), 0.15)
        for i in range(8)
    ]
    skin = [
        Material(f"skin{i}", (0.56 * s, 0.39 * s, 0.31 * s), 1.0)
        for i, s in enumerate((1.0, 0.92, 0.80))
    ]
    return (
        *backdrop,
        *skin,
        Material("hair", (0.07, 0.05, 0.04), 1.0),
        Material("eye", (0.04, 0.035, 0.03), 1.0),
        Material("brow", (0.10, 0.07, 0.05), 1.0),
        Material("mouth", (0.33, 0.14, 0.13), 1.0),
        Material("neck", (0.45, 0.31, 0.25), 0.8),
        Material("shirt", (0.16, 0.20, 0.30), 0.7),
    )


MATERIALS: tuple[Material, ...] = _materials()
_INDEX = {m.name: i for i, m in enumerate(MATERIALS)}
REFLECTANCE = np.array([m.reflectance for m in MATERIALS], dtype=np.float64)
RING_COUPLING = np.array([m.ring_coupling for m in MATERIALS], dtype=np.float64)
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])
"""Rec. 601 luma weights, as libcamera's AGC uses on its statistics."""


@dataclass(frozen=True)
class Layout:
    """The material image of one frame size, `margin` pixels wider on each side for the sway."""

    width: int
    height: int
    margin: int
    materials: np.ndarray  # (height, width + 2 * margin) uint8
    counts: np.ndarray  # pixels per material inside the unswayed frame

    def window(self, offset_px: int) -> np.ndarray:
        """The frame-sized view with the figure moved `offset_px` to the right."""
        left = self.margin - max(-self.margin, min(self.margin, offset_px))
        return self.materials[:, left : left + self.width]


@dataclass(frozen=True)
class SceneView:
    """What the scene sends towards the camera at one instant.

    materials: (H, W) uint8 material index per pixel (a view; do not modify).
    radiance: (n_materials, 3) linear RGB radiance of each material, in lux × reflectance.
    counts: pixels of each material in the frame (the same for every sway position).
    white: True while a clap flash fills the view with white light.
    """

    materials: np.ndarray
    radiance: np.ndarray
    counts: np.ndarray
    white: bool

    def mean_reflectance_luma(self) -> float:
        """Area-weighted luma reflectance of the whole view (the scene's 'grey level')."""
        luma = REFLECTANCE @ LUMA_WEIGHTS
        return float(self.counts @ luma / self.counts.sum())


@dataclass
class Scene:
    """The booth interior: backdrop, candidate, ambient light and the ring light's reach.

    ambient_lux: illuminance from the room (ceiling lights, window), in lux.
    ring_lux_at_full: illuminance the ring light adds on the face at duty 1.0, in lux.
    seed: picks the phase of the head sway, so two scenes can differ deterministically.
    """

    ambient_lux: float = 150.0
    ring_lux_at_full: float = 400.0
    seed: int = 0
    _flashes: list[tuple[int, int]] = field(default_factory=list, repr=False)

    def flash(self, at_ns: int, duration_ns: int) -> None:
        """Fill the view with white light during [at_ns, at_ns + duration_ns) (the clapperboard)."""
        self._flashes.append((at_ns, at_ns + duration_ns))

    def is_flashing(self, t_ns: int) -> bool:
        self._flashes = [(a, b) for a, b in self._flashes if b > t_ns - 10**9]
        return any(a <= t_ns < b for a, b in self._flashes)

    def sway_px(self, width: int, height: int, t_ns: int) -> int:
        """Horizontal offset of the figure at virtual time `t_ns`, in pixels of a width×height
        frame: at most the framing guide's sway (`FRAMING.sway_px`) either way."""
        t = t_ns / 1e9
        phase = (self.seed * 0.618034) % 1.0 * 2 * math.pi
        a = math.sin(2 * math.pi * t / SWAY_PERIOD_S + phase)
        b = 0.3 * math.sin(2 * math.pi * t / 1.3 + 2 * phase)
        return math.trunc(FRAMING.sway_px(width, height) * (a + b) / 1.3)

    def render(self, width: int, height: int, t_ns: int, ring_level: float) -> SceneView:
        """The scene at virtual time `t_ns` with the ring light at duty `ring_level`."""
        layout = layout_for(width, height)
        lux = self.ambient_lux + self.ring_lux_at_full * _clamp01(ring_level) * RING_COUPLING
        radiance = REFLECTANCE * lux[:, None]
        return SceneView(
            materials=layout.window(self.sway_px(width, height, t_ns)),
            radiance=radiance,
            counts=layout.counts,
            white=self.is_flashing(t_ns),
        )


@lru_cache(maxsize=16)
def zone_counts(width: int, height: int, weights: tuple[tuple[int, ...], ...]) -> np.ndarray:
    """Pixels of each material weighted by the metering zone they fall in: `weights` is a grid
    of zone weights (rows × columns, e.g. libcamera's 15 × 15) laid over the unswayed frame.
    The camera's AGC meters the weighted mean of these (booth.sim.exposure)."""
    materials = layout_for(width, height).window(0)
    rows, cols = len(weights), len(weights[0])
    grid = np.asarray(weights, dtype=np.float64)
    w = grid[(np.arange(height) * rows) // height][:, (np.arange(width) * cols) // width]
    counts = np.bincount(materials.ravel(), weights=w.ravel(), minlength=len(MATERIALS))
    counts.setflags(write=False)
    return counts


def _face_ellipse(width: int, height: int) -> tuple[float, float, float, float]:
    """The head oval's skin (centre x, centre y, radii): the framing guide's face box."""
    face = FRAMING.face(width, height)
    return face.cx, face.cy, face.w / 2, face.h / 2


@lru_cache(maxsize=8)
def layout_for(width: int, height: int) -> Layout:
    """Build (once per size) the material image of the backdrop and the figure."""
    if width < 16 or height < 16:
        raise ValueError(f"frame size {width}x{height} is too small (at least 16x16)")
    margin = math.ceil(FRAMING.sway_px(width, height)) + 1
    full_w = width + 2 * margin
    m = np.empty((height, full_w), dtype=np.uint8)
    bands = np.minimum((np.arange(height) * 8) // height, 7).astype(np.uint8)
    m[:] = bands[:, None]

    fcx, fcy, rx, ry = _face_ellipse(width, height)
    cx = fcx + margin
    # Shoulders: a wide ellipse, and the body straight down from them to the frame's bottom
    # (in a portrait frame, that is well below the shoulders).
    _paint_ellipse(m, cx, fcy + 2.25 * ry, 2.6 * rx, 1.25 * ry, _INDEX["shirt"])
    _paint_rect(m, cx - 2.6 * rx, fcy + 2.25 * ry, 5.2 * rx, height, _INDEX["shirt"])
    _paint_rect(m, cx - 0.42 * rx, fcy + 0.6 * ry, 0.84 * rx, 0.75 * ry, _INDEX["neck"])
    _paint_ellipse(m, cx, fcy + 1.42 * ry, 0.9 * rx, 0.2 * ry, _INDEX["shirt"])
    _paint_ellipse(m, cx, fcy - 0.06 * ry, 1.07 * rx, 1.02 * ry, _INDEX["hair"])
    # Skin in three rings: the front of the face faces the ring light, the sides turn away.
    for i, scale in ((2, 1.0), (1, 0.88), (0, 0.7)):
        _paint_ellipse(m, cx, fcy, rx * scale, ry * scale, _INDEX[f"skin{i}"])
    # Hair over the top of the head, down to the hairline.
    _paint_ellipse(m, cx, fcy - 0.74 * ry, 0.93 * rx, 0.34 * ry, _INDEX["hair"])
    eye_y = FRAMING.eye_y(height)
    for side in (-1, 1):
        ex = cx + side * 0.38 * rx
        _paint_ellipse(m, ex, eye_y, 0.17 * rx, 0.07 * ry, _INDEX["eye"])
        _paint_ellipse(m, ex, eye_y - 0.16 * ry, 0.22 * rx, 0.035 * ry, _INDEX["brow"])
    _paint_ellipse(m, cx, fcy + 0.55 * ry, 0.3 * rx, 0.06 * ry, _INDEX["mouth"])

    counts = np.bincount(m[:, margin : margin + width].ravel(), minlength=len(MATERIALS))
    m.setflags(write=False)
    return Layout(width, height, margin, m, counts.astype(np.float64))


def _paint_ellipse(
    m: np.ndarray,
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    value: int,
) -> None:
    h, w = m.shape
    x0, x1 = max(0, math.floor(cx - rx)), min(w, math.ceil(cx + rx) + 1)
    y0, y1 = max(0, math.floor(cy - ry)), min(h, math.ceil(cy + ry) + 1)
    if x0 >= x1 or y0 >= y1 or rx <= 0 or ry <= 0:
        return
    y, x = np.ogrid[y0:y1, x0:x1]
    inside = ((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1.0
    m[y0:y1, x0:x1][inside] = value


def _paint_rect(m: np.ndarray, x: float, y: float, w: float, h: float, value: int) -> None:
    rows, cols = m.shape
    x0, x1 = max(0, round(x)), min(cols, round(x + w))
    y0, y1 = max(0, round(y)), min(rows, round(y + h))
    m[y0:y1, x0:x1] = value


def _clamp01(v: float) -> float:
    return min(1.0, max(0.0, float(v)))
