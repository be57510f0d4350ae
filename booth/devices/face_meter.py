"""The candidate's face in a frame: how bright it looks, for calibration, the take's
face-holding gain trim (simulated camera and Pi) and the benchmarks.

The patch is the cheeks and nose of the face that the framing guide asks for
(booth.framing's meter patch): between the eyes and the mouth, narrow enough to stay skin
however the head sways, so its brightness changes only when the light or the exposure does.
"""

from __future__ import annotations

import numpy as np

from booth.framing import FRAMING

LUMA = np.array([0.299, 0.587, 0.114])
"""Rec. 601 luma weights (what a video's Y channel carries)."""


def face_patch(image: np.ndarray) -> np.ndarray:
    """The cheeks and nose of a well-framed face: the part between the eyes and the mouth that
    stays skin however the head sways (no eyes, brows, mouth, hair or backdrop)."""
    h, w = image.shape[:2]
    rows, cols = FRAMING.meter_patch(w, h)
    return image[rows, cols, :3]


def face_luma(image: np.ndarray) -> float:
    """Mean luma (0..255, as a video's Y shows it) of the face patch."""
    return float((face_patch(image).astype(np.float64) @ LUMA).mean())


def face_brightness(image: np.ndarray) -> float:
    """The face patch's mean luma (`face_luma`) in linear light, 0..1: what the exposure and the
    light act on in proportion (twice the light, twice this), in the units of the target."""
    return linear_light(face_luma(image) / 255.0)


def face_brightness_yuv(array: np.ndarray, width: int, height: int) -> float:
    """`face_brightness` of a YUV420 frame (picamera2's lores array, rows of `stride` bytes),
    from its Y plane alone: no RGB conversion. Y is limited range (16..235), as picamera2's
    video configurations give it."""
    stride = array.shape[1] if array.ndim == 2 else width
    y = np.asarray(array).reshape(-1)[: height * stride].reshape(height, stride)[:, :width]
    rows, cols = FRAMING.meter_patch(width, height)
    luma = (y[rows, cols].astype(np.float64).mean() - 16.0) / 219.0
    return linear_light(min(1.0, max(0.0, luma)))


def linear_light(encoded: float) -> float:
    """A video level (0..1, sRGB/Rec. 709 encoded, as in a picture) in linear light, 0..1."""
    v = min(1.0, max(0.0, float(encoded)))
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
