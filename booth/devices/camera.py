"""The booth camera: the interface every backend offers, and the simulated camera.

A camera delivers, per frame, the full-size image for recording, a small preview for the screen
and the exposure metadata under picamera2's key names. This mirrors how the Pi backend works
(issue 3): picamera2's *main* stream feeds the H.264 encoder, its *lores* stream feeds the
preview and the metering, and each request's metadata carries ExposureTime, AnalogueGain, ….

Recording: `start_encoder(writer)` attaches a sink that receives every full-size frame with its
SensorTimestamp until `stop_encoder()`, which closes the sink. On a Pi, picamera2's own encoder
takes that role; the preview keeps running between takes either way.

While an encoder is attached the exposure is locked: auto-exposure stops at the exposure time
and gains it had when the take started, and resumes when the take stops; only a small gain
trim holds the face while the ring light catches up with a change of the room (see
booth.devices.exposure_hold for why). Frames report the lock the way libcamera ≥ 0.5 does,
`AeState` idle.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from booth.devices.exposure_hold import Exposure, FaceHold
from booth.devices.face_meter import face_brightness
from booth.sim.exposure import AgcTuning, AutoExposure
from booth.sim.scene import Scene
from booth.sim.sensor import Sensor

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
AE_STATE_IDLE, AE_STATE_SEARCHING, AE_STATE_CONVERGED = 0, 1, 2
"""libcamera's `AeState`: idle = exposure time and gain are both manual (our lock while
recording); searching = auto-exposure is still moving; converged = it has settled."""


class CameraError(Exception):
    """The camera cannot deliver frames; the message says why, for `booth status`."""


@dataclass(frozen=True)
class CameraFrame:
    """One frame from the camera.

    image: (H, W, 3) uint8 RGB at the recording size (picamera2's main stream).
    preview: (h, w, 3) uint8 RGB at most `PREVIEW_MAX_WIDTH` wide, not mirrored (lores stream).
    Both arrays may be shared with the camera (preview is image when the sizes match): do not
    modify them in place.
    metadata: picamera2's per-frame metadata: ExposureTime (µs, int), AnalogueGain (float),
    DigitalGain (float), Lux (float), FrameDuration (µs, int), SensorTimestamp (ns, int, on
    CLOCK_MONOTONIC on a Pi, virtual time in simulation), AeState (int, `AE_STATE_*`: idle
    while the exposure is locked for a take).
    """

    image: np.ndarray
    preview: np.ndarray
    metadata: dict[str, Any]

    @property
    def timestamp_ns(self) -> int:
        return int(self.metadata["SensorTimestamp"])


@runtime_checkable
class FrameWriter(Protocol):
    """Where a take's video frames go while an encoder is attached (a media VideoWriter)."""

    def write(self, rgb: np.ndarray, timestamp_ns: int) -> None: ...

    def close(self) -> None: ...


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

    def start_encoder(self, writer: FrameWriter) -> None:
        """Attach a take's writer and lock the exposure at its current values."""
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


class SimCamera:
    """A simulated camera filming the simulated `Scene`, with libcamera-like auto-exposure.

    The caller drives it in virtual time: one `capture(now_ns)` per frame period. The scene is
    lit by its ambient light plus `light.level` (the ring light's duty as gpiozero set it).

    width, height: recording size in pixels; fps: frame rate.
    flicker_period_us: like picamera2's AeFlickerPeriod (None: no flicker avoidance).
    lock_exposure: hold exposure and gains while an encoder is attached (see the module's
    docstring); False leaves auto-exposure running through takes.
    """

    model = "simulated"

    @classmethod
    def for_recording(cls, recording: Any, scene: Scene, light: LightLevel | None) -> SimCamera:
        """A simulated camera as the `[recording]` settings describe: size, frame rate, flicker."""
        return cls(
            recording.width,
            recording.height,
            recording.fps,
            scene,
            light,
            flicker_period_us=recording.flicker_period_us or None,
        )

    def __init__(
        self,
        width: int,
        height: int,
        fps: float,
        scene: Scene,
        light: LightLevel | None = None,
        tuning: AgcTuning | None = None,
        flicker_period_us: float | None = None,
        sensor: Sensor | None = None,
        lock_exposure: bool = True,
    ) -> None:
        self.size = (width, height)
        self.fps = float(fps)
        self.scene = scene
        self.light = light
        self.tuning = tuning
        self.flicker_period_us = flicker_period_us
        self.sensor = sensor or Sensor(seed=scene.seed)
        self.lock_exposure = lock_exposure
        self.fault: str | None = None
        self.frame_duration_us = round(1e6 / self.fps)
        self.frames_captured = 0
        self._ae: AutoExposure | None = None
        self._hold: FaceHold | None = None
        self._applied: deque[tuple[int, float, float]] = deque()
        self._writer: FrameWriter | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start streaming; auto-exposure restarts from 1 ms and gain 1, as libcamera's does."""
        self._ae = AutoExposure(self.frame_duration_us, self.tuning, self.flicker_period_us)
        self._applied = deque([self._ae.settings] * (CONTROL_DELAY_FRAMES + 1))

    def stop(self) -> None:
        self.stop_encoder()
        self._ae = None

    @property
    def running(self) -> bool:
        return self._ae is not None

    @property
    def exposure_locked(self) -> bool:
        """Whether auto-exposure is held (a take is being recorded)."""
        return self._hold is not None

    def fail(self, reason: str) -> None:
        """Simulate a camera fault (cable out, sensor dead): later captures raise CameraError."""
        self.fault = reason

    def capture(self, now_ns: int) -> CameraFrame:
        if self.fault:
            raise CameraError(self.fault)
        if self._ae is None:
            raise RuntimeError("SimCamera.capture() before start()")
        width, height = self.size
        level = self.light.level if self.light is not None else 0.0
        exposure_us, again, dgain = self._applied[0]
        view = self.scene.render(width, height, now_ns, level)
        palette = self.sensor.palette(view, exposure_us, again, dgain)
        image = self.sensor.image_from_palette(view, palette, self.frames_captured)
        pw, ph = preview_size(width, height)
        if (pw, ph) == (width, height):
            preview = image
        else:
            small = self.scene.render(pw, ph, now_ns, level)
            preview = self.sensor.image_from_palette(small, palette, self.frames_captured)
        luma = self.sensor.meter(view, exposure_us, again)
        hold = self._hold
        if hold is not None:
            state = AE_STATE_IDLE
        else:
            state = AE_STATE_CONVERGED if self._ae.converged else AE_STATE_SEARCHING
        metadata = {
            "ExposureTime": int(exposure_us),
            "AnalogueGain": float(again),
            "DigitalGain": float(dgain),
            "Lux": float(self.sensor.lux(view, luma, exposure_us, again)),
            "FrameDuration": int(self.frame_duration_us),
            "SensorTimestamp": int(now_ns),
            "AeState": state,
        }
        # Sensors apply new exposure and gain a couple of frames after they are requested.
        if hold is not None:
            taken = Exposure(exposure_us, again, dgain)
            asked = hold.update(face_brightness(preview), taken)
            request = (round(asked.exposure_us), asked.analogue_gain, asked.digital_gain)
        else:
            request = self._ae.update(luma, exposure_us, again)
        self._applied.append(request)
        self._applied.popleft()
        self.frames_captured += 1
        frame = CameraFrame(image=image, preview=preview, metadata=metadata)
        with self._lock:
            if self._writer is not None:
                self._writer.write(image, int(now_ns))
        return frame

    def start_encoder(self, writer: FrameWriter) -> None:
        """Hand every following full-size frame to `writer` (one writer per take), and lock
        the exposure until `stop_encoder` (unless `lock_exposure` is False)."""
        with self._lock:
            if self._writer is not None:
                raise RuntimeError("an encoder is already attached; stop_encoder() first")
            self._writer = writer
        if self.lock_exposure and self._ae is not None:
            # The AGC's last choice, as libcamera's manual mode adopts it: the frames already
            # in the sensor's pipeline were asked with it too, so the lock brings no jump.
            exposure_us, again, dgain = self._ae.settings
            locked = Exposure(exposure_us, again, dgain)
            self._hold = FaceHold(locked, self._ae.tuning.max_analogue_gain)

    def stop_encoder(self) -> None:
        """Detach and close the writer, if any; the preview keeps running and auto-exposure
        resumes from where it was held."""
        with self._lock:
            writer, self._writer = self._writer, None
        self._hold = None
        if writer is not None:
            writer.close()
