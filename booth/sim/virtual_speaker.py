"""A virtual speaker: real ALSA playback (pyalsaaudio) into a file the tests can listen to.

alsa-lib's `file` PCM plugin, with the `null` plugin as its slave, writes everything played
through it to `file`, as raw 16-bit samples. It is never paced: the null slave takes any
amount at once. That is right for virtual time, where the player writes exactly the sound
up to the virtual clock, so the capture's sample n was played n / rate seconds into the clip.

In real time (the windowed demo, the benchmark) a sound card's clock paces playback. Here
`paced=True` makes `file` a FIFO that a thread empties at the sample rate into the capture
file, so the player's blocking writes wait exactly as on a card. The FIFO is one page (21 ms
of 48 kHz stereo), and alsa-lib keeps a period of its own: together the delay the player
cannot see, a sound card reports its delay itself. `heard_at` tells when each byte left.

A real sound card also runs out: its pointer moves on with the card's clock, and when it
catches up with what was written (ALSA's default stop threshold, the buffer size) the stream
stops in XRUN. pyalsaaudio 0.11 then returns -EPIPE from `avail()` (its error check is
commented out) and from the next `write()`, which re-prepares the stream and drops that data.
The `file`/`null` PCMs never do that, so in paced mode the speaker's PCM is opened through
`open_pcm`, which puts `CardPCM` (that driver's behaviour, on the card's clock) in front of
the real ALSA PCM: the sound still goes through alsa-lib into the capture.

In virtual time (`clock_ns` given, not paced) the speaker's PCM is opened through
`VirtualTimePCM`: a card on the virtual clock that starts a write when it is made (or when what
was written before has played) and plays it at the sample rate. It keeps when each captured
sample left the speaker (`heard_at_ns`) and what is sounding at any moment (`sound_at`): what
the microphone hears through the room (booth.sim.room).

ALSA configuration: `asoundrc` defines the PCM; booth.sim.alsa_config writes it, with the
virtual microphone's, into the one file ALSA_CONFIG_PATH names.
"""

from __future__ import annotations

import bisect
import errno
import fcntl
import os
import stat
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import alsaaudio
import numpy as np

PCM_NAME = "booth_sim_speaker"
_F_SETPIPE_SZ = 1031


def asoundrc_text(outfile: Path | str, pcm_name: str = PCM_NAME) -> str:
    """ALSA configuration defining `pcm_name` as a playback device writing raw S16 to outfile."""
    return (
        f"# Written by booth's simulator: a virtual speaker captured in {outfile}\n"
        f"pcm.{pcm_name} {{\n"
        f"    type file\n"
        f'    slave.pcm "null"\n'
        f'    file "{outfile}"\n'
        f'    format "raw"\n'
        f"}}\n"
    )


class VirtualSpeaker:
    """The simulator's side of the virtual speaker.

    directory: where the capture, the FIFO and the ALSA configuration file go.
    rate, channels: the format the player opens the speaker with (to read the capture back).
    paced: drain at the sample rate (real time) instead of taking everything at once.
    clock_ns: the virtual clock (ns) the speaker plays on when not paced: it then keeps the
    time of every sample it plays (`played`), for the room and for tests that listen.
    """

    def __init__(
        self,
        directory: Path | str,
        rate: int = 48_000,
        channels: int = 2,
        paced: bool = False,
        pcm_name: str = PCM_NAME,
        clock_ns: Callable[[], int] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.rate, self.channels, self.paced, self.pcm_name = rate, channels, paced, pcm_name
        self.capture_path = self.directory / "speaker.raw"
        self.departures: list[tuple[float, int]] = []  # (monotonic s, bytes drained so far)
        self.opened_as_card = False
        self._clock_ns = clock_ns
        self.played: VirtualTimePCM | None = None  # in virtual time, once the speaker is open
        self._fd = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        target = self.capture_path
        if paced:
            target = self.directory / "speaker.fifo"
            if target.exists() and not stat.S_ISFIFO(target.stat().st_mode):
                target.unlink()
            if not target.exists():
                os.mkfifo(target)
            # Opened read-write, so ALSA's own (write-only, blocking) open returns at once.
            self._fd = os.open(target, os.O_RDWR | os.O_NONBLOCK)
            try:
                fcntl.fcntl(self._fd, _F_SETPIPE_SZ, os.sysconf("SC_PAGE_SIZE"))
            except OSError:
                pass  # the default 64 KiB also paces, only with more delay
            self._pipe_bytes = fcntl.fcntl(self._fd, _F_SETPIPE_SZ + 1)  # F_GETPIPE_SZ
            self.capture_path.write_bytes(b"")
            self._thread = threading.Thread(target=self._drain, name="sim-speaker", daemon=True)
            self._thread.start()
        self.asoundrc = asoundrc_text(target, pcm_name)
        """The ALSA configuration of this speaker (booth.sim.alsa_config installs it)."""

    @property
    def device(self) -> str:
        """The ALSA PCM name the player's Speaker opens."""
        return self.pcm_name

    def latency_s(self, buffer_frames: int) -> float:
        """The delay ALSA cannot report, for the Speaker's `latency_s`.

        Opened through `open_pcm`, none: `CardPCM` reports what is written and not yet played
        on the card's clock, which drains the FIFO at the same rate. Opened directly, the
        null slave reports its buffer empty at once, but the file plugin holds up to a buffer
        of sound (`buffer_frames`, the Speaker's) and the FIFO one more page (paced only).
        """
        if not self.paced or self.opened_as_card:
            return 0.0
        return (self._pipe_bytes / (2 * self.channels) + buffer_frames) / self.rate

    def sound_at(self, times_ns: np.ndarray) -> np.ndarray:
        """What the speaker sounded at each of `times_ns` on the virtual clock (silence while
        it is not open on that clock): what booth.sim.room carries to the microphone."""
        if self.played is None:
            return np.zeros(len(times_ns))
        return self.played.sound_at(times_ns)

    def open_pcm(self, **kwargs: Any) -> Any:
        """`alsaaudio.PCM(**kwargs)` on this speaker as a sound card would run it: through
        `CardPCM` when paced (real time), `VirtualTimePCM` on the virtual clock."""
        pcm = alsaaudio.PCM(**kwargs)
        if not self.paced:
            if self._clock_ns is None:
                return pcm
            self.played = VirtualTimePCM(pcm, self.rate, self.channels, self._clock_ns)
            return self.played
        self.opened_as_card = True
        return CardPCM(pcm, int(kwargs.get("rate", self.rate)), int(kwargs.get("channels", 1)))

    def _drain(self) -> None:
        frame_bytes = 2 * self.channels
        start = time.monotonic()
        drained = 0
        with self.capture_path.open("ab") as capture:
            while not self._stop.is_set():
                due = int((time.monotonic() - start) * self.rate) * frame_bytes - drained
                if due > 0:
                    try:
                        data = os.read(self._fd, due)
                    except BlockingIOError:
                        data = b""
                    if data:
                        drained += len(data)
                        capture.write(data)
                        self.departures.append((time.monotonic(), drained))
                    else:
                        # Nothing is playing: the card's clock runs on, but no debt builds up.
                        start = time.monotonic() - drained / frame_bytes / self.rate
                self._stop.wait(0.002)

    def heard_at(self, sample: int) -> float | None:
        """When (monotonic s) sample `sample` of the capture left the speaker (paced only)."""
        byte = (sample + 1) * 2 * self.channels
        for t, drained in self.departures:
            if drained >= byte:
                return t
        return None

    def captured(self) -> np.ndarray:
        """Everything played so far, (n, channels) int16."""
        data = self.capture_path.read_bytes()
        usable = len(data) - len(data) % (2 * self.channels)
        return np.frombuffer(data[:usable], "<i2").reshape(-1, self.channels)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class CardPCM:
    """A playback PCM as a sound card's driver and pyalsaaudio 0.11 run it.

    pcm: the real pyalsaaudio PCM that the sound goes to. rate, channels: its format.
    clock: the card's clock, in seconds (CLOCK_MONOTONIC, as a card's would be).

    The card starts on the first write (ALSA's default start threshold) and plays at `rate`.
    When it has played all that was written it stops in XRUN (default stop threshold: the
    buffer size). In XRUN `avail()` returns -EPIPE, and `write()` re-prepares the stream and
    returns -EPIPE without writing, exactly as pyalsaaudio's `alsapcm_write` does. Writes
    block while the buffer is full, as on a card; one that runs out half way (a writer too
    slow) returns the frames it wrote. `underruns` counts the XRUNs.
    """

    def __init__(
        self,
        pcm: Any,
        rate: int,
        channels: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pcm = pcm
        self.rate = rate
        self._frame_bytes = 2 * channels
        info = pcm.info()
        self.buffer_frames = int(info["buffer_size"])
        self.period_frames = int(info["period_size"])
        self._clock = clock
        self._running = False
        self._xrun = False
        self._paused_at: float | None = None
        self._appl = 0  # frames written
        self._hw = 0  # frames played
        self._start_hw = 0
        self._start_t = 0.0
        self.underruns = 0

    def _update(self) -> None:
        if not self._running or self._paused_at is not None:
            return
        played = self._start_hw + int((self._clock() - self._start_t) * self.rate)
        if played >= self._appl:
            self._hw = self._appl
            self._running, self._xrun = False, True
            self.underruns += 1
        else:
            self._hw = played

    def avail(self) -> int:
        self._update()
        if self._xrun:
            return -errno.EPIPE
        return self.buffer_frames - (self._appl - self._hw)

    def write(self, data: bytes) -> int:
        self._update()
        if self._xrun:
            self._xrun = False  # pyalsaaudio: snd_pcm_prepare(), then report the underrun
            return -errno.EPIPE
        view = memoryview(data).cast("B")
        frames = len(view) // self._frame_bytes
        done = 0
        while done < frames:
            room = self.avail()
            if room < 0:
                return done  # ran out in the middle: alsa-lib returns what it wrote
            if room == 0:
                time.sleep(self.period_frames / self.rate / 4)
                continue
            part = min(room, frames - done)
            self._pcm.write(view[done * self._frame_bytes : (done + part) * self._frame_bytes])
            self._appl += part
            done += part
            if not self._running:
                self._running = True
                self._start_hw, self._start_t = self._hw, self._clock()
        return frames

    def pause(self, enable: int = 1) -> int:
        if enable and self._paused_at is None:
            self._update()
            self._paused_at = self._clock()
        elif not enable and self._paused_at is not None:
            self._start_t += self._clock() - self._paused_at
            self._paused_at = None
        return 0

    def info(self) -> dict[str, Any]:
        return dict(self._pcm.info(), can_pause=True)

    def drop(self) -> None:
        self._appl = self._hw
        self._running = self._xrun = False

    def close(self) -> None:
        self._pcm.close()


class VirtualTimePCM:
    """A playback PCM as a sound card on the simulator's virtual clock would play it.

    pcm: the real pyalsaaudio PCM (the `file` plugin) that the sound goes to. rate, channels:
    its format. clock_ns: the virtual clock. keep_s: how much of the played sound is kept for
    `sound_at` (the microphone asks for the last frame's at most).

    A write starts playing when it is made, or when what was written before has played, and
    plays at `rate`: the virtual-time counterpart of `CardPCM`. In virtual time nothing may
    block, so a write longer than the buffer is taken at once (the player writes a frame's
    sound at a time; a cue is written whole), and `avail` reports what a card would have.
    """

    def __init__(
        self,
        pcm: Any,
        rate: int,
        channels: int,
        clock_ns: Callable[[], int],
        keep_s: float = 10.0,
    ) -> None:
        self._pcm = pcm
        self.rate, self.channels = rate, channels
        self._clock_ns = clock_ns
        self.buffer_frames = int(pcm.info()["buffer_size"])
        self.keep_ns = int(keep_s * 1e9)
        self.frames = 0  # frames written (the capture's length, once alsa-lib has written it)
        self.end_ns = -(2**62)  # when what was written has played
        # (start ns, first frame) of every write, for `heard_at_ns`; the sound of recent ones.
        self.writes: list[tuple[int, int]] = []
        self._firsts: list[int] = []
        self._recent: deque[tuple[int, np.ndarray]] = deque()

    def _ns(self, frames: float) -> int:
        return round(frames * 1e9 / self.rate)

    def write(self, data: bytes) -> int:
        view = memoryview(data).cast("B")
        written = int(self._pcm.write(data))
        if written <= 0:
            return written
        now = self._clock_ns()
        start = max(now, self.end_ns)
        block = np.frombuffer(bytes(view[: written * 2 * self.channels]), "<i2")
        mono = block.reshape(-1, self.channels).mean(axis=1) / 32768.0
        self.writes.append((start, self.frames))
        self._firsts.append(self.frames)
        self._recent.append((start, mono))
        while self._recent and self._recent[0][0] + self.keep_ns < now:
            self._recent.popleft()
        self.frames += written
        self.end_ns = start + self._ns(written)
        return written

    def avail(self) -> int:
        queued = max(0, round((self.end_ns - self._clock_ns()) * self.rate / 1e9))
        return max(0, self.buffer_frames - queued)

    def heard_at_ns(self, frame: int) -> int | None:
        """When captured frame `frame` left the speaker (virtual ns), None if not played."""
        if not self.writes or frame >= self.frames or frame < 0:
            return None
        i = bisect.bisect_right(self._firsts, frame) - 1
        start, first = self.writes[i]
        return start + self._ns(frame - first)

    def sound_at(self, times_ns: np.ndarray) -> np.ndarray:
        """What the speaker sounded at each of `times_ns` (mono, full scale ±1; 0 when silent)."""
        out = np.zeros(len(times_ns))
        if not len(times_ns):
            return out
        first, last = float(times_ns.min()), float(times_ns.max())
        for start, mono in list(self._recent):
            if start > last or start + self._ns(len(mono)) < first:
                continue  # the microphone asks every period: most sounds are long over
            k = np.rint((times_ns - start) * self.rate / 1e9).astype(np.int64)
            inside = (k >= 0) & (k < len(mono))
            if inside.any():
                out[inside] += mono[k[inside]]
        return out

    def info(self) -> dict[str, Any]:
        return dict(self._pcm.info())

    def pause(self, enable: int = 1) -> int:
        return 0  # virtual time: the player holds its own position while paused

    def close(self) -> None:
        self._pcm.close()
