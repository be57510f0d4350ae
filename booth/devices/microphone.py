"""The USB microphone, captured with pyalsaaudio (ALSA), not through picamera2 or PulseAudio.

Each `read()` returns one ALSA period of 16-bit samples with the CLOCK_MONOTONIC time of its
first sample, the clock that picamera2's SensorTimestamp uses, so audio and video of a take
can be lined up afterwards. That time comes from what the device reports after each read
(`CaptureStamps`): ALSA's `htimestamp()` on a booth, the virtual device's report in
simulation. The booth corrects for what is reported: the frames that were still waiting, and
the delay a device reports for sound it has captured but not yet delivered. A latency that
nothing reports (inside a USB microphone's own converter) is not seen here: `booth doctor
--record` measures it as the audio/video offset.

Overruns (the kiosk read too late and ALSA's ring buffer overflowed) lose audio but are not a
reason to stop a take: pyalsaaudio 0.11 reports them by returning a length of -EPIPE and an
empty buffer (and re-prepares the stream itself). They are counted and logged, never raised.
"""

from __future__ import annotations

import errno
import logging
import time

import alsaaudio
import numpy as np

from booth.devices.ports.microphone import (
    AudioChunk,
    CaptureStamp,
    CaptureStamps,
    MicrophoneError,
)

log = logging.getLogger(__name__)

DEFAULT_RATE = 48_000
DEFAULT_PERIOD_FRAMES = 1600
"""One period per 1/30 s at 48 kHz: a read per video frame, short enough for a lively meter."""


class AlsaStamps:
    """ALSA's report through pyalsaaudio: `htimestamp()` gives the time of the last pointer
    update and the frames then available (pyalsaaudio 0.11 has no snd_pcm_delay, so a
    driver's own delay is not seen). `latency_frames`: the delay nothing reports, measured by
    `booth doctor --record` and set as `[devices] mic_latency_ms`."""

    def __init__(self, pcm: alsaaudio.PCM, latency_frames: int = 0) -> None:
        self._pcm = pcm
        self.latency_frames = latency_frames

    def after_read(self) -> CaptureStamp | None:
        try:
            sec, nsec, avail = self._pcm.htimestamp()
        except alsaaudio.ALSAAudioError:
            return None
        stamp = sec * 1_000_000_000 + nsec
        return CaptureStamp(stamp, avail + self.latency_frames) if stamp > 0 else None


class AlsaMicrophone:
    """The `Microphone` port on an ALSA device: a capture PCM, read one period at a time.

    device: ALSA PCM name, e.g. "plughw:CARD=Device,DEV=0" (see `find_card`) or "default".
    rate: samples per second; channels: 1 for mono; period_frames: samples per read.
    stamps: where the chunks' times come from; None = ALSA's htimestamp (a real sound card).
    latency_ms: with ALSA's htimestamp, the sound's delay that ALSA does not report (the
    `[devices] mic_latency_ms` setting).
    """

    def __init__(
        self,
        device: str,
        rate: int = DEFAULT_RATE,
        channels: int = 1,
        period_frames: int = DEFAULT_PERIOD_FRAMES,
        stamps: CaptureStamps | None = None,
        latency_ms: float = 0.0,
    ) -> None:
        self.device = device
        self.rate = rate
        self.channels = channels
        self.period_frames = period_frames
        self.overruns = 0
        self.frames_read = 0
        try:
            self._pcm = alsaaudio.PCM(
                type=alsaaudio.PCM_CAPTURE,
                mode=alsaaudio.PCM_NORMAL,
                device=device,
                rate=rate,
                channels=channels,
                format=alsaaudio.PCM_FORMAT_S16_LE,
                periodsize=period_frames,
            )
        except alsaaudio.ALSAAudioError as e:
            raise MicrophoneError(
                f"cannot open microphone {device!r}: {e} "
                "(check the [devices] mic setting and `arecord -L`)"
            ) from e
        # The hardware may round the period; reads return what it chose.
        self.period_frames = int(self._pcm.info().get("period_size", period_frames))
        self._enable_monotonic_timestamps()
        if stamps is None:
            stamps = AlsaStamps(self._pcm, round(latency_ms * rate / 1000))
        self.stamps: CaptureStamps = stamps

    def _enable_monotonic_timestamps(self) -> None:
        try:
            self._pcm.set_tstamp_mode(alsaaudio.PCM_TSTAMP_ENABLE)
            self._pcm.set_tstamp_type(alsaaudio.PCM_TSTAMP_TYPE_MONOTONIC)
        except (alsaaudio.ALSAAudioError, RuntimeError) as e:
            log.warning("microphone %s: no ALSA timestamps (%s); using read time", self.device, e)

    def read(self) -> AudioChunk | None:
        """Block until one period is captured and return it, stamped with the time of its
        first sample on CLOCK_MONOTONIC; None after an overrun."""
        try:
            length, data = self._pcm.read()
        except alsaaudio.ALSAAudioError as e:
            raise MicrophoneError(f"microphone {self.device!r} stopped delivering: {e}") from e
        return self.take(length, data)

    def take(self, length: int, data: bytes) -> AudioChunk | None:
        """Turn one result of pyalsaaudio's `PCM.read()` into a chunk, counting overruns.

        Separate from `read` so that the overrun path, which no software-only ALSA device can
        provoke, runs in tests with the exact values pyalsaaudio returns.
        """
        if length < 0:
            if length == -errno.EPIPE:
                self.overruns += 1
                log.warning("microphone %s: overrun #%d", self.device, self.overruns)
                return None
            raise MicrophoneError(f"microphone {self.device!r}: read error {length}")
        if length == 0:
            return None
        samples = np.frombuffer(data, dtype="<i2", count=length * self.channels)
        samples = samples.reshape(length, self.channels)
        timestamp_ns = self._first_sample_time(length)
        self.frames_read += length
        return AudioChunk(samples=samples, timestamp_ns=timestamp_ns, rate=self.rate)

    def _first_sample_time(self, frames: int) -> int:
        """CLOCK_MONOTONIC time of the first of the `frames` just read: the device's last
        position update, less the frames it had captured after them by then, less the chunk."""
        report = self.stamps.after_read()
        if report is None:
            report = CaptureStamp(time.clock_gettime_ns(time.CLOCK_MONOTONIC), 0)
        return report.tstamp_ns - (report.delay_frames + frames) * 1_000_000_000 // self.rate

    def close(self) -> None:
        """Close the PCM; stop the thread that reads from it first."""
        self._pcm.close()


def find_card(name: str) -> str:
    """The ALSA capture device for a sound card given by *name*, not number.

    USB card numbers change between boots; names do not. `name` may be a card id ("Device"),
    part of the card's long name ("USB Audio"), an ALSA PCM name as is ("default",
    "booth_sim_mic", "plughw:CARD=Device,DEV=0"). A card becomes "plughw:CARD=<id>,DEV=0"
    (plughw converts rate and channels if the microphone cannot do 48 kHz mono itself).
    Raises MicrophoneError naming the cards that exist.
    """
    pcms = alsaaudio.pcms(alsaaudio.PCM_CAPTURE)
    if name == "default" or name in pcms or ":" in name:
        return name
    # cards() and card_indexes() list the same cards in the same order.
    ids, indexes = alsaaudio.cards(), alsaaudio.card_indexes()
    cards = [(card_id, *alsaaudio.card_name(i)) for card_id, i in zip(ids, indexes, strict=True)]
    card_id = match_card(name, cards)
    if card_id is None:
        known = ", ".join(c[0] for c in cards) or "none"
        raise MicrophoneError(f"no sound card named {name!r} (cards: {known}; see `arecord -l`)")
    return f"plughw:CARD={card_id},DEV=0"


def match_card(name: str, cards: list[tuple[str, str, str]]) -> str | None:
    """Pick a card id from (id, name, long name) triples: exact id first, then names containing
    `name`, ignoring case."""
    wanted = name.casefold()
    for card_id, _, _ in cards:
        if card_id.casefold() == wanted:
            return card_id
    for card_id, short, long in cards:
        if wanted in short.casefold() or wanted in long.casefold():
            return card_id
    return None
