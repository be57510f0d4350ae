"""The microphone port: timestamped chunks of audio, and what the reader needs of a device.

The ALSA microphone of a booth (booth.devices.microphone) and the simulator's virtual one (an
ALSA `file` PCM fed by booth.sim.virtual_mic) both deliver `AudioChunk`s through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


class MicrophoneError(Exception):
    """The microphone cannot be opened or read; the message is meant for staff."""


@dataclass(frozen=True)
class AudioChunk:
    """Consecutive audio samples.

    samples: (n, channels) int16, read-only (it shares memory with ALSA's buffer object).
    timestamp_ns: time of the first sample, in ns (CLOCK_MONOTONIC on a Pi; virtual time in
    simulation).
    rate: samples per second per channel.
    """

    samples: np.ndarray
    timestamp_ns: int
    rate: int

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_ns(self) -> int:
        return self.frames * 1_000_000_000 // self.rate

    @property
    def end_ns(self) -> int:
        return self.timestamp_ns + self.duration_ns


@dataclass(frozen=True)
class CaptureStamp:
    """What a capture device reports right after a read.

    tstamp_ns: CLOCK_MONOTONIC time of the device's last position update, in ns.
    delay_frames: frames the device had captured after the chunk just read, by `tstamp_ns`:
    those waiting in the buffer (ALSA's avail), plus those a driver reports as captured but
    still on their way.
    """

    tstamp_ns: int
    delay_frames: int


class CaptureStamps(Protocol):
    """Where a microphone's timing comes from: ALSA's report, or the simulated device's."""

    def after_read(self) -> CaptureStamp | None:
        """The device's report right after a read; None when it has none."""
        ...


class Microphone(Protocol):
    """An opened capture device, read one period at a time on the reader's thread.

    device: its name (an ALSA PCM name), for staff. rate: samples per second.
    overruns: periods lost because the reader came too late (counted, never raised).
    """

    device: str
    rate: int
    overruns: int

    def read(self) -> AudioChunk | None:
        """Block until one period is captured; None after an overrun. Raises
        `MicrophoneError` when the device stops delivering (pulled out)."""
        ...

    def close(self) -> None:
        """Close the device; stop the thread that reads from it first."""
        ...
