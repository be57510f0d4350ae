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
    """Mean linear luminance (0..1) of the face patch (sRGB decoded)."""
    v = face_patch(image).astype(np.float64) / 255.0
    linear = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    return float((linear @ LUMA).mean())
