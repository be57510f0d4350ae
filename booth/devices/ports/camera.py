"""The camera port: the interface every backend offers (the Pi's is booth.devices.pi_camera,
the simulator's booth.sim.camera).

A camera delivers, per frame, the full-size image for recording, a small preview for the screen
and the exposure metadata under picamera2's key names. This mirrors how the Pi backend works
(issue 3): picamera2's *main* stream feeds the H.264 encoder, its *lores* stream feeds the
preview and the metering, and each request's metadata carries ExposureTime, AnalogueGain, ….

Recording: `take_writer(files)` makes the take's video writer, the same for every camera:
booth.media.take_video's `TakeVideoOutput`, the only code that writes a take's video files.
`start_encoder(writer)` starts a fresh H.264 encoder feeding it (on a Pi, picamera2's own; in
simulation booth.media.video's `SoftwareH264Encoder`, which calls it as picamera2's
`LibavH264Encoder` does) until `stop_encoder()`, which closes it. The preview keeps running
between takes.

While an encoder is attached the exposure is locked: auto-exposure stops at the exposure time
and gains it had when the take started, and resumes when the take stops; only a small gain
trim holds the face while the ring light catches up with a change of the room (see
booth.devices.exposure_hold for why). Frames report the lock the way libcamera ≥ 0.5 does,
`AeState` idle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from booth.media.take_video import TakeVideoOutput
from booth.media.takefiles import TakeFiles

PREVIEW_MAX_WIDTH = 640
CONTROL_DELAY_FRAMES = 2
"""Frames between requesting exposure/gain and a frame taken with them (libcamera's
DelayedControls; two for the Camera Module 3's sensor)."""
METADATA_KEYS = (
    "ExposureTime",
    "AnalogueGain",
    "DigitalGain",
    "Lux",
    "FrameDuration",
    "SensorTimestamp",
    "AeState",
)
FACE_KEY = "FaceBrightness"
"""The booth's own metadata key: the face's brightness in the frame (booth.devices.face_meter's
`face_brightness`, linear light 0..1), which the cameras add to picamera2's keys."""
AE_STATE_IDLE, AE_STATE_SEARCHING, AE_STATE_CONVERGED = 0, 1, 2
"""libcamera's `AeState`: idle = exposure time and gain are both manual (our lock while
recording); searching = auto-exposure is still moving; converged = it has settled."""


class CameraError(Exception):
    """The camera cannot deliver frames; the message says why, for `booth status`."""


class CameraUnavailable(CameraError):
    """The camera's library cannot be loaded here (picamera2 off a Pi, or a venv that cannot
    see apt's); the message names the fix."""


class CameraFrame:
    """One frame from the camera.

    image: (H, W, 3) uint8 RGB at the recording size (picamera2's main stream; on a Pi the
    full-size frames go straight to the encoder, so `image` is the preview there).
    preview: (h, w, 3) uint8 RGB at most `PREVIEW_MAX_WIDTH` wide, not mirrored (lores
    stream). A camera may give a function that makes it instead (the Pi's converts its YUV
    lores frame only when a screen shows it, or the exposure hold needs it); it runs once.
    Both arrays may be shared with the camera (preview is image when the sizes match): do not
    modify them in place.
    metadata: picamera2's per-frame metadata: ExposureTime (µs, int), AnalogueGain (float),
    DigitalGain (float), Lux (float), FrameDuration (µs, int), SensorTimestamp (ns, int, on
    CLOCK_MONOTONIC on a Pi, virtual time in simulation), AeState (int, `AE_STATE_*`: idle
    while the exposure is locked for a take), and the booth's own `FACE_KEY` (the face's
    brightness, linear 0..1, from the face meter).
    """

    __slots__ = ("_image", "_preview", "metadata")

    def __init__(
        self,
        image: np.ndarray | None,
        preview: np.ndarray | Callable[[], np.ndarray],
        metadata: dict[str, Any],
    ) -> None:
        self._image = image
        self._preview = preview
        self.metadata = metadata

    @property
    def preview(self) -> np.ndarray:
        if callable(self._preview):
            self._preview = self._preview()
        return self._preview

    @property
    def image(self) -> np.ndarray:
        return self._image if self._image is not None else self.preview

    @property
    def timestamp_ns(self) -> int:
        return int(self.metadata["SensorTimestamp"])


class Camera(Protocol):
    """What the kiosk needs from a camera, whatever the backend.

    model: the sensor or backend name, for `booth status` and `booth doctor`.
    fault: None while healthy, else the reason the camera failed (shown to staff).
    size: recording size (width, height); fps: frames per second.
    """

    model: str
    fault: str | None
    size: tuple[int, int]
    fps: float

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def capture(self, now_ns: int) -> CameraFrame:
        """The next frame. In simulation `now_ns` is the virtual time of this frame; the Pi
        backend waits for the sensor instead and ignores it."""
        ...

    def take_writer(self, files: TakeFiles) -> TakeVideoOutput:
        """The video writer of one take, writing `files`."""
        ...

    def start_encoder(self, writer: TakeVideoOutput) -> None:
        """Start a fresh encoder feeding `writer` and lock the exposure at its current values.
        On failure `writer` is closed and the exception raised."""
        ...

    def close(self) -> None:
        """Stop and release the camera; never hangs."""
        ...

    def stop_encoder(self) -> None:
        """Detach and close the writer; auto-exposure resumes."""
        ...


class LightLevel(Protocol):
    """Anything with the ring light's current duty, 0..1 (a `RingLight`)."""

    @property
    def level(self) -> float: ...


def preview_size(width: int, height: int) -> tuple[int, int]:
    """The preview size for a recording size: the same aspect, at most 640 pixels wide."""
    if width <= PREVIEW_MAX_WIDTH:
        return width, height
    return PREVIEW_MAX_WIDTH, max(16, round(height * PREVIEW_MAX_WIDTH / width))
