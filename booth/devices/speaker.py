"""The booth's loudspeaker: ALSA playback through pyalsaaudio, for the recruiter's clips.

On a sound card, blocking writes pace playback, and what has been played is what was written
minus what is still in ALSA's buffer: the clip player's master clock.
"""

from __future__ import annotations

import logging

import alsaaudio
import numpy as np

log = logging.getLogger("booth.speaker")


class SpeakerError(Exception):
    """The speaker cannot be opened; the message is meant for staff."""


def speaker_pcm(name: str) -> str:
    """The ALSA playback PCM for the `[devices] speaker_device` setting.

    "" is ALSA's default device; a PCM name ("default", "plughw:CARD=Headphones,DEV=0", the
    simulator's "booth_sim_speaker") is used as is; any other name is a sound card's id, which
    plughw turns into a device that accepts 48 kHz stereo whatever the card does natively.
    """
    if not name:
        return "default"
    if ":" in name or name in alsaaudio.pcms(alsaaudio.PCM_PLAYBACK):
        return name
    return f"plughw:CARD={name},DEV=0"


class Speaker:
    """The booth's loudspeaker: an ALSA playback device fed 16-bit samples by pyalsaaudio.

    device: ALSA PCM name (see `speaker_pcm`). rate: samples per second per channel.
    channels: 2 for stereo. period_frames × periods: ALSA's buffer, the sound that is queued
    ahead of the speaker (1024 × 4 at 48 kHz = 85 ms). latency_s: sound the device holds
    beyond what ALSA reports (a TV's own audio delay; the simulator's FIFO).
    """

    def __init__(
        self,
        device: str = "default",
        rate: int = 48_000,
        channels: int = 2,
        period_frames: int = 1024,
        periods: int = 4,
        latency_s: float = 0.0,
    ) -> None:
        self.device, self.rate, self.channels = device, rate, channels
        self.latency_s = latency_s
        try:
            self._pcm = alsaaudio.PCM(
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

    def play(self, samples: np.ndarray) -> None:
        """Queue (n, channels) int16 samples; whole periods go to ALSA (blocking while its
        buffer is full, which is what paces playback on a sound card), the rest waits."""
        pending = np.concatenate([self._pending, samples]) if len(self._pending) else samples
        whole = len(pending) - len(pending) % self.period_frames
        if whole:
            self._pcm.write(np.ascontiguousarray(pending[:whole]).tobytes())
        self._pending = pending[whole:]

    def flush(self) -> None:
        """Send the last partial period, padded with silence."""
        if len(self._pending):
            pad = np.zeros((self.period_frames - len(self._pending), self.channels), np.int16)
            self._pcm.write(np.concatenate([self._pending, pad]).tobytes())
            self._pending = self._pending[:0]

    def unplayed_frames(self) -> int:
        """Frames given to `play` that the speaker has not played yet."""
        return len(self._pending) + self.delay_frames() + round(self.latency_s * self.rate)

    def delay_frames(self) -> int:
        """Frames written and not yet played (0 when the buffer has run empty)."""
        try:
            return max(0, self.buffer_frames - int(self._pcm.avail()))
        except alsaaudio.ALSAAudioError:
            return 0

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
