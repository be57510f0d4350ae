"""A stand-in for picamera2 0.3.36, for the few PiCamera tests that need a camera object.

picamera2 cannot be imported off a Pi (it needs libcamera's bindings), so these tests give
`PiCamera` this module instead. It copies only the behaviour of picamera2 that the booth's
faults came from, as read in picamera2 0.3.36's sources:

- `LibavH264Encoder._start` opens a null container and calls PyAV's real
  ``add_stream("h264", rate=self.framerate)``, with the PyAV installed here;
- `capture_request(wait=s)` queues a job for the camera thread; when no frame comes the
  wait raises TimeoutError and the job stays queued (`Job.get_result` is a future's result);
- `stop()` queues its own job behind the others and waits for it without a time limit, so
  it returns only once the queue before it is empty; `cancel_all_and_flush()` empties it.
"""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError
from types import SimpleNamespace
from typing import Any

import av


class Output:
    """picamera2.outputs.Output: start/stop flags only."""

    def __init__(self) -> None:
        self.recording = False

    def start(self) -> None:
        self.recording = True

    def stop(self) -> None:
        self.recording = False


class Encoder:
    def __init__(self, bitrate=None, repeat=True, iperiod=30, **_: Any) -> None:
        self.bitrate, self.repeat, self.iperiod = bitrate, repeat, iperiod
        self.firsttimestamp = None
        self.output: Output | None = None
        self.width, self.height = 160, 120

    def start(self) -> None:
        self._start()
        assert self.output is not None
        self.output.start()

    def _start(self) -> None:
        pass

    def stop(self) -> None:
        assert self.output is not None
        self.output.stop()


class H264Encoder(Encoder):
    pass


class LibavH264Encoder(Encoder):
    def __init__(self, bitrate=None, repeat=True, iperiod=30, framerate=30, **kw: Any) -> None:
        super().__init__(bitrate, repeat, iperiod, **kw)
        self.framerate = framerate

    def _start(self) -> None:
        # picamera2 0.3.36, encoders/libav_h264_encoder.py, the first lines of _start.
        self._container = av.open("/dev/null", "w", format="null")
        self._stream = self._container.add_stream("h264", rate=self.framerate)
        self.stream_rate = self._stream.codec_context.framerate

    def stop(self) -> None:
        super().stop()
        self._container.close()


class Picamera2:
    """One camera that delivers no frame (its ribbon cable came out)."""

    def __init__(self, camera_num: int = 0) -> None:
        self.camera_properties = {"Model": "imx708"}
        self.camera_controls: dict[str, Any] = {}
        self.started = False
        self.closed = False
        self.jobs: list[threading.Event] = []
        self.cancelled = 0
        self.stopped_before_cancel = False
        self.close_called = False
        self._lock = threading.Lock()

    def create_video_configuration(self, **config: Any) -> dict[str, Any]:
        return config

    def configure(self, config: dict[str, Any]) -> None:
        self.config = config

    def camera_configuration(self) -> dict[str, Any]:
        return self.config

    def start(self) -> None:
        self.started = True

    def set_controls(self, controls: dict[str, Any]) -> None:
        pass

    def start_encoder(self, encoder: Encoder, output: Output, name: str | None = None) -> None:
        encoder.output = output
        encoder.start()

    def stop_encoder(self, encoder: Encoder) -> None:
        encoder.stop()

    def capture_request(self, wait: float | None = None) -> Any:
        job = threading.Event()
        with self._lock:
            self.jobs.append(job)
        if not job.wait(wait):
            raise TimeoutError()  # concurrent.futures' TimeoutError: no message
        raise CancelledError()

    def cancel_all_and_flush(self) -> None:
        with self._lock:
            self.cancelled += 1
            for job in self.jobs:
                job.set()
            self.jobs = []

    def stop(self) -> None:
        # Behind the jobs queued before it, with no time limit.
        with self._lock:
            waiting = list(self.jobs)
        if waiting:
            self.stopped_before_cancel = True
        for job in waiting:
            job.wait()
        self.started = False

    def close(self) -> None:
        # picamera2 0.3.36's close() first unregisters the atexit close its __init__
        # registered, then stops the camera (and its preview), with no time limit.
        self.close_called = True
        self.stop()
        self.closed = True


def picamera2_module() -> SimpleNamespace:
    """What `booth.devices.pi_camera.import_picamera2` returns on a Pi."""
    return SimpleNamespace(
        Picamera2=Picamera2,
        encoders=SimpleNamespace(H264Encoder=H264Encoder, LibavH264Encoder=LibavH264Encoder),
        outputs=SimpleNamespace(Output=Output),
    )


def libcamera_module() -> SimpleNamespace:
    """libcamera's `controls` as far as PiCamera.start uses it."""
    enum = SimpleNamespace(Manual="AeFlickerModeEnum.Manual")
    return SimpleNamespace(controls=SimpleNamespace(AeFlickerModeEnum=enum))
