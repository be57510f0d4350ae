"""The simulated camera: the `Camera` protocol of booth.devices.ports.camera, filming the simulated
scene with an auto-exposure that moves like libcamera's.

Like the Pi camera it delivers, per frame, the full-size image, a preview at most 640 px wide
and picamera2's metadata; its takes are encoded in software (booth.media.video's
`SoftwareH264Encoder`, which calls the take's `TakeVideoOutput` as picamera2's
`LibavH264Encoder` does on a Pi 5), so a simulated take's files are written by the Pi's code.
Real-world imperfections are optional: `frame_jitter_ns` spreads the frames' SensorTimestamps
the way a sensor's do.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from booth.config.settings import LightSettings
from booth.devices.exposure_hold import Exposure
from booth.devices.exposure_steering import ExposureSteering
from booth.devices.face_exposure import MATRIX, CameraAim, camera_aim
from booth.devices.face_meter import face_brightness
from booth.devices.ports.camera import (
    AE_STATE_CONVERGED,
    AE_STATE_IDLE,
    AE_STATE_SEARCHING,
    CONTROL_DELAY_FRAMES,
    FACE_KEY,
    CameraError,
    CameraFrame,
    LightLevel,
    preview_size,
)
from booth.media.take_video import TakeVideoOutput
from booth.media.takefiles import TakeFiles, TakeWriteError, VideoStats
from booth.media.video import SoftwareH264Encoder
from booth.sim.exposure import METERING_WEIGHTS, AgcTuning, AutoExposure
from booth.sim.scene import Scene, zone_counts
from booth.sim.sensor import Sensor

DEFAULT_BITRATE_BPS = 4_000_000


@dataclass(frozen=True)
class SimCameraSetup:
    """How a simulated camera is set up, beyond its size, frame rate, scene and light.

    flicker_period_us: like picamera2's AeFlickerPeriod (None: no flicker avoidance).
    bitrate_bps: the takes' H.264 bit rate.
    aim: how the auto-exposure is set up (booth.devices.face_exposure.CameraAim): its metering
    mode, as libcamera's `AeMeteringMode` ("matrix": the whole frame alike, "centre-weighted"
    or "spot", booth.sim.exposure); the face's mean luma to aim at (0..1 of full scale; the
    booth's face meter then moves the ExposureValue until the face is there; None leaves the
    EV at 0); and the exposure profile (None: `tuning`'s). None: matrix, no face meter.
    lock_exposure: hold exposure and gains while an encoder is attached (see
    booth.devices.ports.camera); False leaves auto-exposure running through takes.
    realtime: False (virtual time): a take's encoder makes the caller wait rather than drop a
    frame it has no time for; True (a demo in a window): frames are dropped as on a busy Pi.
    frame_jitter_ns: standard deviation of the SensorTimestamps around the frame times given to
    `capture` (a real sensor's timestamps wander by a fraction of a millisecond).
    tuning: the auto-exposure's tuning (None: booth.sim.exposure's, or `aim`'s profile).
    sensor: the simulated sensor (None: one seeded by the scene).
    """

    flicker_period_us: float | None = None
    bitrate_bps: int = DEFAULT_BITRATE_BPS
    aim: CameraAim | None = None
    lock_exposure: bool = True
    realtime: bool = False
    frame_jitter_ns: float = 0.0
    tuning: AgcTuning | None = None
    sensor: Sensor | None = None


PLAIN = SimCameraSetup()
"""A simulated camera as it comes: no flicker avoidance, the whole frame metered."""


class SimCamera:
    """A simulated camera filming the simulated `Scene`, with libcamera-like auto-exposure.

    The caller drives it in virtual time: one `capture(now_ns)` per frame period. The scene is
    lit by its ambient light plus `light.level` (the ring light's duty as gpiozero set it).

    width, height: recording size in pixels; fps: frame rate. setup: the rest
    (`SimCameraSetup`).
    """

    model = "simulated"

    @classmethod
    def for_recording(
        cls,
        recording: Any,
        scene: Scene,
        light: LightLevel | None,
        realtime: bool = False,
        frame_jitter_ns: float = 0.0,
        light_settings: LightSettings | None = None,
    ) -> SimCamera:
        """A simulated camera as the `[recording]` settings describe: size, frame rate, flicker,
        bit rate; its auto-exposure as `[light] metering` says (None: as a camera comes, the
        whole frame metered)."""
        aim = camera_aim(light_settings) if light_settings is not None else None
        setup = SimCameraSetup(
            flicker_period_us=recording.flicker_period_us or None,
            bitrate_bps=recording.bitrate_bps,
            realtime=realtime,
            frame_jitter_ns=frame_jitter_ns,
            aim=aim,
        )
        return cls(recording.width, recording.height, recording.fps, scene, light, setup)

    def __init__(
        self,
        width: int,
        height: int,
        fps: float,
        scene: Scene,
        light: LightLevel | None = None,
        setup: SimCameraSetup = PLAIN,
    ) -> None:
        aim = setup.aim or CameraAim(MATRIX, None, None)
        tuning = setup.tuning
        if aim.metering not in METERING_WEIGHTS:
            raise ValueError(f"unknown metering mode {aim.metering!r}")
        if aim.exposure_profile is not None and tuning is None:
            exposure_stages, gain_stages = aim.exposure_profile
            tuning = AgcTuning(exposure_stages_us=exposure_stages, gain_stages=gain_stages)
        self.size = (width, height)
        self.fps = float(fps)
        self.scene = scene
        self.light = light
        self.tuning = tuning
        self.flicker_period_us = setup.flicker_period_us
        self.sensor = setup.sensor or Sensor(seed=scene.seed)
        self.lock_exposure = setup.lock_exposure
        self.fault: str | None = None
        self.frame_duration_us = round(1e6 / self.fps)
        self.frames_captured = 0
        self._ae: AutoExposure | None = None
        self._manual: tuple[int, float, float] | None = None
        """Exposure time, analogue and digital gain while a take's lock holds them."""
        self._applied: deque[tuple[int, float, float]] = deque()
        self._recording: SoftwareRecording | None = None
        self._flushing: SoftwareRecording | None = None
        self._lock = threading.Lock()
        self.bitrate_bps = setup.bitrate_bps
        self.realtime = setup.realtime
        self.frame_jitter_ns = setup.frame_jitter_ns
        self._jitter = random.Random(scene.seed * 7919 + 1)
        self._last_stamp_ns: int | None = None
        self.metering = aim.metering
        self.face_level = aim.face_level
        self._steering = ExposureSteering(self.set_controls, self.face_level)

    def start(self) -> None:
        """Start streaming; auto-exposure restarts from 1 ms and gain 1, as libcamera's does."""
        self._ae = AutoExposure(self.frame_duration_us, self.tuning, self.flicker_period_us)
        self._steering.restart()
        self._manual = None
        self._applied = deque([self._ae.settings] * (CONTROL_DELAY_FRAMES + 1))

    def stop(self) -> None:
        self.stop_encoder()
        self._ae = None

    def close(self) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._ae is not None

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
        metered = zone_counts(width, height, METERING_WEIGHTS[self.metering])
        frame_luma = self.sensor.meter(view, exposure_us, again)
        luma = self.sensor.meter(view, exposure_us, again, metered)
        face = face_brightness(preview)
        stamp_ns = self._sensor_timestamp(now_ns)
        if self._manual is not None:
            state = AE_STATE_IDLE
        else:
            state = AE_STATE_CONVERGED if self._ae.converged else AE_STATE_SEARCHING
        metadata = {
            "ExposureTime": int(exposure_us),
            "AnalogueGain": float(again),
            "DigitalGain": float(dgain),
            # rpi.lux reads the whole picture, whatever the metering mode.
            "Lux": float(self.sensor.lux(view, frame_luma, exposure_us, again)),
            "FrameDuration": int(self.frame_duration_us),
            "SensorTimestamp": stamp_ns,
            "AeState": state,
            FACE_KEY: face,
        }
        # The booth's face meter or gain trim, through `set_controls` as on a Pi; then the
        # next request, which the sensor applies a couple of frames later.
        self._steering.frame(face, metadata)
        if self._manual is not None:
            request = self._manual
        else:
            request = self._ae.update(luma, exposure_us, again)
        self._applied.append(request)
        self._applied.popleft()
        self.frames_captured += 1
        frame = CameraFrame(image=image, preview=preview, metadata=metadata)
        with self._lock:
            if self._recording is not None:
                self._recording.write(image, stamp_ns)
        return frame

    def _sensor_timestamp(self, now_ns: int) -> int:
        """The frame's SensorTimestamp: its time, wandering by `frame_jitter_ns`, never
        backwards."""
        stamp = int(now_ns)
        if self.frame_jitter_ns > 0:
            spread = self._jitter.gauss(0.0, self.frame_jitter_ns)
            limit = 3 * self.frame_jitter_ns
            stamp += round(max(-limit, min(limit, spread)))
        if self._last_stamp_ns is not None:
            stamp = max(stamp, self._last_stamp_ns + 1)
        self._last_stamp_ns = stamp
        return stamp

    def set_controls(self, controls: Mapping[str, Any]) -> None:
        """The two controls the booth's exposure steering asks for, applied as libcamera's
        Raspberry Pi IPA applies them: `ExposureValue` scales the auto-exposure's target,
        `AnalogueGain` replaces the locked gain (up to the sensor's top; manual mode has no
        digital gain of its own). Any other control is refused, as picamera2 refuses one the
        camera does not advertise."""
        for name, value in controls.items():
            if name == "ExposureValue" and self._ae is not None:
                self._ae.exposure_value = float(value)
            elif name == "AnalogueGain" and self._manual is not None and self._ae is not None:
                top = self._ae.tuning.max_analogue_gain
                self._manual = (self._manual[0], min(max(1.0, float(value)), top), 1.0)
            elif name not in ("ExposureValue", "AnalogueGain"):
                raise RuntimeError(f"Control {name} is not advertised by the simulated camera")

    def take_writer(self, files: TakeFiles) -> TakeVideoOutput:
        """The video writer of one take (give it to `start_encoder`): the Pi's own."""
        return TakeVideoOutput(files, self._first_timestamp_us, self.fps)

    def start_encoder(self, writer: TakeVideoOutput) -> None:
        """Start a fresh software H.264 encoder writing into `writer` (one per take) on every
        following full-size frame, and lock the exposure until `stop_encoder` (unless
        `lock_exposure` is False)."""
        width, height = self.size
        with self._lock:
            if self._recording is not None:
                raise RuntimeError("an encoder is already attached; stop_encoder() first")
            self._recording = SoftwareRecording(
                writer, width, height, self.fps, self.bitrate_bps, self.realtime
            )
        if self.lock_exposure and self._ae is not None:
            # The AGC's last choice, as libcamera's manual mode adopts it: the frames already
            # in the sensor's pipeline were asked with it too, so the lock brings no jump.
            exposure_us, again, dgain = self._ae.settings
            self._manual = (round(exposure_us), again, dgain)
            locked = Exposure(exposure_us, again, dgain)
            self._steering.lock(locked, self._ae.tuning.max_analogue_gain)

    def stop_encoder(self) -> None:
        """Flush and stop the take's encoder and close its files; the preview keeps running
        and auto-exposure resumes from where it was held."""
        with self._lock:
            recording, self._recording = self._recording, None
            # The frames still in the encoder come out during close(), and their output
            # needs the take's first timestamp (`_first_timestamp_us`).
            self._flushing = recording
        self._manual = None
        self._steering.unlock()
        try:
            if recording is not None:
                recording.close()
        finally:
            self._flushing = None

    def _first_timestamp_us(self) -> int | None:
        recording = self._recording or self._flushing
        return None if recording is None else recording.encoder.firsttimestamp


class SoftwareRecording:
    """A take recorded in software: a fresh `SoftwareH264Encoder` feeding the take's
    `TakeVideoOutput`, with the Pi camera's error semantics (the output keeps a write error, and
    the next frame raises `TakeWriteError` so the kiosk ends the take and keeps what is on disk).

    On failure to start, `output` is closed and the exception raised (as `PiCamera` does).
    """

    @classmethod
    def for_files(
        cls,
        files: TakeFiles,
        width: int,
        height: int,
        fps: float,
        bitrate_bps: int,
        realtime: bool = False,
    ) -> SoftwareRecording:
        """A recording of `files` with its own output (for a take made without a camera)."""
        holder: list[SoftwareRecording] = []
        output = TakeVideoOutput(files, lambda: holder[0].encoder.firsttimestamp, fps)
        holder.append(cls(output, width, height, fps, bitrate_bps, realtime))
        return holder[0]

    def __init__(
        self,
        output: TakeVideoOutput,
        width: int,
        height: int,
        fps: float,
        bitrate_bps: int,
        realtime: bool = False,
    ) -> None:
        self.output = output
        try:
            self.encoder = SoftwareH264Encoder(width, height, fps, bitrate_bps, realtime)
            self.encoder.output = output
            self.encoder.start()
        except BaseException:
            output.close()
            raise

    def write(self, rgb: np.ndarray, sensor_timestamp_ns: int) -> None:
        """One full-size frame; `TakeWriteError` once the take's video could not be written."""
        if self.output.error is not None:
            raise TakeWriteError(self.output.error)
        if self.encoder.error is not None:
            raise TakeWriteError(f"{self.output.files.video}: {self.encoder.error}")
        self.encoder.encode(rgb, sensor_timestamp_ns)

    def close(self) -> VideoStats:
        """Flush the encoder, close the files; frames the encoder dropped count as dropped."""
        try:
            self.encoder.stop()
        finally:
            stats = self.output.close()
        error = stats.error or self.encoder.error
        return VideoStats(stats.frames, stats.dropped + self.encoder.dropped, error)
