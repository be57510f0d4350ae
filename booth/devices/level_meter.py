"""The microphone level meter behind the check and recording screens.

Levels are in dBFS relative to 16-bit full scale (32768): a full-scale square wave reads 0 dBFS
RMS, a full-scale sine -3 dBFS RMS and 0 dBFS peak. Pure digital silence reads `FLOOR_DBFS`.
Time is counted in samples, so the meter runs the same on a Pi and in virtual time.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

FULL_SCALE = 32768.0
FLOOR_DBFS = -120.0
SILENCE_FAULT = "microphone delivers only silence"


class LevelMeter:
    """RMS and peak over a sliding window, clipping, and two slower verdicts for the booth.

    rate: samples per second.
    window_s: length of the sliding window for rms/peak/clipping (100 ms follows speech
    syllables without flicker).
    quiet_dbfs: RMS below which a voice counts as too quiet (speech at a normal distance from
    a USB microphone is around -30 to -15 dBFS).
    quiet_after_s: seconds of quiet before `too_quiet` (the check screen then gives advice).
    silence_dbfs: RMS at or below which the signal is no signal at all: a working microphone
    always picks up some room noise (about -70 to -60 dBFS); exact zeros mean a dead input.
    silent_after_s: seconds of that before `silent` (the booth goes out of order).
    """

    def __init__(
        self,
        rate: int,
        window_s: float = 0.1,
        quiet_dbfs: float = -45.0,
        quiet_after_s: float = 4.0,
        silence_dbfs: float = -90.0,
        silent_after_s: float = 5.0,
    ) -> None:
        self.rate = rate
        self.window = max(1, round(window_s * rate))
        self.quiet_dbfs = quiet_dbfs
        self.quiet_after_s = quiet_after_s
        self.silence_dbfs = silence_dbfs
        self.silent_after_s = silent_after_s
        # Per fed block: (samples, sum of squares, peak, clipped).
        self._blocks: deque[tuple[int, float, float, bool]] = deque()
        self._in_window = 0
        self._quiet_samples = 0
        self._silent_samples = 0

    def reset(self) -> None:
        """Forget everything (a new candidate, a new microphone)."""
        self._blocks.clear()
        self._in_window = 0
        self._quiet_samples = 0
        self._silent_samples = 0

    def feed(self, samples: np.ndarray) -> None:
        """Add int16 samples, (n,) or (n, channels); channels are metered together."""
        x = np.asarray(samples)
        if x.size == 0:
            return
        n = x.shape[0]
        wide = x.astype(np.float64)
        sumsq = float(np.dot(wide.ravel(), wide.ravel())) / (x.size / n)
        peak = float(np.max(np.abs(wide)))
        clipped = bool(np.any(x >= 32767) or np.any(x <= -32768))
        self._blocks.append((n, sumsq, peak, clipped))
        self._in_window += n
        while len(self._blocks) > 1 and self._in_window - self._blocks[0][0] >= self.window:
            self._in_window -= self._blocks.popleft()[0]
        rms = self.rms_dbfs
        self._quiet_samples = self._quiet_samples + n if rms < self.quiet_dbfs else 0
        self._silent_samples = self._silent_samples + n if rms <= self.silence_dbfs else 0

    @property
    def rms_dbfs(self) -> float:
        if not self._in_window:
            return FLOOR_DBFS
        mean_square = sum(b[1] for b in self._blocks) / self._in_window
        return _dbfs(math.sqrt(mean_square))

    @property
    def peak_dbfs(self) -> float:
        return _dbfs(max((b[2] for b in self._blocks), default=0.0))

    @property
    def clipping(self) -> bool:
        """True when a sample within the window hit full scale (speak a little further away)."""
        return any(b[3] for b in self._blocks)

    @property
    def quiet_for_seconds(self) -> float:
        """How long the level has stayed below `quiet_dbfs`, in seconds."""
        return self._quiet_samples / self.rate

    @property
    def too_quiet(self) -> bool:
        return self.quiet_for_seconds >= self.quiet_after_s

    @property
    def silent(self) -> bool:
        """True after `silent_after_s` of (near) digital silence: the microphone is dead."""
        return self._silent_samples / self.rate >= self.silent_after_s

    @property
    def fault(self) -> str | None:
        """A reason for `booth status` when the microphone is unusable, else None."""
        return SILENCE_FAULT if self.silent else None


def _dbfs(amplitude: float) -> float:
    if amplitude <= 0:
        return FLOOR_DBFS
    return max(FLOOR_DBFS, 20 * math.log10(amplitude / FULL_SCALE))
