"""A virtual microphone: real ALSA capture (pyalsaaudio) of audio that the simulator writes.

alsa-lib's `file` PCM plugin, with the `null` plugin as its slave, returns data read from its
`infile` on every capture read. Its own reads are not paced, and at the end of a regular file
it silently returns stale memory. So the infile here is a FIFO (named pipe) that the simulator
feeds:

- a capture read blocks until the simulator has written, exactly as a real sound card blocks
  until the next period is captured; it can never return stale data while the FIFO is open;
- the simulator writes whole ALSA periods only (the plugin makes one read() per period, and a
  pipe hands a reader whole writes of up to a page), so every read is one complete period;
- the writer end is opened read-write, so opening it never blocks and ALSA's own open of the
  infile (read-only, blocking) returns at once; it is non-blocking, so the simulator never
  waits for a reader.

Real-world clocks: a USB microphone's sample clock is never exactly the camera's
(`clock_ppm`), its sound reaches the reader some time after it was spoken (`latency_ns`), and
the times of its position updates wander (`jitter_ns`). The virtual microphone plays all three
and reports its timing the way ALSA reports a real card's (`after_read`, booth.devices
.microphone's `CaptureStamps`): the time of its last position update, and how many frames it
had captured after the chunk just read by then (waiting in the FIFO, or still on their way).

If nobody reads for a long time the FIFO fills up; further periods are then dropped and counted
in `overruns`, as a real ring buffer would overflow (the Microphone does not see those: the
`file` plugin cannot report an overrun).

ALSA configuration: `asoundrc` defines the PCM; booth.sim.alsa_config writes it, with the
virtual speaker's, into the one file ALSA_CONFIG_PATH names.
"""

from __future__ import annotations

import fcntl
import math
import os
import random
import stat
import struct
import termios
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from booth.devices.ports.microphone import CaptureStamp
from booth.sim.voice import Voice

PCM_NAME = "booth_sim_mic"
CLICK_S = 0.005
"""Length of the clapperboard click: a full-scale 2 kHz square burst."""
_F_SETPIPE_SZ = 1031
_FIFO_BYTES = 256 * 1024  # about 2.7 s of 48 kHz mono: the "ring buffer" of this microphone


def asoundrc_text(infile: Path | str, pcm_name: str = PCM_NAME) -> str:
    """ALSA configuration defining `pcm_name` as a capture device reading raw S16 from infile."""
    return (
        f"# Written by booth's simulator: a virtual microphone fed through {infile}\n"
        f"pcm.{pcm_name} {{\n"
        f"    type file\n"
        f'    slave.pcm "null"\n'
        f'    file "/dev/null"\n'
        f'    infile "{infile}"\n'
        f'    format "raw"\n'
        f"}}\n"
    )


@dataclass(frozen=True)
class MicStream:
    """The sound the virtual microphone delivers, which the Microphone that reads it must open
    alike: samples per second, channels, and frames per ALSA period."""

    rate: int = 48_000
    channels: int = 1
    period_frames: int = 1600


@dataclass(frozen=True)
class MicFlaws:
    """How far the virtual microphone is from a perfect one (all 0: perfect).

    clock_ppm: the sample clock's error against the virtual clock, in parts per million
    (+150: 48 000 samples take 150 µs less than a second).
    latency_ns: how long after its sound a period reaches the reader (reported to the reader
    as captured-but-not-delivered frames, as a driver reports its delay).
    jitter_ns: standard deviation of the reported position-update times.
    seed: makes the jitter reproducible.
    """

    clock_ppm: float = 0.0
    latency_ns: int = 0
    jitter_ns: float = 0.0
    seed: int = 0


MONO_48K = MicStream()
PERFECT = MicFlaws()


class VirtualMic:
    """The simulator's side of the virtual microphone.

    directory: where the FIFO and the ALSA configuration file are made.
    voice: the speech source (None: room noise only, the candidate is silent).
    stream: rate, channels and period (`MicStream`).
    start_ns: virtual time of sample 0.
    flaws: the real-world imperfections it plays (`MicFlaws`).
    pcm_name: ALSA PCM name to define.
    """

    def __init__(
        self,
        directory: Path | str,
        voice: Voice | None = None,
        stream: MicStream = MONO_48K,
        start_ns: int = 0,
        flaws: MicFlaws = PERFECT,
        pcm_name: str = PCM_NAME,
    ) -> None:
        rate, channels, period_frames = stream.rate, stream.channels, stream.period_frames
        self.directory = Path(directory)
        self.voice = voice if voice is not None else Voice(rate=rate, level_dbfs=-200.0)
        self.rate = rate
        self.channels = channels
        self.period_frames = period_frames
        self.start_ns = start_ns
        self.pcm_name = pcm_name
        self.true_rate = rate * (1 + flaws.clock_ppm / 1e6)
        self.latency_ns = int(flaws.latency_ns)
        self.jitter_ns = float(flaws.jitter_ns)
        self._jitter = random.Random(flaws.seed * 104729 + 3)
        self.silence = False
        """True: the microphone delivers only zeros (a dead input), for the out-of-order path."""
        self.sounds: list[Callable[[np.ndarray], np.ndarray]] = []
        """Other sound the microphone hears besides the voice (the speaker, through the room:
        booth.sim.room): each gives the sound (full scale ±1) at the virtual times (ns) asked."""
        self.produced = 0
        self.overruns = 0
        self._clicks: list[int] = []
        self._partial = np.zeros((0, channels), dtype=np.int16)
        self._in_fifo: deque[int] = deque()  # first sample index of each period in the FIFO
        self.periods_written = 0
        self._last_update_ns: int | None = None  # reported time of the last period's arrival
        self._lock = threading.Lock()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.fifo_path = self.directory / "mic.fifo"
        if self.fifo_path.exists() and not stat.S_ISFIFO(self.fifo_path.stat().st_mode):
            self.fifo_path.unlink()
        if not self.fifo_path.exists():
            os.mkfifo(self.fifo_path)
        self.asoundrc = asoundrc_text(self.fifo_path, pcm_name)
        """The ALSA configuration of this microphone (booth.sim.alsa_config installs it)."""
        self._fd = os.open(self.fifo_path, os.O_RDWR | os.O_NONBLOCK)
        try:
            fcntl.fcntl(self._fd, _F_SETPIPE_SZ, _FIFO_BYTES)
        except OSError:
            pass  # the default 64 KiB still works, it only overflows sooner
        capacity = fcntl.fcntl(self._fd, _F_SETPIPE_SZ + 1)  # F_GETPIPE_SZ
        self._period_bytes = period_frames * channels * 2
        # A pipe holds a fixed number of pages, and a write that does not fit whole into the
        # last page starts new ones: count in pages, not bytes.
        page = os.sysconf("SC_PAGE_SIZE")
        self.capacity_periods = capacity // page // -(-self._period_bytes // page)

    def time_of_sample(self, index: int) -> int:
        """Virtual time in ns at which sample `index` was taken (by the microphone's clock)."""
        return self.start_ns + round(index * 1e9 / self.true_rate)

    def sample_at(self, t_ns: int) -> int:
        """Index of the sample nearest to virtual time `t_ns` (within half a sample)."""
        return round((t_ns - self.start_ns) * self.true_rate / 1e9)

    def click_at(self, at_ns: int) -> None:
        """Put a click (clapperboard) into the audio starting at virtual time `at_ns`."""
        index = self.sample_at(at_ns)
        if index < self.produced:
            raise ValueError("the click falls in audio that was already produced")
        self._clicks.append(index)

    def produce_until(self, now_ns: int) -> int:
        """Produce every sample that has reached the reader by `now_ns` (taken before
        `now_ns - latency_ns`); return how many were added."""
        taken_by = now_ns - self.latency_ns - self.start_ns
        due = math.ceil(taken_by * self.true_rate / 1e9) if taken_by > 0 else 0
        n = max(0, due - self.produced)
        self.produce(n)
        return n

    def produce(self, n: int) -> None:
        """Produce the next `n` samples and hand every completed period to the FIFO."""
        if n <= 0:
            return
        start = self.produced
        if self.silence:
            mono = np.zeros(n, dtype=np.int16)
        else:
            sound = self.voice.samples(start, n)
            if self.sounds:
                times = self.start_ns + np.arange(start, start + n) * (1e9 / self.true_rate)
                for heard in self.sounds:
                    sound = sound + heard(times)
            mono = np.rint(np.clip(sound, -1.0, 1.0) * 32767).astype(np.int16)
            self._add_clicks(mono, start)
        block = np.repeat(mono[:, None], self.channels, axis=1)
        self.produced += n
        pending = np.concatenate([self._partial, block])
        whole = len(pending) // self.period_frames * self.period_frames
        first = start - len(self._partial)
        for k in range(0, whole, self.period_frames):
            self._write_period(pending[k : k + self.period_frames], first + k)
        self._partial = pending[whole:]

    def _add_clicks(self, mono: np.ndarray, start: int) -> None:
        length = round(CLICK_S * self.rate)
        half_cycle = max(1, self.rate // 4000)
        for at in self._clicks:
            lo, hi = max(at, start), min(at + length, start + len(mono))
            if lo >= hi:
                continue
            k = np.arange(lo, hi) - at
            mono[lo - start : hi - start] = np.where((k // half_cycle) % 2 == 0, 32767, -32767)
        self._clicks = [at for at in self._clicks if at + length > start + len(mono)]

    def _write_period(self, period: np.ndarray, first_sample: int) -> None:
        data = period.astype("<i2").tobytes()
        # The period reaches the reader `latency_ns` after its last sample was taken.
        arrival = self.time_of_sample(first_sample + len(period)) + self.latency_ns
        if self.jitter_ns > 0:
            spread = self._jitter.gauss(0.0, self.jitter_ns)
            arrival += round(max(-3 * self.jitter_ns, min(3 * self.jitter_ns, spread)))
        with self._lock:
            self._forget_consumed()
            if len(self._in_fifo) >= self.capacity_periods:
                self.overruns += 1
                return
            try:
                os.write(self._fd, data)
            except BlockingIOError:
                self.overruns += 1
                return
            self._in_fifo.append(first_sample)
            self.periods_written += 1
            self._last_update_ns = arrival

    def _forget_consumed(self) -> None:
        waiting = self._fifo_bytes() // self._period_bytes
        while len(self._in_fifo) > waiting:
            self._in_fifo.popleft()

    def _fifo_bytes(self) -> int:
        raw = fcntl.ioctl(self._fd, termios.FIONREAD, b"\0\0\0\0")
        return struct.unpack("i", raw)[0]

    def after_read(self) -> CaptureStamp | None:
        """The device's report after a read, as ALSA's htimestamp gives it for a real card: the
        time of the last position update (the last period's arrival), and the frames taken
        after the chunk just read by then: those waiting in the FIFO plus those still on their
        way (`latency_ns`), the delay a driver reports."""
        with self._lock:
            if self._last_update_ns is None or self._fd < 0:
                return None  # nothing written yet, or closed (a reader's last, waking read)
            waiting = self._fifo_bytes() // (2 * self.channels)
            in_flight = round(self.latency_ns * self.true_rate / 1e9)
            return CaptureStamp(self._last_update_ns, waiting + in_flight)

    def close(self) -> None:
        """Close the FIFO. A reader still blocked in a read first gets one period of silence,
        so it wakes with zeros rather than stale memory; stop reading before closing, since
        reads after the close return stale memory again."""
        if self._fd < 0:
            return
        with self._lock:
            try:
                if self._fifo_bytes() == 0:
                    os.write(self._fd, bytes(self._period_bytes))
            except BlockingIOError:
                pass
            finally:
                os.close(self._fd)
                self._fd = -1
