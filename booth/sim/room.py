"""The booth's air: what the microphone hears of the speaker.

In a small booth the USB microphone and the speaker are an arm's length apart, so the microphone
hears every clip and every cue. How loud: the clips are set to be heard at conversational level
where the candidate sits, and the microphone is set so that the candidate's own speech there
reads about -20 dBFS. Speech played at -20 dBFS then reaches the microphone at roughly the level
it was played. `gain_db` = -6 takes off what a microphone pointed at the candidate, with the
speaker off its axis, does not pick up; the sound arrives after its flight time
(`distance_m`), followed by a reflection off the booth's padded wall (`reflections`).

A real booth must still measure this (README "Sound cues"): play a cue, record, compare.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SPEED_OF_SOUND_M_S = 343.0


class Room:
    """The path from the speaker to the microphone.

    speaker: what the speaker sounds at given virtual times, full scale ±1
    (`VirtualTimePCM.sound_at`). gain_db: the direct sound at the microphone against the
    speaker's full scale. distance_m: speaker to microphone. reflections: (extra path in
    metres, level in dB against the direct sound) of each echo.
    """

    def __init__(
        self,
        speaker: Callable[[np.ndarray], np.ndarray],
        gain_db: float = -6.0,
        distance_m: float = 0.8,
        reflections: tuple[tuple[float, float], ...] = ((1.5, -10.0),),
    ) -> None:
        self.speaker = speaker
        self.gain = 10 ** (gain_db / 20)
        self.paths = [(distance_m, 1.0)] + [
            (distance_m + extra, 10 ** (db / 20)) for extra, db in reflections
        ]

    def heard(self, times_ns: np.ndarray) -> np.ndarray:
        """What reaches the microphone from the speaker at `times_ns` (full scale ±1)."""
        out = np.zeros(len(times_ns))
        for metres, level in self.paths:
            out += level * self.speaker(times_ns - metres / SPEED_OF_SOUND_M_S * 1e9)
        return self.gain * out
