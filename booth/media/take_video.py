"""Where a take's H.264 encoder writes: the crash-safe ``video.h264`` + ``video.pts``.

The only code that writes a take's video files, on a Pi and in simulation alike. picamera2's
encoders (the Pi 4's hardware `H264Encoder`, the Pi 5's `LibavH264Encoder`) hand every encoded
frame to their outputs; the simulator's `booth.media.video.SoftwareH264Encoder` makes the same
calls. `TakeVideoOutput` is such an output, written by duck
typing rather than by inheriting picamera2's `Output`, so that it imports and is tested off a
Pi. The calls picamera2 makes on an output (picamera2/outputs/output.py, encoders/*.py) are:

- ``start()`` when the encoder starts, ``stop()`` after it has flushed its last frame;
- ``_add_stream(...)`` when the encoder starts (H264Encoder passes ``"video", "h264"``,
  LibavH264Encoder its PyAV stream): nothing to do for a raw elementary stream;
- ``outputframe(frame, keyframe, timestamp, packet, audio)`` once per encoded frame, from the
  encoder's own thread (the V4L2 poll thread on a Pi 4, the camera thread on a Pi 5);
- the attribute ``needs_pacing``, read by LibavH264Encoder when it flushes.

picamera2's `Encoder.output` setter only accepts `Output` instances, so on the Pi
`booth.devices.pi_camera` wraps this object in a thin `Output` subclass that forwards those calls.

The files are exactly those of `booth.media.takefiles`: one Annex-B access unit per frame
appended to ``video.h264``, then that frame's SensorTimestamp (ns, CLOCK_MONOTONIC) as one line
of ``video.pts``, both fsync'ed in the background by `PeriodicSync`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from booth.media.takefiles import AppendFile, PeriodicSync, TakeFiles, VideoStats

log = logging.getLogger(__name__)


class TakeVideoOutput:
    """An encoder output that writes one take's ``video.h264`` and ``video.pts``.

    files: the take's files (their directory exists; see `TakeFiles.create`).
    first_timestamp_us: returns the SensorTimestamp, in whole µs, that the encoder subtracts
    from every timestamp it reports (picamera2's `Encoder.firsttimestamp`); None until the
    encoder has seen its first frame.
    fps: nominal frame rate, only used to place a frame that arrives without a timestamp.

    It never raises into the encoder's thread: a failed write (disk full) is remembered, later
    frames are counted as dropped, and `close()` reports it in `VideoStats.error`, so the
    frames already on disk still make a take.
    """

    needs_pacing = False
    """picamera2: this output does not need flushed frames delivered in real time."""

    def __init__(
        self,
        files: TakeFiles,
        first_timestamp_us: Callable[[], int | None],
        fps: float = 30.0,
    ) -> None:
        self.files = files
        self._first_timestamp_us = first_timestamp_us
        self._frame_ns = round(1e9 / fps)
        self._video = AppendFile(files.video)
        self._pts = AppendFile(files.pts)
        self._sync = PeriodicSync([self._video, self._pts])
        self._lock = threading.Lock()
        self.recording = False
        self._started = False  # a keyframe has been written
        self._last_ns: int | None = None
        self._frames = 0
        self._dropped = 0
        self._error: str | None = None
        self._closed = False

    # ------------------------------------------------- picamera2's output calls
    def start(self) -> None:
        self.recording = True

    def stop(self) -> None:
        """The encoder has flushed its last frame: close the files."""
        self.recording = False
        self.close()

    def _add_stream(self, *_args: object, **_kwargs: object) -> None:
        """A raw H.264 file needs no stream description."""

    def outputframe(
        self,
        frame: bytes | memoryview | None,
        keyframe: bool = True,
        timestamp: int | None = None,
        packet: object = None,
        audio: bool = False,
    ) -> None:
        """One encoded frame: ``frame`` is its Annex-B access unit, ``timestamp`` the encoder's
        time for it in µs relative to its first frame (see `sensor_timestamp_ns`)."""
        if audio or frame is None:
            return  # picamera2's own audio path: the booth records audio with ALSA instead
        with self._lock:
            if self._closed:
                return
            if self._error is not None or (not self._started and not keyframe):
                # A decoder can only start at a keyframe (the Pi encoders begin with one).
                self._dropped += 1
                return
            stamp = self._stamp(timestamp)
            try:
                self._video.write(bytes(frame))
                self._pts.write(f"{stamp}\n".encode("ascii"))
            except OSError as error:
                self._error = f"{self.files.video}: {error}"
                self._dropped += 1
                log.error("take %s: video write failed: %s", self.files.path.name, error)
                return
            self._started = True
            self._last_ns = stamp
            self._frames += 1

    # ------------------------------------------------------------ the booth's
    @property
    def frames(self) -> int:
        """Frames written so far."""
        return self._frames

    @property
    def error(self) -> str | None:
        """Why writing stopped (disk full…), None while all is well."""
        return self._error

    def close(self) -> VideoStats:
        """Fsync and close the files (once); the same `VideoStats` as the software writer."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._sync.stop()
                self._video.close()
                self._pts.close()
                if self._dropped:
                    log.warning("take %s: %d frames dropped", self.files.path.name, self._dropped)
            return VideoStats(frames=self._frames, dropped=self._dropped, error=self._error)

    def _stamp(self, timestamp: int | None) -> int:
        if timestamp is None:
            # No encoder of picamera2 0.3.x on Bookworm does this; keep the frame, spaced at
            # the nominal rate after the previous one, rather than lose it.
            previous = self._last_ns if self._last_ns is not None else 0
            return previous + self._frame_ns
        first_us = self._first_timestamp_us()
        stamp = sensor_timestamp_ns(int(timestamp), first_us)
        if self._last_ns is not None and stamp <= self._last_ns:
            stamp = self._last_ns + 1  # the muxer wants strictly increasing times
        return stamp


def sensor_timestamp_ns(encoder_timestamp_us: int, first_timestamp_us: int | None) -> int:
    """A frame's SensorTimestamp in ns on CLOCK_MONOTONIC, from what picamera2's encoder reports.

    picamera2's `Encoder._timestamp` takes the request's SensorTimestamp (ns), truncates it to
    whole µs, and subtracts the first frame's value (kept in `Encoder.firsttimestamp`), so that
    encoders report µs since the take's first frame: the V4L2 encoder (Pi 4) carries that value
    through the V4L2 buffer's timestamp and back, LibavH264Encoder (Pi 5) uses it as the frame's
    pts in a 1/1000000 time base and reports `packet.pts`. Adding the first frame's µs back gives
    the frame's own truncated SensorTimestamp, so the result is within 1 µs of the original.

    The sensor drivers stamp frames with the kernel's monotonic clock, which picamera2 itself
    compares with `time.monotonic_ns()` (`capture_request(flush=True)`); CLOCK_BOOTTIME, named
    by libcamera's documentation, differs from it only by time spent suspended, and a booth
    never suspends. ALSA's `htimestamp()` is read on the same clock, so audio lines up.

    first_timestamp_us None (an encoder that reports absolute times) counts from 0.
    """
    return (encoder_timestamp_us + (first_timestamp_us or 0)) * 1000
