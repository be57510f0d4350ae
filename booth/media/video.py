"""The simulator's H.264 encoder: picamera2's `LibavH264Encoder` as the simulated camera runs it.

On a Pi, picamera2's encoder hands every encoded frame to the take's output,
`booth.media.take_video.TakeVideoOutput`, the only code that writes ``video.h264`` and
``video.pts``. The simulator does the same: `SoftwareH264Encoder` encodes with libx264 through
PyAV, tuned like the Pi 5's software path (ultrafast, zero latency, no B-frames: every frame
comes out as one packet at once, packet order is frame order), and calls its output exactly as
picamera2 0.3.36's `LibavH264Encoder._encode` does:

- a frame's timestamp is its SensorTimestamp truncated to whole µs, minus the first frame's
  (kept in `firsttimestamp`, as `Encoder._timestamp` does), and becomes the frame's pts in a
  1/1000000 time base: no nudging of repeated times here (the output does that);
- each packet goes to ``output.outputframe(bytes(packet), packet.is_keyframe,
  timestamp=packet.pts, packet=packet)``;
- ``output.start()`` when the encoder starts, ``output.stop()`` after its last packet.

So the keyframe gating, the repeated-stamp rule and the write-error handling the simulator's
takes go through are the Pi's own. The one difference is the thread: picamera2 encodes in its
camera thread, the simulator on the encoder's own (`realtime`: a frame the encoder has no room
for is dropped, as a busy Pi's camera drops it).
"""

from __future__ import annotations

import logging
import queue
import threading
from fractions import Fraction
from typing import Any, Protocol

import av
import numpy as np

log = logging.getLogger(__name__)

QUEUE_FRAMES = 8
# Without real time the caller waits for the encoder anyway: a deeper queue would only hold
# more full-size frames in memory (about 6 MB each at 1080p).
QUEUE_FRAMES_WAITING = 2
"""Frames that may wait for the encoder: about a quarter second at 30 fps."""

_US = Fraction(1, 1_000_000)


class EncoderOutput(Protocol):
    """What picamera2's encoders call on their outputs (a `TakeVideoOutput`)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def outputframe(
        self,
        frame: bytes | memoryview | None,
        keyframe: bool = True,
        timestamp: int | None = None,
        packet: Any = None,
        audio: bool = False,
    ) -> None: ...


class SoftwareH264Encoder:
    """libx264 through PyAV, feeding `output` as picamera2's `LibavH264Encoder` feeds it.

    ``width``/``height`` in pixels (even numbers, as yuv420p needs), ``fps`` the nominal frame
    rate (a keyframe about every second, as the booth asks picamera2's encoders for with
    ``iperiod``), ``bitrate_bps`` the target bit rate. With ``realtime`` true, `encode` never
    blocks: when the encoder falls more than ``QUEUE_FRAMES`` behind, the frame is dropped and
    counted in `dropped`. With ``realtime`` false (headless simulation in virtual time) `encode`
    waits instead, so no frame is lost.
    """

    def __init__(
        self,
        width: int,
        height: int,
        fps: float,
        bitrate_bps: int,
        realtime: bool = True,
    ) -> None:
        self.width = width
        self.height = height
        self.realtime = realtime
        self.output: EncoderOutput | None = None
        self.firsttimestamp: int | None = None
        """The first frame's SensorTimestamp in whole µs (picamera2's `Encoder.firsttimestamp`)."""
        self.dropped = 0
        """Frames the encoder had no room for (`realtime` only)."""
        self.error: str | None = None
        """Why the encoder stopped (libx264 failed), None while all is well."""
        self._codec = av.CodecContext.create("libx264", "w")
        self._codec.width = width
        self._codec.height = height
        self._codec.pix_fmt = "yuv420p"
        self._codec.time_base = _US
        self._codec.framerate = Fraction(fps).limit_denominator(1001)
        self._codec.bit_rate = int(bitrate_bps)
        self._codec.gop_size = max(1, round(fps))
        self._codec.max_b_frames = 0
        self._codec.options = {"preset": "ultrafast", "tune": "zerolatency"}
        depth = QUEUE_FRAMES if realtime else QUEUE_FRAMES_WAITING
        self._queue: queue.Queue[tuple[np.ndarray, int] | None] = queue.Queue(depth)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Open the codec, start the output and the encoder's thread."""
        if self.output is None:
            raise RuntimeError("SoftwareH264Encoder.start without an output")
        self._codec.open()
        self.output.start()
        self._thread = threading.Thread(target=self._run, name="take-video", daemon=True)
        self._thread.start()

    def encode(self, rgb: np.ndarray, sensor_timestamp_ns: int) -> None:
        """Queue one frame: ``rgb`` is (height, width, 3) uint8, ``sensor_timestamp_ns`` its
        SensorTimestamp. The array is encoded later on the encoder's thread: do not modify it
        after handing it over."""
        if self._thread is None:
            raise RuntimeError("SoftwareH264Encoder.encode before start")
        item = (rgb, int(sensor_timestamp_ns))
        if not self.realtime:
            self._queue.put(item)
            return
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    def stop(self) -> None:
        """Encode what is queued, flush the codec into the output, and stop the output."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(None)
        thread.join()
        assert self.output is not None
        self.output.stop()
        if self.dropped:
            log.warning("the encoder dropped %d frames it had no time for", self.dropped)

    def _run(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                self._encode(*item)
            self._emit(self._codec.encode(None))
        except Exception as error:
            log.exception("the take's video encoder stopped")
            self.error = f"H.264 encoder: {error}"
            # Keep draining so a realtime caller is never blocked and stop() can finish.
            while self._queue.get() is not None:
                pass

    def _timestamp(self, sensor_timestamp_ns: int) -> int:
        """picamera2's `Encoder._timestamp`: whole µs since the first frame."""
        ts = int(sensor_timestamp_ns / 1000)
        if self.firsttimestamp is None:
            self.firsttimestamp = ts
            return 0
        return ts - self.firsttimestamp

    def _encode(self, rgb: np.ndarray, sensor_timestamp_ns: int) -> None:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self._timestamp(sensor_timestamp_ns)
        self._emit(self._codec.encode(frame))

    def _emit(self, packets: list[av.Packet]) -> None:
        assert self.output is not None
        for packet in packets:
            self.output.outputframe(
                bytes(packet), packet.is_keyframe, timestamp=packet.pts, packet=packet
            )
