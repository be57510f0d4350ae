"""One settled frame from the booth's camera, for `booth camera snapshot` and `booth doctor`.

The camera is the world's (`World.opened_camera`): on a Pi the `PiCamera` (picamera2), whose
frames are the preview stream (at most 640 pixels wide: the full-size stream goes only to the
encoder).
"""

from __future__ import annotations

import time
from typing import Any

from booth.devices.ports.camera import Camera, CameraFrame

SETTLE_S = 1.0
"""Auto-exposure starts from 1 ms and gain 1; a second of frames brings it to the room."""


def settled_frame(camera: Camera, seconds: float = SETTLE_S) -> CameraFrame:
    """The last of `seconds` of frames (at least one). A Pi camera keeps its own time; the
    simulated one is given frame times one period apart."""
    frames = max(1, round(seconds * camera.fps))
    period_ns = 1_000_000_000 / camera.fps
    start = time.monotonic_ns()
    frame = None
    for i in range(frames):
        frame = camera.capture(start + round(i * period_ns))
    assert frame is not None
    return frame


def describe_exposure(metadata: dict[str, Any]) -> str:
    """The frame's exposure in staff words: "exposure 30.0 ms, gain 2.00 × 1.00, 150 lux"."""
    lux = metadata.get("Lux", float("nan"))
    return (
        f"exposure {metadata['ExposureTime'] / 1000:.1f} ms, "
        f"gain {metadata['AnalogueGain']:.2f} × {metadata['DigitalGain']:.2f} (analogue × digital)"
        + ("" if lux != lux else f", {lux:.0f} lux")
    )
