"""The booth's loudspeaker: ALSA playback through pyalsaaudio, for the recruiter's clips.

On a sound card, blocking writes pace playback, and what has been played is what was written
minus what is still in ALSA's buffer: the clip player's master clock.

A card that has played everything it was given stops in XRUN (an underrun): between two clips,
and after each beep of `booth doctor --record`. pyalsaaudio 0.11 does not raise then:
`avail()` returns a negative errno (-EPIPE), and `write()` re-prepares the stream and returns
-EPIPE *without writing*. `write_frames` and `Speaker.delay_frames` handle both.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import alsaaudio
import numpy as np

from booth.devices.ports.speaker import SpeakerError

log = logging.getLogger("booth.speaker")


WRITE_TRIES = 3
"""An underrun re-prepares the stream, so the next write goes through: a few tries are plenty."""


def write_frames(pcm: Any, data: bytes, frame_bytes: int) -> int:
    """Write `data` (whole frames) to a pyalsaaudio playback PCM, through underruns.

    pyalsaaudio 0.11 answers a write to a stream in XRUN with -EPIPE, having re-prepared it and
    written nothing; the same data is written again. A short write goes on with the rest.
    Returns the underruns met (0 on a stream that was running)."""
    view = memoryview(data).cast("B")
    underruns = refused = 0
    while len(view):
        written = int(pcm.write(view))
        if written > 0:
            view = view[written * frame_bytes :]
            refused = 0
            continue
        # -EPIPE: an underrun, the stream is prepared again; 0: -EAGAIN (non-blocking only).
        underruns += written == -errno.EPIPE
        refused += 1
        if refused >= WRITE_TRIES:
            log.warning("speaker: write refused %d times (%d); %d bytes dropped",
                        refused, written, len(view))  # fmt: skip
            break
    return underruns


class Speaker:
    """The booth's loudspeaker: an ALSA playback device fed 16-bit samples by pyalsaaudio.

    device: ALSA PCM name (see `booth.devices.sound_cards.speaker_pcm`). rate: samples per
    second per channel. channels: 2 for stereo. period_frames × periods: ALSA's buffer, the
    sound that is queued ahead of the speaker (1024 × 4 at 48 kHz = 85 ms).
    open_pcm: opens the PCM; pyalsaaudio's `alsaaudio.PCM` (the simulator passes its card's).
    """

    def __init__(
        self,
        device: str = "default",
        rate: int = 48_000,
        channels: int = 2,
        period_frames: int = 1024,
        periods: int = 4,
        open_pcm: Callable[..., Any] = alsaaudio.PCM,
    ) -> None:
        self.device, self.rate, self.channels = device, rate, channels
        self.latency_s = 0.0
        """Sound the device holds beyond what ALSA reports (a TV's own audio delay; the
        simulator's FIFO, set once the buffer's size is known): 0 unless measured."""
        self.underruns = 0
        try:
            self._pcm = open_pcm(
                type=alsaaudio.PCM_PLAYBACK,
                device=device,
                rate=rate,
                channels=channels,
                format=alsaaudio.PCM_FORMAT_S16_LE,
                periodsize=period_frames,
                periods=periods,
            )
        except alsaaudio.ALSAAudioError as err:
            raise SpeakerError(
                f"cannot open speaker {device!r}: {err} "
                "(check the [devices] speaker_device setting and `aplay -L`)"
            ) from err
        info = self._pcm.info()
        self.period_frames = int(info.get("period_size", period_frames))
        self.buffer_frames = int(info.get("buffer_size", period_frames * periods))
        self.can_pause = bool(info.get("can_pause", False))
        self._pending = np.zeros((0, channels), np.int16)
        # The clip player's feeder and the cue player's thread both play: one write at a time.
        self._lock = threading.RLock()

    def play(self, samples: np.ndarray) -> None:
        """Queue (n, channels) int16 samples; whole periods go to ALSA (blocking while its
        buffer is full, which is what paces playback on a sound card), the rest waits."""
        with self._lock:
            pending = np.concatenate([self._pending, samples]) if len(self._pending) else samples
            whole = len(pending) - len(pending) % self.period_frames
            if whole:
                self._write(np.ascontiguousarray(pending[:whole]).tobytes())
            self._pending = pending[whole:]

    def flush(self) -> None:
        """Send the last partial period, padded with silence."""
        with self._lock:
            if len(self._pending):
                pad = np.zeros((self.period_frames - len(self._pending), self.channels), np.int16)
                self._write(np.concatenate([self._pending, pad]).tobytes())
                self._pending = self._pending[:0]

    def unplayed_frames(self) -> int:
        """Frames given to `play` that the speaker has not played yet."""
        return len(self._pending) + self.delay_frames() + round(self.latency_s * self.rate)

    def delay_frames(self) -> int:
        """Frames written and not yet played (0 when the buffer has run empty)."""
        try:
            avail = int(self._pcm.avail())
        except alsaaudio.ALSAAudioError:
            return 0
        if avail < 0:
            # -EPIPE: the card played everything and stopped (underrun); any other errno
            # (-ESTRPIPE, -ENODEV) means nothing more will be played either.
            return 0
        return max(0, self.buffer_frames - avail)

    def _write(self, data: bytes) -> None:
        self.underruns += write_frames(self._pcm, data, 2 * self.channels)

    def pause(self, paused: bool) -> None:
        """Hold (or go on with) what is in ALSA's buffer, where the device can."""
        if self.can_pause:
            try:
                self._pcm.pause(1 if paused else 0)
            except alsaaudio.ALSAAudioError as err:
                log.warning("speaker %s cannot pause: %s", self.device, err)

    def close(self) -> None:
        self.flush()
        self._pcm.close()


RETRY_S = 60.0
"""How often a speaker that could not be opened is tried again: a TV switched on later (HDMI
audio needs a screen that is on) brings the sound back within a minute."""


class ReopeningSpeaker:
    """The booth's speaker, opened when it can be, tried again every `retry_s` until it is.

    choose: returns the ALSA device to open now, and why there is none (None, reason) when there
    is none; it is asked again at every try, so a screen switched on later is found
    (`booth.devices.choice`). open_speaker: opens a device (`Speaker`). While there is no
    speaker, sound given to `play` is dropped at the pace it would have played, and `fault` says
    why, for the kiosk's health check (out of order only for interviews that need sound).
    """

    def __init__(
        self,
        choose: Callable[[], tuple[str | None, str | None]],
        open_speaker: Callable[[str], Any] = Speaker,
        retry_s: float = RETRY_S,
        clock: Callable[[], float] = time.monotonic,
        rate: int = 48_000,
        channels: int = 2,
    ) -> None:
        self._choose, self._open, self.retry_s, self._clock = choose, open_speaker, retry_s, clock
        self.rate, self.channels = rate, channels
        self.period_frames, self.buffer_frames, self.latency_s = 1024, 4096, 0.0
        self.device: Any = None
        self.fault: str | None = None
        self._next_try = float("-inf")
        self.poll()

    def poll(self) -> None:
        """Try to open the speaker, if there is none and the last try is `retry_s` old."""
        if self.device is not None or self._clock() < self._next_try:
            return
        self._next_try = self._clock() + self.retry_s
        name, why_none = self._choose()
        if name is None:
            self.fault = f"speaker: {why_none}"
            return
        try:
            device = self._open(name)
        except SpeakerError as err:
            self.fault = f"speaker: {err}"
            log.warning("%s; trying again in %g s", self.fault, self.retry_s)
            return
        self.device, self.fault = device, None
        self.period_frames, self.buffer_frames = device.period_frames, device.buffer_frames
        self.latency_s = device.latency_s
        log.info("speaker: %s opened", name)

    def play(self, samples: np.ndarray) -> None:
        if self.device is not None:
            self.device.play(samples)
        else:
            time.sleep(len(samples) / self.rate)  # what the missing speaker would have paced

    def flush(self) -> None:
        if self.device is not None:
            self.device.flush()

    def unplayed_frames(self) -> int:
        return self.device.unplayed_frames() if self.device is not None else 0

    def delay_frames(self) -> int:
        return self.device.delay_frames() if self.device is not None else 0

    def pause(self, paused: bool) -> None:
        if self.device is not None:
            self.device.pause(paused)

    def close(self) -> None:
        if self.device is not None:
            self.device.close()
            self.device = None
