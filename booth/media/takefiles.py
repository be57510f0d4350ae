"""The crash-safe on-disk form of a take while it is being recorded.

A take in progress is a hidden directory ``<session>/.take-<question_id>-<take>/`` holding:

- ``video.h264``: raw Annex-B H.264 elementary stream without B-frames, one access unit per
  camera frame, appended as the encoder produces it;
- ``video.pts``: one line per frame, the frame's SensorTimestamp in nanoseconds on
  CLOCK_MONOTONIC (lines starting with ``#`` are ignored);
- ``audio.pcm``: raw signed 16-bit little-endian samples, channels interleaved;
- ``audio.ts``: one line per appended chunk, ``<first_sample_index> <timestamp_ns>``, the
  CLOCK_MONOTONIC time of that chunk's first sample, so audio/camera drift can be measured;
- ``take.json``: question_id, take, width, height, fps, sample_rate, channels, started;
- ``tones.txt`` (only when a cue sounded during the take): one line per cue tone,
  ``<hz> <start_ns> <end_ns>``, the window on CLOCK_MONOTONIC in which the microphone may have
  heard it; the mux takes that narrow band back out (``booth.media.tones``).

Each media file only grows by whole records: a frame's bytes are written before its pts line
and a chunk's samples before its ``audio.ts`` line, so after a kill -9 every complete line
names data that is on disk. Files are fsync'ed at least once a second, so a power cut loses at
most about the last second. The same layout is written on a Pi and in simulation.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from booth.config.reader import read_json_object
from booth.privacy.files import FILE_MODE, fsync_dir, private_dir, write_json_private

VIDEO_NAME = "video.h264"
PTS_NAME = "video.pts"
AUDIO_NAME = "audio.pcm"
AUDIO_TS_NAME = "audio.ts"
META_NAME = "take.json"
TONES_NAME = "tones.txt"
MAX_TONES = 64
"""More tone lines than this is not a take the booth wrote: the rest are ignored."""

log = logging.getLogger(__name__)

SYNC_INTERVAL_S = 0.5
"""How often (seconds of wall time) take files are fsync'ed: half the promised 1 s loss."""


class TakeWriteError(RuntimeError):
    """Writing a take failed (disk full, I/O error): stop the take, then mux what is on disk."""


@dataclass(frozen=True)
class TakeFiles:
    """Paths of one take's files inside its directory ``path``."""

    path: Path

    @property
    def video(self) -> Path:
        return self.path / VIDEO_NAME

    @property
    def pts(self) -> Path:
        return self.path / PTS_NAME

    @property
    def audio(self) -> Path:
        return self.path / AUDIO_NAME

    @property
    def audio_ts(self) -> Path:
        return self.path / AUDIO_TS_NAME

    @property
    def meta(self) -> Path:
        return self.path / META_NAME

    @property
    def tones(self) -> Path:
        return self.path / TONES_NAME

    def add_tone(self, hz: float, start_ns: int, end_ns: int) -> None:
        """Note a cue's tone that the microphone may hear between `start_ns` and `end_ns`.

        Not fsync'ed: a power cut within the second loses only the band-stop, never sound."""
        fd = os.open(self.tones, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        try:
            os.write(fd, f"{hz:.3f} {int(start_ns)} {int(end_ns)}\n".encode("ascii"))
        finally:
            os.close(fd)

    def create(self, **take_json_fields: object) -> TakeFiles:
        """Make the directory (0700) and write ``take.json`` durably (file and directory
        fsync'ed)."""
        private_dir(self.path.parent)
        self.path.mkdir(mode=0o700)
        os.chmod(self.path, 0o700)
        write_json_atomic(self.path / META_NAME, dict(take_json_fields))
        fsync_dir(self.path.parent)
        return self

    def read_meta(self) -> dict:
        """The take.json fields, or an empty dict when the file is missing or unreadable."""
        try:
            return read_json_object(self.meta)
        except (OSError, ValueError):
            return {}


def read_pts(path: Path) -> list[int]:
    """Frame timestamps (ns) from a ``video.pts`` file, up to the first incomplete line.

    A line without its newline may have been cut by a crash mid-write, so it is not trusted.
    """
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return []
    stamps: list[int] = []
    for line in text.split("\n")[:-1]:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            stamps.append(int(line))
        except ValueError:
            break
    return stamps


def read_audio_ts(path: Path) -> list[tuple[int, int]]:
    """``(first_sample_index, timestamp_ns)`` pairs from ``audio.ts``, complete lines only."""
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return []
    marks: list[tuple[int, int]] = []
    for line in text.split("\n")[:-1]:
        parts = line.split()
        if len(parts) != 2:
            break
        try:
            marks.append((int(parts[0]), int(parts[1])))
        except ValueError:
            break
    return marks


def read_tones(path: Path, sample_rate: int) -> list[tuple[float, int, int]]:
    """``(hz, start_ns, end_ns)`` from ``tones.txt``: complete, plausible lines only (a tone the
    take's sample rate can hold, a window of at most a minute), at most MAX_TONES."""
    try:
        with open(path, "rb") as f:
            text = f.read(MAX_TONES * 64).decode("ascii", errors="replace")  # lines are < 64 B
    except FileNotFoundError:
        return []
    tones: list[tuple[float, int, int]] = []
    for line in text.split("\n")[:-1][:MAX_TONES]:
        parts = line.split()
        try:
            hz, start, end = float(parts[0]), int(parts[1]), int(parts[2])
        except (IndexError, ValueError):
            log.warning("%s: line %r ignored", path, line[:80])
            continue
        if len(parts) == 3 and 20 <= hz < sample_rate / 2 and 0 < end - start <= 60 * 10**9:
            tones.append((hz, start, end))
        else:
            log.warning("%s: line %r ignored", path, line[:80])
    return tones


def write_json_atomic(path: Path, data: dict) -> None:
    """Write JSON so that readers see the old or the new file, never a torn one (0600).

    Temporary name in the same directory, fsync, os.replace, then fsync of the directory so
    the rename itself survives a power cut.
    """
    write_json_private(path, data)


class AppendFile:
    """A file opened for unbuffered appends: each ``write`` is one write(2) of whole records.

    Unbuffered so that the order of records across a take's files on disk is the order they
    were written in (a frame before its pts line), which recovery relies on.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def sync(self) -> None:
        os.fsync(self.fd)

    def close(self) -> None:
        if self.fd < 0:
            return
        try:
            os.fsync(self.fd)
        except OSError as error:
            log.warning("%s: final fsync failed: %s", self.path, error)
        finally:
            os.close(self.fd)
            self.fd = -1


class PeriodicSync:
    """A background thread that fsyncs some files every ``interval_s`` seconds of wall time.

    fsync on an SD card can take hundreds of milliseconds; doing it here keeps it off the mic
    and encoder threads. Files are synced in the order given (media before their index).
    """

    def __init__(self, files: list[AppendFile], interval_s: float = SYNC_INTERVAL_S) -> None:
        self._files = files
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="take-fsync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            for f in self._files:
                try:
                    f.sync()
                except OSError:
                    # Closed under us at the end of the take, or a disk error the writer
                    # will meet on its next write; either way nothing to do here.
                    pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass(frozen=True)
class VideoStats:
    """What a take's video writer did: frames encoded and frames dropped (encoder too slow);
    ``error`` says why writing stopped early (disk full...), None when it did not."""

    frames: int
    dropped: int
    error: str | None = None
