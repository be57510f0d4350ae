"""Appending microphone audio to a take's crash-safe files."""

from __future__ import annotations

import threading

import numpy as np

from booth.media.takefiles import AppendFile, PeriodicSync, TakeFiles, TakeWriteError


class AudioWriter:
    """Appends S16LE samples to ``audio.pcm`` and one ``<first_sample> <ns>`` line per chunk
    to ``audio.ts``.

    ``sample_rate`` in Hz and ``channels`` describe the samples handed to ``write``. Each write
    is two write(2) calls and no encoding, cheap enough for the mic thread; fsync runs on a
    separate thread at least once a second.
    """

    def __init__(self, files: TakeFiles, sample_rate: int, channels: int = 1) -> None:
        self.files = files
        self.sample_rate = sample_rate
        self.channels = channels
        self._pcm = AppendFile(files.audio)
        self._ts = AppendFile(files.audio_ts)
        self._sync = PeriodicSync([self._pcm, self._ts])
        self._lock = threading.Lock()
        self._samples = 0
        self._closed = False

    @property
    def samples(self) -> int:
        """Samples per channel written so far."""
        return self._samples

    def write(self, samples: np.ndarray, timestamp_ns: int) -> None:
        """Append a chunk: int16 of shape (n,) or (n, channels); ``timestamp_ns`` is the
        CLOCK_MONOTONIC time of its first sample (ALSA ``htimestamp()``) in nanoseconds.

        Raises ``TakeWriteError`` when the disk refuses the samples."""
        data = np.asarray(samples)
        if data.dtype != np.int16:
            raise TypeError(f"audio samples must be int16, got {data.dtype}")
        if data.ndim == 1:
            data = data.reshape(-1, 1) if self.channels == 1 else data.reshape(-1, self.channels)
        if data.ndim != 2 or data.shape[1] != self.channels:
            raise ValueError(f"audio chunk shape {samples.shape} does not match {self.channels} ch")
        if len(data) == 0:
            return
        with self._lock:
            if self._closed:
                raise RuntimeError("AudioWriter.write after close")
            try:
                self._pcm.write(data.astype("<i2", copy=False).tobytes())
                self._ts.write(f"{self._samples} {int(timestamp_ns)}\n".encode("ascii"))
            except OSError as error:
                raise TakeWriteError(f"{self.files.audio}: {error}") from error
            self._samples += len(data)

    def close(self) -> None:
        """Stop the sync thread, fsync and close both files."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._sync.stop()
        self._pcm.close()
        self._ts.close()
