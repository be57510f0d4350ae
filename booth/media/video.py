"""Software H.264 encoding of camera frames into a take's crash-safe files.

Used in simulation (and wherever no hardware encoder records the take): libx264 through PyAV,
tuned like picamera2's Pi 5 software path (ultrafast, zero latency, no B-frames), so every
frame comes out as one packet at once and packet order is frame order.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from booth.media.takefiles import AppendFile, PeriodicSync, TakeFiles, TakeWriteError

log = logging.getLogger(__name__)

QUEUE_FRAMES = 8
# Without real time the caller waits for the encoder anyway: a deeper queue would only hold
# more full-size frames in memory (about 6 MB each at 1080p).
QUEUE_FRAMES_WAITING = 2
"""Frames that may wait for the encoder: about a quarter second at 30 fps."""

_US = Fraction(1, 1_000_000)


@dataclass(frozen=True)
class VideoStats:
    """What a take's video writer did: frames encoded and frames dropped (encoder too slow);
    ``error`` says why writing stopped early (disk full...), None when it did not."""

    frames: int
    dropped: int
    error: str | None = None


class VideoWriter:
    """Encodes RGB frames to ``video.h264`` + ``video.pts`` on its own thread.

    ``width``/``height`` in pixels (even numbers, as yuv420p needs), ``fps`` the nominal frame
    rate (sets the keyframe interval to about one second), ``bitrate_bps`` the target bit rate
    in bits per second. With ``realtime`` true, ``write`` never blocks: when the encoder falls
    more than ``QUEUE_FRAMES`` behind, the frame is dropped and counted (the muxer places frames
    by timestamp, so a drop is a skipped frame, not a sync error). With ``realtime`` false
    (headless simulation in virtual time) ``write`` waits instead, so no frame is lost.
    """

    def __init__(
        self,
        files: TakeFiles,
        width: int,
        height: int,
        fps: float,
        bitrate_bps: int,
        realtime: bool = True,
    ) -> None:
        self.files = files
        self.width = width
        self.height = height
        self.realtime = realtime
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
        self._codec.open()
        self._video = AppendFile(files.video)
        self._pts = AppendFile(files.pts)
        self._sync = PeriodicSync([self._video, self._pts])
        depth = QUEUE_FRAMES if realtime else QUEUE_FRAMES_WAITING
        self._queue: queue.Queue[tuple[np.ndarray, int] | None] = queue.Queue(depth)
        self._first_ns: int | None = None
        self._last_pts = -1
        self._stamps: dict[int, int] = {}
        self._frames = 0
        self._dropped = 0
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="take-video", daemon=True)
        self._thread.start()

    def write(self, rgb: np.ndarray, timestamp_ns: int) -> None:
        """Queue one frame: ``rgb`` is (height, width, 3) uint8, ``timestamp_ns`` its
        SensorTimestamp on CLOCK_MONOTONIC in nanoseconds. The array is encoded later on the
        writer's thread: do not modify it after handing it over.

        Raises ``TakeWriteError`` once the encoder thread has failed (for example disk full).
        """
        if self._closed:
            raise RuntimeError("VideoWriter.write after close")
        if self._error is not None:
            raise TakeWriteError(f"{self.files.video}: {self._error}") from self._error
        item = (rgb, int(timestamp_ns))
        if not self.realtime:
            self._queue.put(item)
            return
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self._dropped += 1

    def close(self) -> VideoStats:
        """Encode what is queued, flush the encoder, fsync and close the files.

        Does not raise for a failure while writing: the frames before it are on disk and can
        be muxed; ``VideoStats.error`` tells what happened.
        """
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
            self._sync.stop()
            self._video.close()
            self._pts.close()
            if self._dropped:
                log.warning("take %s: %d frames dropped", self.files.path.name, self._dropped)
        error = None if self._error is None else f"{self.files.video}: {self._error}"
        return VideoStats(frames=self._frames, dropped=self._dropped, error=error)

    def _run(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                self._encode(*item)
            self._emit(self._codec.encode(None))
        except Exception as error:
            log.exception("take %s: video encoder stopped", self.files.path.name)
            self._error = error
            # Keep draining so a realtime caller is never blocked and close() can finish.
            while self._queue.get() is not None:
                pass

    def _encode(self, rgb: np.ndarray, timestamp_ns: int) -> None:
        if self._first_ns is None:
            self._first_ns = timestamp_ns
        # x264 needs strictly increasing pts; a repeated sensor time moves on by 1 µs.
        pts = max((timestamp_ns - self._first_ns) // 1000, self._last_pts + 1)
        self._last_pts = pts
        self._stamps[pts] = timestamp_ns
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = pts
        self._emit(self._codec.encode(frame))

    def _emit(self, packets: list[av.Packet]) -> None:
        for packet in packets:
            self._video.write(bytes(packet))
            # libx264 gives every packet the pts of its frame (no B-frames, one packet a frame).
            assert packet.pts is not None
            stamp = self._stamps.pop(packet.pts)
            self._pts.write(f"{stamp}\n".encode("ascii"))
            self._frames += 1
