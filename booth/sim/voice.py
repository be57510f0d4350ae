"""A speech-like signal for the simulated microphone.

Not words, but what a level meter, an encoder and a listener notice about speech: phrases of
1–3.5 s separated by pauses, syllables at about 4 per second (amplitude modulation), a voiced
pitch around 120–180 Hz with slow intonation, and harmonics coloured by three formants that
change from syllable to syllable like vowels. While talking it sits around -20 dBFS RMS, over a
faint room noise near -65 dBFS.

Every sample depends only on its index and the seed, so the signal is the same however it is
cut into chunks.
"""

from __future__ import annotations

import math

import numpy as np

SYLLABLES_PER_S = 4.2
HARMONICS = 12
ROOM_NOISE_DBFS = -65.0
_VOWELS = (  # F1, F2, F3 in Hz, roughly a, e, i, o, u, ä, ö
    (750, 1250, 2600),
    (450, 2000, 2650),
    (300, 2300, 3000),
    (450, 850, 2600),
    (320, 750, 2400),
    (650, 1700, 2500),
    (420, 1500, 2400),
)
_NOISE_LEN = 1 << 16


class Voice:
    """Deterministic speech-like audio.

    rate: samples per second.
    seed: picks pitch, phrase pattern and vowels.
    level_dbfs: RMS while talking, in dBFS (a full-scale square wave is 0 dBFS).
    """

    def __init__(self, rate: int = 48_000, seed: int = 0, level_dbfs: float = -20.0) -> None:
        self.rate = rate
        self.seed = seed
        rng = np.random.default_rng([seed, 1])
        self.pitch_hz = float(rng.uniform(120, 180))
        # Syllable envelope sin² has RMS sqrt(3/8); average syllable strength is 0.8.
        self._scale = 10 ** (level_dbfs / 20) / (math.sqrt(3 / 8) * 0.82)
        self._noise = rng.standard_normal(_NOISE_LEN) * 10 ** (ROOM_NOISE_DBFS / 20)
        self._phrase_rng = np.random.default_rng([seed, 2])
        first = round(0.4 * rate)
        self._starts = [first]  # phrase start samples
        self._ends = [first + self._phrase_len()]

    def _phrase_len(self) -> int:
        return round(self._phrase_rng.uniform(1.0, 3.5) * self.rate)

    def _extend(self, until: int) -> None:
        while self._ends[-1] < until:
            gap = round(self._phrase_rng.uniform(0.35, 1.1) * self.rate)
            start = self._ends[-1] + gap
            self._starts.append(start)
            self._ends.append(start + self._phrase_len())

    def talking(self, index: int) -> bool:
        """True when sample `index` lies inside a phrase."""
        self._extend(index + 1)
        i = np.searchsorted(self._starts, index, side="right") - 1
        return bool(i >= 0 and index < self._ends[i])

    def samples(self, start: int, n: int) -> np.ndarray:
        """Samples start .. start+n-1 as float64, full scale ±1."""
        self._extend(start + n)
        idx = np.arange(start, start + n, dtype=np.int64)
        out = self._noise[(idx * 7919 + self.seed) % _NOISE_LEN].copy()
        starts = np.asarray(self._starts)
        phrase = np.searchsorted(starts, idx, side="right") - 1
        ends = np.asarray(self._ends)
        inside = (phrase >= 0) & (idx < ends[np.maximum(phrase, 0)])
        if not inside.any():
            return out
        t = idx / self.rate
        into = (idx - starts[np.maximum(phrase, 0)]) / self.rate * SYLLABLES_PER_S
        syllable = np.floor(into).astype(np.int64)
        envelope = np.sin(np.pi * (into - syllable)) ** 2
        # Intonation: ±8 % pitch at 0.35 Hz; the phase is its exact integral, so it is
        # continuous across chunk boundaries.
        f_mod, depth = 0.35, 0.08
        phase = (
            2
            * np.pi
            * self.pitch_hz
            * (t - depth / (2 * np.pi * f_mod) * np.cos(2 * np.pi * f_mod * t))
        )
        voiced = np.zeros(n)
        for key in set(zip(phrase[inside].tolist(), syllable[inside].tolist(), strict=True)):
            sel = inside & (phrase == key[0]) & (syllable == key[1])
            strength, weights = self._syllable(*key)
            tone = np.zeros(int(sel.sum()))
            for h, w in enumerate(weights, start=1):
                tone += w * np.sin(h * phase[sel])
            voiced[sel] = strength * tone
        out += self._scale * envelope * voiced * inside
        return np.clip(out, -1.0, 1.0)

    def _syllable(self, phrase: int, syllable: int) -> tuple[float, np.ndarray]:
        rng = np.random.default_rng([self.seed, 3, phrase, syllable])
        strength = float(rng.uniform(0.6, 1.0))
        formants = _VOWELS[int(rng.integers(len(_VOWELS)))]
        freqs = self.pitch_hz * np.arange(1, HARMONICS + 1)
        weights = sum(
            np.exp(-(((freqs - f) / (80 + 0.1 * f)) ** 2)) * (1.0 / (k + 1))
            for k, f in enumerate(formants)
        )
        weights = weights + 0.05  # some energy between formants, as a glottal source has
        weights *= math.sqrt(2 / float(np.sum(weights**2)))  # carrier RMS = 1
        return strength, weights
