"""The Raspberry Pi camera (Camera Module 3 or HQ) through picamera2, on Raspberry Pi OS Bookworm.

One libcamera configuration serves the whole session:

- the *main* stream (the recording size, YUV420) goes only to the H.264 encoder, frame by frame,
  inside picamera2's camera thread; the kiosk never copies it;
- the *lores* stream (at most 640 pixels wide, YUV420, the only lores format a Pi 4 offers) is
  what `capture()` returns as the preview, converted to RGB;
- every request's metadata (ExposureTime, AnalogueGain, …) goes to the light controller.

While a take's encoder runs, auto-exposure is off: `start_encoder` fixes exposure time and
analogue gain at the values of the last frame (exposure rounded to whole flicker periods), and
`stop_encoder` hands them back to auto-exposure; in between the face-holding gain trim of
booth.devices.exposure_hold runs on the preview (booth.devices.exposure_steering, the glue both
cameras share, through `PiCamera.set_controls`). libcamera 0.5 replaced `AeEnable` by
`ExposureTimeMode` and `AnalogueGainMode` (its Raspberry Pi IPA ignores `AeEnable` since,
picamera2 issue 1269), so the controls are chosen by what the camera advertises
(`exposure_lock_controls`).

Between takes the exposure aims at the candidate's face (booth.devices.face_exposure): libcamera's
`AeMeteringMode` Spot, the booth's exposure profile as `AeExposureMode` Custom (added to the
sensor's tuning file, which picamera2 passes to libcamera), and the face meter reading the lores
stream's Y plane and setting `ExposureValue` where the spot misses the face's level.

Each take gets a fresh encoder through `Picamera2.start_encoder`/`stop_encoder`: `stop_recording`
would stop the camera and the candidate's preview with it. A Pi 4 encodes in hardware
(`H264Encoder`, the VideoCore's codec at /dev/video11); a Pi 5 has no video encoder and uses
`LibavH264Encoder` (libx264 "ultrafast" in software). Both write the take's files through
`booth.media.take_video.TakeVideoOutput`.

picamera2 comes from apt (python3-picamera2, with libcamera's Python bindings, which PyPI does
not have), so it is imported only when a `PiCamera` is made; everything else in this module is
plain Python that the tests run anywhere. Off a Pi, tests/test_picamera2_virtual.py runs this
class on PyPI's picamera2 and a libcamera built with its virtual camera (README, "The real
picamera2 off a Pi").
"""

from __future__ import annotations

import atexit
import gc
import logging
import re
import threading
import time
from collections.abc import Callable, Collection, Mapping
from fractions import Fraction
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from booth.config.settings import CameraSettings, Recording
from booth.devices.exposure_hold import Exposure
from booth.devices.exposure_steering import ExposureSteering
from booth.devices.face_exposure import (
    CameraAim,
    aim_controls,
    with_booth_exposure_mode,
)
from booth.devices.face_meter import face_brightness_yuv
from booth.devices.ports.camera import (
    AE_STATE_CONVERGED,
    AE_STATE_IDLE,
    AE_STATE_SEARCHING,
    FACE_KEY,
    METADATA_KEYS,
    CameraError,
    CameraFrame,
    CameraUnavailable,
    preview_size,
)
from booth.media.take_video import TakeVideoOutput
from booth.media.takefiles import TakeFiles, TakeWriteError

log = logging.getLogger(__name__)

HARDWARE = "hardware"
SOFTWARE = "software"
PI_MODEL_FILE = Path("/proc/device-tree/model")
_PI5_FAMILY = re.compile(r"Raspberry Pi (5|500)\b|Compute Module 5")
FRAME_TIMEOUT_S = 2.0
"""No frame for this long means the camera is gone (ribbon cable, sensor fault)."""
START_TIMEOUT_S = 10.0
"""Bound on picamera2's configure() and start() (libcamera allocates buffers, starts the ISP)."""
STOP_TIMEOUT_S = 5.0
"""Bound on each of picamera2's stop_encoder(), stop() and close(): none has a time limit."""

PICAMERA2_MISSING = (
    "the Raspberry Pi camera needs picamera2, which cannot be imported here ({error}). "
    "On Raspberry Pi OS Bookworm: `sudo apt install python3-picamera2`, and make the booth's "
    "venv with `python3 -m venv --system-site-packages` so that it sees apt's picamera2 and "
    'libcamera (they are not on PyPI). Off a Pi, use `backend = "sim"` in [devices].'
)


class PiCameraUnavailable(CameraUnavailable):
    """picamera2 (or libcamera) is not importable: not a Pi, or the venv cannot see apt's."""


def import_picamera2() -> ModuleType:
    """picamera2, imported now; `PiCameraUnavailable` naming the fix when that fails."""
    try:
        picamera2 = import_module("picamera2")
        import_module("picamera2.encoders")
        import_module("picamera2.outputs")
    except ImportError as error:
        raise PiCameraUnavailable(PICAMERA2_MISSING.format(error=error)) from error
    return picamera2


# ----------------------------------------------------------------- pure parts
def read_pi_model(model_file: Path = PI_MODEL_FILE) -> str:
    """The board's model string from the device tree ("" when it is not a Pi)."""
    try:
        return model_file.read_text(errors="replace").rstrip("\x00\n ")
    except OSError:
        return ""


def choose_encoder(pi_model: str, has_hardware_encoder: bool) -> str:
    """Which H.264 encoder a board has: `HARDWARE` or `SOFTWARE`.

    pi_model: the device tree's model string, e.g. "Raspberry Pi 4 Model B Rev 1.5".
    has_hardware_encoder: whether picamera2 found the VideoCore encoder (see
    `hardware_encoder_present`). The Pi 5 family (5, 500, Compute Module 5) has no H.264
    encoder at all; older boards have one unless the bcm2835-codec driver is not loaded.
    """
    if _PI5_FAMILY.search(pi_model):
        return SOFTWARE
    return HARDWARE if has_hardware_encoder else SOFTWARE


def hardware_encoder_present(encoders: ModuleType) -> bool:
    """Whether picamera2 found the VideoCore encoder: its `encoders` package opens /dev/video11
    at import, checks that the card is "bcm2835-codec-encode", and otherwise makes
    `H264Encoder` another name for `LibavH264Encoder`."""
    return encoders.H264Encoder is not encoders.LibavH264Encoder


def libav_framerate(fps: float) -> Fraction:
    """The frame rate as picamera2's `LibavH264Encoder` must be given it: an exact fraction.

    The encoder hands `framerate` to PyAV's `add_stream(rate=...)`, which since PyAV 13.1
    reads `rate.numerator`: a float raises AttributeError there, so every take on a Pi 5
    would fail. A Fraction works with every PyAV a booth may run (av 12 of Bookworm's
    python3-av as well as the venv's), and keeps 29.97 as 2997/100 rather than rounding it.
    """
    return Fraction(fps).limit_denominator(1001)


def encoder_options(encoder: str, fps: float, bitrate_bps: int) -> dict[str, Any]:
    """The keyword arguments of picamera2's encoder for `encoder` (`HARDWARE`: H264Encoder,
    `SOFTWARE`: LibavH264Encoder): a keyframe a second, so a cut file still plays, and SPS/PPS
    repeated before each one."""
    options: dict[str, Any] = {
        "bitrate": bitrate_bps,
        "repeat": True,
        "iperiod": max(1, round(fps)),
    }
    if encoder == SOFTWARE:
        options["framerate"] = libav_framerate(fps)
    return options


def camera_controls(
    fps: float,
    flicker_period_us: int,
    available: Collection[str],
    flicker_manual: Any,
) -> dict[str, Any]:
    """libcamera controls for the booth: a fixed frame rate, and exposure locked to the flicker.

    fps: frames per second; the frame duration is pinned to 1/fps, so the auto-exposure cannot
    lengthen frames in a dark room (it raises the gain instead: the light controller's signal).
    flicker_period_us: the mains flicker period to avoid (10000 at 50 Hz, 8333 at 60 Hz;
    0 = none). libcamera then keeps exposure times at whole multiples of it, which also spans
    whole periods of the ring light's PWM (see booth.devices.light).
    available: names of the controls the camera offers (`Picamera2.camera_controls`); flicker
    avoidance needs libcamera 0.1 or newer and is skipped, with a warning, without it.
    flicker_manual: libcamera's `AeFlickerModeEnum.Manual` (passed in, as libcamera is only
    importable on a Pi).
    """
    frame_us = round(1e6 / fps)
    controls: dict[str, Any] = {"FrameDurationLimits": (frame_us, frame_us)}
    if flicker_period_us:
        if {"AeFlickerMode", "AeFlickerPeriod"} <= set(available):
            controls["AeFlickerMode"] = flicker_manual
            controls["AeFlickerPeriod"] = int(flicker_period_us)
        else:
            log.warning("this libcamera has no AeFlickerMode: mains flicker is not avoided")
    return controls


def frame_metadata(
    raw: Mapping[str, Any], frame_duration_us: int, locked: bool = False
) -> dict[str, Any]:
    """picamera2's request metadata reduced to the keys and types of `CameraFrame.metadata`.

    ExposureTime (µs, int), AnalogueGain and DigitalGain (float), Lux (float; NaN when the
    camera's tuning file has no lux calibration), FrameDuration (µs, int; `frame_duration_us`
    if absent), SensorTimestamp (ns, int, CLOCK_MONOTONIC; the time of reading if absent),
    AeState (int): idle while `locked` (the booth locked the exposure for a take), else
    libcamera's own AeState, or from the older `AeLocked` (converged) where that is all there is.
    """
    if locked:
        state = AE_STATE_IDLE
    elif "AeState" in raw:
        state = int(raw["AeState"])
    else:
        state = AE_STATE_CONVERGED if raw.get("AeLocked") else AE_STATE_SEARCHING
    stamp = raw.get("SensorTimestamp")
    metadata = {
        "ExposureTime": int(raw.get("ExposureTime", 0)),
        "AnalogueGain": float(raw.get("AnalogueGain", 1.0)),
        "DigitalGain": float(raw.get("DigitalGain", 1.0)),
        "Lux": float(raw.get("Lux", float("nan"))),
        "FrameDuration": int(raw.get("FrameDuration", frame_duration_us)),
        "SensorTimestamp": int(stamp) if stamp is not None else time.monotonic_ns(),
        "AeState": state,
    }
    assert tuple(metadata) == METADATA_KEYS
    return metadata


AF_MODE_MANUAL, AF_MODE_CONTINUOUS = 0, 2
"""libcamera's AfModeEnum values (control_ids_core.yaml: AfModeManual 0, AfModeAuto 1,
AfModeContinuous 2)."""
CONTINUOUS, DISTANCE = "continuous", "distance"


def focus_controls(
    focus: str, subject_distance_m: float, available: Mapping[str, Any]
) -> dict[str, Any]:
    """picamera2 controls that focus an autofocus module on the candidate; {} for a fixed lens.

    focus: `CONTINUOUS` (libcamera's continuous autofocus) or `DISTANCE` (the lens set once to
    `subject_distance_m`, metres). available: `Picamera2.camera_controls`; a module without
    `AfMode` (HQ, Camera Module 2) has no lens to move. LensPosition is in dioptres (1 / m),
    clamped to the range the module advertises. Without these a Camera Module 3 keeps
    libcamera's default, manual focus at 1.0 dioptre (1 m): behind a candidate at 0.7–0.9 m.
    """
    if "AfMode" not in available:
        return {}
    if focus == CONTINUOUS:
        return {"AfMode": AF_MODE_CONTINUOUS}
    dioptres = 1.0 / subject_distance_m
    limits = available.get("LensPosition")
    if limits:
        low, high = float(limits[0]), float(limits[1])
        dioptres = min(max(dioptres, low), high)
    return {"AfMode": AF_MODE_MANUAL, "LensPosition": dioptres}


def lens_state(metadata: Mapping[str, Any]) -> str | None:
    """What a frame's metadata says about the lens, for `booth doctor`; None without a lens.

    AfState (libcamera: Idle 0, Scanning 1, Focused 2, Failed 3) and LensPosition (dioptres).
    """
    if "LensPosition" not in metadata and "AfState" not in metadata:
        return None
    parts = []
    state = metadata.get("AfState")
    if state is not None:
        parts.append({0: "idle", 1: "scanning", 2: "focused", 3: "failed"}.get(int(state), "?"))
    position = metadata.get("LensPosition")
    if position is not None:
        dioptres = float(position)
        where = f"{1 / dioptres:.2f} m" if dioptres > 0 else "infinity"
        parts.append(f"lens at {dioptres:.2f} dioptres ({where})")
    return ", ".join(parts)


MANUAL, AUTO = 1, 0
"""libcamera's ExposureTimeModeEnum / AnalogueGainModeEnum values (Manual = 1, Auto = 0)."""
FLICKER_SNAP = 0.02
"""An exposure within 2 % of whole flicker periods is that many periods: sensors report exposure
in whole lines, e.g. 29 994 µs for 30 000."""


def locked_exposure(metadata: Mapping[str, Any], flicker_period_us: int) -> Exposure:
    """The exposure a take is locked at: the last frame's exposure time and analogue gain, the
    exposure snapped to whole flicker periods (the gain makes up the difference), so the lock
    can never bring the banding that auto-exposure's flicker avoidance kept out."""
    exposure = float(metadata["ExposureTime"])
    gain = float(metadata.get("AnalogueGain", 1.0))
    if flicker_period_us and exposure >= flicker_period_us * (1 - FLICKER_SNAP):
        whole = max(1, round(exposure / flicker_period_us)) * flicker_period_us
        if abs(whole / exposure - 1.0) <= FLICKER_SNAP:
            gain *= exposure / whole
            exposure = float(whole)
    return Exposure(exposure, gain)


def exposure_lock_controls(locked: Exposure, available: Collection[str]) -> dict[str, Any]:
    """picamera2 controls that fix exposure time and analogue gain at `locked`.

    available: the controls the camera advertises (`Picamera2.camera_controls`). libcamera 0.5
    and later want `ExposureTimeMode`/`AnalogueGainMode` Manual. Older ones fix each value
    that is set; `AeEnable` False is left out, as picamera2's maintainers advise (issue 933):
    it makes the AGC adopt its *current* values, racing the explicit ones in the same request.
    """
    values = {"ExposureTime": round(locked.exposure_us), "AnalogueGain": locked.analogue_gain}
    if {"ExposureTimeMode", "AnalogueGainMode"} <= set(available):
        return {"ExposureTimeMode": MANUAL, "AnalogueGainMode": MANUAL, **values}
    return values


def exposure_unlock_controls(available: Collection[str]) -> dict[str, Any]:
    """picamera2 controls that hand exposure time and analogue gain back to auto-exposure:
    the modes Auto on libcamera 0.5 and later, a value of 0 ("the algorithm's") before."""
    if {"ExposureTimeMode", "AnalogueGainMode"} <= set(available):
        return {"ExposureTimeMode": AUTO, "AnalogueGainMode": AUTO}
    return {"ExposureTime": 0, "AnalogueGain": 0.0}


def yuv420_to_rgb(array: np.ndarray, width: int, height: int) -> np.ndarray:
    """An RGB image (height, width, 3) uint8 from a picamera2 YUV420 (I420) array.

    picamera2 hands YUV420 out as a (height * 3 / 2, stride) uint8 array: the Y plane's rows of
    `stride` bytes, then the U and then the V plane, each (height / 2) rows of stride / 2 bytes;
    bytes past `width` on a row are padding. Colours: BT.709 limited range, the colour space
    picamera2 gives a video configuration of 1280×720 or more (smaller ones get BT.601, a slight
    hue shift that a preview can live with). Integer arithmetic: about 2-4 ms for a 640×360
    preview on a 2-core x86 test machine; not yet timed on a Pi.
    """
    stride = array.shape[1] if array.ndim == 2 else width
    flat = np.asarray(array).reshape(-1)
    rows, half = height // 2, stride // 2
    u_at = height * stride
    v_at = u_at + rows * half
    y = flat[:u_at].reshape(height, stride)[:, :width].astype(np.int32) - 16
    u = flat[u_at:v_at].reshape(rows, half)[:, : width // 2].astype(np.int32) - 128
    v = flat[v_at : v_at + rows * half].reshape(rows, half)[:, : width // 2].astype(np.int32) - 128
    u = u.repeat(2, axis=0).repeat(2, axis=1)
    v = v.repeat(2, axis=0).repeat(2, axis=1)
    luma = 298 * y + 128  # 255/219 in 1/256ths, plus rounding
    rgb = np.empty((height, width, 3), dtype=np.uint8)
    rgb[..., 0] = np.clip((luma + 459 * v) >> 8, 0, 255)
    rgb[..., 1] = np.clip((luma - 55 * u - 136 * v) >> 8, 0, 255)
    rgb[..., 2] = np.clip((luma + 541 * u) >> 8, 0, 255)
    return rgb


def advertised(
    controls: Mapping[str, Any], available: Collection[str], refused: set[str], model: str
) -> dict[str, Any]:
    """The `controls` that the camera `model` advertises in `available` (all of them when it
    advertises none); each one left out is logged once, and remembered in `refused`."""
    wanted = {}
    for name, value in controls.items():
        if available and name not in available:
            if name not in refused:
                refused.add(name)
                log.warning("camera %s has no control %s: left to the camera", model, name)
            continue
        wanted[name] = value
    return wanted


def within(seconds: float, what: str, call: Callable[[], Any]) -> Any:
    """`call()`, waited for at most `seconds` on a thread of its own.

    picamera2's stop(), stop_encoder() and close() wait for its camera thread with no time
    limit; with a dead camera they may never return. Raises `CameraError` naming `what` when
    the time is up (the call is left running on its daemon thread); re-raises its exception.
    """
    outcome: list[Any] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # handed to the waiting thread
            failure.append(error)

    thread = threading.Thread(target=run, name=f"camera: {what}", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise CameraError(f"{what} did not return within {seconds:g} s")
    if failure:
        raise failure[0]
    return outcome[0] if outcome else None


# ------------------------------------------------------------------ the camera
FIXED_OR_CONTINUOUS = CameraSettings()
"""The `[camera]` defaults: continuous autofocus on a module that has it."""


class PiCamera:
    """The booth's camera on a Raspberry Pi (the `Camera` protocol of booth.devices.ports.camera).

    recording: the `[recording]` settings it records with: size in pixels (main stream), frame
    rate, the H.264 bit rate of both encoders, and the mains flicker period to lock exposure to
    (0 = none).
    lens: how an autofocus module focuses (`[camera]`, see `focus_controls`).
    aim: the auto-exposure's metering, face level and exposure profile
    (booth.devices.face_exposure.camera_aim); None: the camera's own defaults.
    camera_num: which camera, if several are connected.
    encoder: force `HARDWARE` or `SOFTWARE`; None detects the board's (see `choose_encoder`).

    Raises `PiCameraUnavailable` when picamera2 cannot be imported and `CameraError` when no
    camera answers, both with what staff can do about it.
    """

    def __init__(
        self,
        recording: Recording,
        *,
        lens: CameraSettings = FIXED_OR_CONTINUOUS,
        aim: CameraAim | None = None,
        camera_num: int = 0,
        encoder: str | None = None,
    ) -> None:
        width, height = recording.width, recording.height
        self._lib = import_picamera2()
        self.aim = aim
        self.focus = lens.focus
        self.subject_distance_m = lens.subject_distance_m
        self._refused: set[str] = set()
        self._tuning = booth_tuning(self._lib.Picamera2, camera_num, aim)
        self.size = (width, height)
        self.fps = float(recording.fps)
        self.bitrate_bps = recording.bitrate_bps
        self.flicker_period_us = recording.flicker_period_us
        self.encoder = encoder or choose_encoder(
            read_pi_model(), hardware_encoder_present(self._lib.encoders)
        )
        self.frame_duration_us = round(1e6 / self.fps)
        self.fault: str | None = None
        self.lens: str | None = None
        """The last frame's focus (`lens_state`), None for a fixed-focus module."""
        self.preview_size = preview_size(width, height)
        try:
            tuning = {"tuning": self._tuning} if self._tuning is not None else {}
            self._picam2 = self._lib.Picamera2(camera_num, **tuning)
        except Exception as error:  # IndexError or RuntimeError, by picamera2 version
            raise CameraError(
                f"no camera found ({error}): check the ribbon cable and "
                "`rpicam-hello --list-cameras`"
            ) from error
        self.model = str(self._picam2.camera_properties.get("Model", "unknown"))
        self._encoder: Any = None
        self._output: TakeVideoOutput | None = None
        self._running = False
        self._last_raw: Mapping[str, Any] | None = None
        self._steering = ExposureSteering(
            self.set_controls, self.aim.face_level if self.aim else None
        )

    # -------------------------------------------------------------- streaming
    def start(self) -> None:
        """Configure main + lores streams with the booth's controls and start streaming."""
        from libcamera import controls as lc  # only importable on a Pi

        picam2 = self._picam2
        available = self._available_controls()
        config = picam2.create_video_configuration(
            main={"size": self.size, "format": "YUV420"},
            lores={"size": self.preview_size, "format": "YUV420"},
            controls=camera_controls(
                self.fps, self.flicker_period_us, available, lc.AeFlickerModeEnum.Manual
            )
            | (aim_controls(self.aim, available, self._tuning is not None) if self.aim else {})
            | focus_controls(self.focus, self.subject_distance_m, available),
            encode="main",
            display=None,
        )

        def configure_and_start() -> None:
            picam2.configure(config)
            picam2.start()

        try:
            within(START_TIMEOUT_S, "picamera2 configure() and start()", configure_and_start)
        except Exception as error:
            raise CameraError(f"camera {self.model} did not start: {error}") from error
        lores = picam2.camera_configuration()["lores"]
        self.preview_size = tuple(lores["size"])
        self._running = True
        self._steering.restart()
        log.info(
            "camera %s: %dx%d at %g fps, preview %dx%d, %s H.264",
            self.model,
            *self.size,
            self.fps,
            *self.preview_size,
            self.encoder,
        )

    def stop(self) -> None:
        """Stop the take's encoder (if any) and the camera; `CameraError` names what did not
        return within `STOP_TIMEOUT_S`."""
        try:
            self.stop_encoder()
        finally:
            if self._running:
                self._running = False
                if self.fault:
                    self._cancel_jobs()
                within(STOP_TIMEOUT_S, "picamera2 stop()", self._picam2.stop)

    def close(self) -> None:
        """Stop and release the camera for other programs (rpicam-hello, booth doctor).

        picamera2's close() is always called, within `STOP_TIMEOUT_S`, even when stop() did not
        return; its own `atexit` close is unregistered, as that one has no time limit and would
        hang the process's exit on a dead camera. Never hangs, never raises: a camera that does
        not close is logged and left to the process's exit."""
        try:
            self.stop()
        except Exception as error:  # closing comes next whatever stop() did
            log.error("camera %s: %s", self.model, error)
        picam2 = self._picam2
        try:
            within(STOP_TIMEOUT_S, "picamera2 close()", picam2.close)
        except CameraError as error:
            log.error("camera %s: %s; it is released when the process ends", self.model, error)
        except Exception as error:
            log.error("camera %s: picamera2 close() failed: %r", self.model, error)
        finally:
            atexit.unregister(picam2.close)

    def _cancel_jobs(self) -> None:
        """Drop picamera2's queued jobs. A `capture_request` that timed out stays queued, and
        `stop()` would wait behind it for ever (picamera2 0.3.36: `cancel_all_and_flush` is
        there "for tidying up after an operation has unexpectedly timed out")."""
        try:
            self._picam2.cancel_all_and_flush()
        except Exception as error:
            log.warning("camera %s: cannot cancel its queued requests: %s", self.model, error)

    def capture(self, now_ns: int) -> CameraFrame:
        """Wait for the next frame (at most `FRAME_TIMEOUT_S`) and return its preview and
        metadata. `now_ns` is ignored: the sensor keeps its own time.

        `CameraFrame.image` is the preview too: on a Pi the full-size frames go straight from
        the camera to the encoder, and copying them here would cost the kiosk its frame rate.
        Raises `TakeWriteError` once the take's video could not be written (disk full).
        """
        if self.fault:
            raise CameraError(self.fault)
        try:
            request = self._picam2.capture_request(wait=FRAME_TIMEOUT_S)
        except TimeoutError as error:  # concurrent.futures': the job is still queued
            self._cancel_jobs()
            self.fault = (
                f"camera {self.model} delivered no frame within {FRAME_TIMEOUT_S:g} s "
                "(picamera2 capture_request timed out)"
            )
            raise CameraError(self.fault) from error
        except Exception as error:  # libcamera's errors
            self._cancel_jobs()
            self.fault = f"camera {self.model} failed to deliver a frame: {error!r}"
            raise CameraError(self.fault) from error
        try:
            lores = request.make_array("lores")
            raw = request.get_metadata()
            metadata = frame_metadata(raw, self.frame_duration_us, self._steering.locked)
        finally:
            request.release()
        self._last_raw = raw
        self.lens = lens_state(raw)
        # The YUV lores frame becomes RGB only when it is looked at: by a screen that shows
        # the preview, or by the exposure hold during a take.
        frame = CameraFrame(None, lambda: yuv420_to_rgb(lores, *self.preview_size), metadata)
        face = metadata[FACE_KEY] = face_brightness_yuv(lores, *self.preview_size)
        self._steering.frame(face, metadata)
        output = self._output
        if output is not None and output.error is not None:
            # As the software writer does: the kiosk stops the take and keeps what is on disk.
            raise TakeWriteError(output.error)
        return frame

    # -------------------------------------------------------------- recording
    def take_writer(self, files: TakeFiles) -> TakeVideoOutput:
        """The video writer of one take (give it to `start_encoder`)."""
        return TakeVideoOutput(files, self._first_timestamp_us, self.fps)

    def start_encoder(self, writer: TakeVideoOutput) -> None:
        """Start a fresh H.264 encoder on the main stream, writing into `writer`, and lock the
        exposure for the take (see the module's docstring)."""
        if not isinstance(writer, TakeVideoOutput):
            raise TypeError("PiCamera encodes in picamera2: pass it PiCamera.take_writer(files)")
        if self._encoder is not None:
            raise RuntimeError("an encoder is already running; stop_encoder() first")
        # On any failure the take's writer is closed here (its files and its sync thread):
        # the caller only ever sees the exception.
        try:
            encoder = self._new_encoder()
            output = _as_picamera2_output(writer, self._lib.outputs.Output)
            self._encoder, self._output = encoder, writer
            self._picam2.start_encoder(encoder, output, name="main")
        except BaseException:
            self._encoder = self._output = None
            writer.close()
            raise
        self._lock_exposure()

    def stop_encoder(self) -> None:
        """Flush and stop the take's encoder and close its files; the preview keeps running and
        auto-exposure takes over again."""
        encoder, output = self._encoder, self._output
        if encoder is None:
            return
        try:
            self._unlock_exposure()
            within(
                STOP_TIMEOUT_S,
                "picamera2 stop_encoder()",
                lambda: self._picam2.stop_encoder(encoder),
            )
        finally:
            self._encoder = self._output = None
            if output is not None:
                output.close()

    # ---------------------------------------------------------- exposure lock
    def set_controls(self, controls: Mapping[str, Any]) -> None:
        """Ask picamera2 for `controls`, leaving out those the camera does not advertise.

        picamera2 raises on a control libcamera does not advertise ("Control … is not
        advertised by libcamera"), and a raise here would stop the kiosk's frame loop for an
        exposure nudge: each control the camera refuses is logged once and skipped, and the
        booth goes on with the camera's own exposure."""
        wanted = advertised(controls, self._available_controls(), self._refused, self.model)
        if not wanted:
            return
        try:
            self._picam2.set_controls(wanted)
        except Exception as error:  # libcamera's refusal of a value: the frames matter more
            key = ",".join(sorted(wanted))
            if key not in self._refused:
                self._refused.add(key)
                log.warning("camera %s refused %s (%s): left to the camera", self.model, key, error)

    def _available_controls(self) -> Mapping[str, Any]:
        """Control name → (min, max, default), as picamera2's `camera_controls` has them."""
        return getattr(self._picam2, "camera_controls", {}) or {}

    def _lock_exposure(self) -> None:
        raw = self._last_raw
        if raw is None or not raw.get("ExposureTime"):
            log.warning("no frame yet to lock the exposure at: the take runs on auto-exposure")
            return
        locked = locked_exposure(raw, self.flicker_period_us)
        available = self._available_controls()
        top = (available.get("AnalogueGain") or (None, None, None))[1] or 16.0
        try:
            self._picam2.set_controls(exposure_lock_controls(locked, available))
        except Exception as error:  # the take matters more than the lock
            log.warning("cannot lock the exposure (%s): the take runs on auto-exposure", error)
            return
        self._steering.lock(locked, float(top))
        log.info("exposure locked at %d µs, gain %.2f", locked.exposure_us, locked.analogue_gain)

    def _unlock_exposure(self) -> None:
        if not self._steering.locked:
            return
        self._steering.unlock()
        try:
            self._picam2.set_controls(exposure_unlock_controls(self._available_controls()))
        except Exception as error:
            log.error("cannot hand the exposure back to auto-exposure: %s", error)

    def _new_encoder(self) -> Any:
        encoders = self._lib.encoders
        kind = encoders.H264Encoder if self.encoder == HARDWARE else encoders.LibavH264Encoder
        return kind(**encoder_options(self.encoder, self.fps, self.bitrate_bps))

    def _first_timestamp_us(self) -> int | None:
        encoder = self._encoder
        return None if encoder is None else getattr(encoder, "firsttimestamp", None)


def booth_tuning(picamera2: Any, camera_num: int, aim: CameraAim | None) -> dict[str, Any] | None:
    """The sensor's tuning file with the booth's exposure mode (`aim.exposure_profile`), or
    None (no profile asked, or the file cannot be had: then the tuning's own). `picamera2` is
    picamera2's `Picamera2` class."""
    if aim is None or aim.exposure_profile is None:
        return None
    try:
        try:
            model = picamera2.global_camera_info()[camera_num]["Model"]
        finally:
            release_camera_manager(picamera2)
        tuning = picamera2.load_tuning_file(f"{model}.json")
        return with_booth_exposure_mode(tuning, aim.exposure_profile)
    except Exception as error:  # no camera, no file, no rpi.agc: the camera still works
        log.warning("the booth's exposure profile is not used (%s)", error)
        return None


def release_camera_manager(picamera2: Any) -> None:
    """Let go of the libcamera CameraManager that `Picamera2.global_camera_info()` started.

    libcamera reads a camera's tuning file once, when its pipeline handler registers the camera
    in a CameraManager (the Raspberry Pi IPA is loaded then, from LIBCAMERA_RPI_TUNING_FILE,
    which `Picamera2(tuning=…)` sets). `global_camera_info()` starts picamera2's shared manager
    and keeps it (`Picamera2._cm`), so a Picamera2 made afterwards would use cameras registered
    with the default tuning: the booth's exposure mode unknown to the AGC ("No exposure profile
    custom"). rpicam-apps had the same ordering bug (rpicam-apps PR 593). libcamera's Python
    bindings keep the manager only through a weak reference (`CameraManager.singleton()`), so
    dropping picamera2's reference ends it, and the next `Picamera2` starts a fresh one. Only
    when no camera of this process is open (they share the manager).
    """
    manager = getattr(picamera2, "_cm", None)
    if manager is None or getattr(manager, "cameras", None):
        return
    manager._cms = None
    gc.collect()  # the manager ends when its last Python reference does


def _as_picamera2_output(target: TakeVideoOutput, output_class: type) -> Any:
    """`target` dressed as a picamera2 `Output`, which `Encoder.output` insists on."""

    class ForwardingOutput(output_class):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.needs_pacing = target.needs_pacing

        def start(self) -> None:
            super().start()
            target.start()

        def stop(self) -> None:
            super().stop()
            target.stop()

        def outputframe(
            self,
            frame: Any,
            keyframe: bool = True,
            timestamp: int | None = None,
            packet: Any = None,
            audio: bool = False,
        ) -> None:
            target.outputframe(frame, keyframe, timestamp, packet, audio)

        def _add_stream(self, *args: Any, **kwargs: Any) -> None:
            target._add_stream(*args, **kwargs)

    return ForwardingOutput()
