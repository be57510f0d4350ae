"""The booth's sound cues: short, quiet tones made with numpy when the kiosk starts.

Each cue is a pure tone (or two) of one known frequency, with soft edges so the speaker does not
click. Knowing the frequency and the moment is what lets the recorder take the time warning,
the one cue that sounds during an answer, back out of the take with a narrow band-stop
(`booth.media.tones`); the other cues sound before the take starts or after it has stopped
(`booth.session.cues`).

`CuePlayer` plays them through the speaker the clips use (`booth.media.player.AudioSink`): on
its own thread in real time, so a frame never waits for the speaker; at once in virtual time,
where the simulator's speaker takes everything and keeps the time (`booth.sim.virtual_speaker`).
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass

import numpy as np

from booth.media.player import AudioSink

log = logging.getLogger("booth.cues")

GUARD_S = 0.3
"""Sound of a cue may still reach the microphone this long after its tone ends: the speaker
path's delay (an idle ALSA card starts at its first period, a USB speaker adds milliseconds,
a TV over HDMI up to about 100 ms) and the echo of a small, padded booth (reverberation time
about 0.2–0.3 s). The "recording" cue ends at least this long before the take starts, and
the band-stop over the warning lasts this long after its tone."""

EDGE_S = 0.01
"""Rise and fall of a beep (raised cosine): no click, and the tone's energy stays in a narrow
band."""


@dataclass(frozen=True)
class Tone:
    """One beep: `hz` for `seconds`, starting `at_s` into the cue."""

    hz: float
    seconds: float
    at_s: float = 0.0
    edge_s: float = EDGE_S


CUES: dict[str, tuple[Tone, ...]] = {
    # One beep per number of the 3-2-1, as the number appears (A5).
    "countdown": (Tone(880.0, 0.12),),
    # Higher (E6) and short: "now". It sounds before the take starts (session.cues).
    "recording": (Tone(1318.5, 0.12),),
    # A single pure tone (A6) with long soft edges: its energy stays within a few hertz of
    # 1760 Hz, so the band-stop that removes it from the answer can be narrow.
    "warning": (Tone(1760.0, 0.25, edge_s=0.06),),
    # Falling E6 → A5: "done". It sounds after the take's last sample.
    "stop": (Tone(1318.5, 0.1), Tone(880.0, 0.12, at_s=0.13)),
}


def cue_seconds(name: str) -> float:
    """How long cue `name` sounds."""
    return max(t.at_s + t.seconds for t in CUES[name])


def synthesise(name: str, rate: int, channels: int, volume: float) -> np.ndarray:
    """Cue `name` as (n, channels) int16 samples at `rate`; `volume` is the peak as a fraction
    of the speaker's full scale (0–1)."""
    out = np.zeros(round(cue_seconds(name) * rate), np.float64)
    for tone in CUES[name]:
        n = round(tone.seconds * rate)
        t = np.arange(n) / rate
        wave = np.sin(2 * np.pi * tone.hz * t)
        edge = min(round(tone.edge_s * rate), n // 2)
        if edge:
            ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(edge) / edge)
            wave[:edge] *= ramp
            wave[n - edge :] *= ramp[::-1]
        first = round(tone.at_s * rate)
        out[first : first + n] += wave
    mono = np.rint(np.clip(out * volume, -1.0, 1.0) * 32767).astype(np.int16)
    return np.repeat(mono[:, None], channels, axis=1)


@dataclass(frozen=True)
class CueSound:
    """A cue as it went to the speaker: its name, its tone frequencies and its length."""

    name: str
    hz: tuple[float, ...]
    seconds: float


class CuePlayer:
    """Plays the cues through `speaker` at `volume` (fraction of full scale, 0–1).

    realtime: True on a booth and in the windowed demo: a thread feeds the speaker, whose
    writes block while its buffer is full. False in virtual time: the cue is written at once.
    """

    def __init__(self, speaker: AudioSink, volume: float, realtime: bool) -> None:
        self.speaker = speaker
        self.realtime = realtime
        self.sounds = {
            name: synthesise(name, speaker.rate, speaker.channels, volume) for name in CUES
        }
        self._queue: queue.SimpleQueue[np.ndarray | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        if realtime:
            self._thread = threading.Thread(target=self._feed, name="cues", daemon=True)
            self._thread.start()

    def play(self, name: str) -> CueSound:
        """Start cue `name` now; returns what it sounds like."""
        samples = self.sounds[name]
        if self.realtime:
            self._queue.put(samples)
        else:
            self._write(samples)
        return CueSound(name, tuple(t.hz for t in CUES[name]), cue_seconds(name))

    def _write(self, samples: np.ndarray) -> None:
        self.speaker.play(samples)
        self.speaker.flush()

    def _feed(self) -> None:
        while (samples := self._queue.get()) is not None:
            try:
                self._write(samples)
            except Exception:
                # A speaker that fails loses a cue, never the kiosk: the health check reports it.
                log.exception("cues: the speaker failed")

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=2)
