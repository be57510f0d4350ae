"""What muxing a take gives: its MP4 and the facts the manifest keeps of it.

Its own module so that readers of the spool (the sync agent, booth-metrics, `booth status`)
need not import PyAV and numpy, which only muxing uses (booth.media.mux).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TakeResult:
    """A finished take's MP4: ``bytes`` its size, ``sha256`` its hex digest, ``duration_s``
    its length in seconds, ``frames`` its video frames, ``recovered`` whether it was rebuilt
    after a crash."""

    path: Path
    bytes: int
    sha256: str
    duration_s: float
    frames: int
    recovered: bool
