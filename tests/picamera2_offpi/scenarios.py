"""The booth's `PiCamera` on the real picamera2 and libcamera's virtual camera, in a process of
its own (libcamera's CameraManager is one per process, and picamera2 registers `atexit` work).

Run by tests/test_picamera2_virtual.py as `python scenarios.py SCENARIO OUT_DIR` with the
environment of `virtual_camera_env`; prints one JSON object (the scenario's findings) as its
last line. Everything below drives `PiCamera` as the kiosk does; the only stand-ins are the two
named in the README (this directory's `pykms` and `MemfdAllocator`).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import picamera2.picamera2 as picamera2_module
from memfd_allocator import MemfdAllocator

from booth.config.settings import CameraSettings, Recording
from booth.devices.face_exposure import CameraAim
from booth.devices.pi_camera import SOFTWARE, PiCamera
from booth.devices.ports.camera import CameraError
from booth.media.takefiles import TakeFiles

# This kernel has no DMA heap: picamera2 takes its buffers from memfds instead (the README,
# "The real picamera2 off a Pi"). Everything else picamera2 does is its own.
picamera2_module.DmaAllocator = MemfdAllocator  # type: ignore[misc]

W, H, FPS = 640, 360, 30


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("booth"):
            self.messages.append(record.getMessage())


def take(out: Path) -> dict[str, Any]:
    """Preview, a take of `seconds`, stop, close: what the kiosk does with one take."""
    seconds = float(os.environ.get("SCENARIO_SECONDS", "2"))
    camera = PiCamera(Recording(W, H, FPS, bitrate_bps=1_000_000), encoder=SOFTWARE)
    camera.start()
    previews = [camera.capture(0) for _ in range(5)]
    files = TakeFiles(out / ".take-q1-1").create(
        question_id="q1", take=1, width=W, height=H, fps=FPS, sample_rate=48_000, channels=1
    )
    writer = camera.take_writer(files)
    camera.start_encoder(writer)
    stamps = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        stamps.append(camera.capture(0).timestamp_ns)
    camera.stop_encoder()
    stats = writer.close()
    camera.stop()
    camera.close()
    return {
        "model": camera.model,
        "preview_shape": list(previews[-1].preview.shape),
        "preview_stamps": [f.timestamp_ns for f in previews],
        "metadata_keys": sorted(previews[-1].metadata),
        "captured_stamps": stamps,
        "frames": stats.frames,
        "dropped": stats.dropped,
        "error": stats.error,
        "lens": camera.lens,
    }


def refused_controls(out: Path) -> dict[str, Any]:
    """Controls the virtual camera does not advertise: logged, skipped, frames go on."""
    camera = PiCamera(Recording(W, H, FPS), encoder=SOFTWARE, lens=CameraSettings("distance", 0.8))
    camera.start()
    camera.capture(0)
    camera.set_controls({"ExposureValue": 1.0, "AnalogueGain": 2.0, "AfMode": 2})
    camera.set_controls({"ExposureValue": 0.5})
    frames = [camera.capture(0) for _ in range(10)]
    camera.close()
    return {"frames": len(frames), "fault": camera.fault}


def frames_stop(out: Path) -> dict[str, Any]:
    """The camera stops delivering (a frame every 2.5 s: longer than the booth waits)."""
    camera = PiCamera(Recording(W, H, 0.4), encoder=SOFTWARE)
    camera.start()
    first = camera.capture(0)
    started = time.monotonic()
    try:
        camera.capture(0)
        second = "a frame"
    except CameraError as error:
        second = str(error)
    waited = time.monotonic() - started
    started = time.monotonic()
    camera.close()
    return {
        "first": first.timestamp_ns,
        "second": second,
        "waited_s": waited,
        "fault": camera.fault,
        "close_s": time.monotonic() - started,
    }


def no_such_camera(out: Path) -> dict[str, Any]:
    """The camera the settings name is not there (cable out at boot): a clear CameraError."""
    try:
        PiCamera(Recording(W, H, FPS), camera_num=3, encoder=SOFTWARE)
    except CameraError as error:
        return {"error": str(error)}
    return {"error": None}


def tuning(out: Path) -> dict[str, Any]:
    """With an exposure profile the booth's tuning is in force when the camera registers."""
    import libcamera

    made: list[dict[str, Any]] = []
    real_singleton = libcamera.CameraManager.singleton
    alive: list[Any] = []

    def watched_singleton() -> Any:
        import weakref

        manager = real_singleton()
        if not alive or alive[0]() is not manager:
            path = os.environ.get("LIBCAMERA_RPI_TUNING_FILE")
            text = Path(path).read_text() if path and Path(path).exists() else None
            made.append({"id": id(manager), "tuning": text})
            alive[:] = [weakref.ref(manager)]
        return manager

    libcamera.CameraManager.singleton = staticmethod(watched_singleton)  # type: ignore[method-assign]
    aim = CameraAim("spot", None, ((100.0, 30000.0), (1.0, 8.0)))
    camera = PiCamera(Recording(W, H, FPS), encoder=SOFTWARE, aim=aim)
    camera.start()
    camera.capture(0)
    used = id(camera._picam2.camera_manager)
    camera.close()
    return {"managers": made, "used": used}


SCENARIOS = {f.__name__: f for f in (take, refused_controls, frames_stop, no_such_camera, tuning)}

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    records = Records()
    logging.getLogger().addHandler(records)
    result = SCENARIOS[sys.argv[1]](Path(sys.argv[2]))
    result["warnings"] = records.messages
    print(json.dumps(result), flush=True)
