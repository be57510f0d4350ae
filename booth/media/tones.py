"""Taking a cue's tone back out of a take: a narrow band-stop over the cue's known window.

The time warning sounds while the candidate answers, and the microphone hears the speaker. Its
tone is one known frequency (`booth.media.cues`) at a known moment, so the take's audio over
that window (and a fade of `FADE_S` either side, so the edit is never heard as a click) loses
only a band `STOP_HZ` either side of the tone, with a soft shoulder to `SHOULDER_HZ`, and
nothing outside it: the candidate's voice there, from its pitch to its sibilants, stays as it
was spoken. The window runs from the moment the cue was started to `GUARD_S` after its tone
ended (the speaker's delay, the room's echo).

Done in the frequency domain over the window plus `PAD_S` of sound either side (the padding
absorbs the wrap-around of the transform), and zero-phase, so the voice is not shifted in time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STOP_HZ = 25.0
"""Removed completely: the tone's spectrum (a 250 ms tone with 60 ms soft edges) falls more
than 40 dB below its peak within this distance of its frequency."""
SHOULDER_HZ = 50.0
"""From STOP_HZ to here the gain rises smoothly back to 1, so the stop does not ring."""
FADE_S = 0.02
PAD_S = 0.1


@dataclass(frozen=True)
class ToneWindow:
    """A cue's tone of `hz` that may be in the take's audio between `start_ns` and `end_ns`
    (CLOCK_MONOTONIC, the take's timeline)."""

    hz: float
    start_ns: int
    end_ns: int


def band_gain(freqs: np.ndarray, hz: float) -> np.ndarray:
    """The band-stop's gain at `freqs`: 0 within STOP_HZ of `hz`, 1 beyond SHOULDER_HZ."""
    d = np.abs(freqs - hz)
    rise = np.clip((d - STOP_HZ) / (SHOULDER_HZ - STOP_HZ), 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * rise)


def remove_tone(segment: np.ndarray, rate: int, hz: float, first: int, last: int) -> np.ndarray:
    """`segment` (n, channels) int16 with the band around `hz` removed from sample `first` to
    `last`, fading in over the FADE_S before and out over the FADE_S after; untouched
    elsewhere."""
    x = segment.astype(np.float64)
    spectrum = np.fft.rfft(x, axis=0)
    spectrum *= band_gain(np.fft.rfftfreq(len(x), 1 / rate), hz)[:, None]
    stopped = np.fft.irfft(spectrum, n=len(x), axis=0)
    first, last = max(0, first), min(len(x), last)
    if last <= first:
        return segment
    weight = np.zeros(len(x))
    weight[first:last] = 1.0
    # The fades lie outside the window, so the band is gone over all of it.
    fade = round(FADE_S * rate)
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(fade) + 0.5) / fade)
    lead = ramp[max(0, fade - first) :]
    weight[first - len(lead) : first] = lead
    tail = ramp[::-1][: len(x) - last]
    weight[last : last + len(tail)] = tail
    out = x + weight[:, None] * (stopped - x)
    return np.rint(np.clip(out, -32768, 32767)).astype(np.int16)
