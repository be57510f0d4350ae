"""The speaker port: what the kiosk holds of a loudspeaker, and its error. The ALSA speaker
is booth.devices.speaker."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class SpeakerError(Exception):
    """The speaker cannot be opened; the message is meant for staff."""


class Speaker(Protocol):
    """The booth's loudspeaker as the kiosk holds it: what the clip player plays into
    (booth.media.player's `AudioSink`), and whether it is there at all.

    rate, channels: the format `play` takes. period_frames: what the device takes at a time;
    buffer_frames: the sound queued ahead of the device at most. latency_s: the sound the
    device holds beyond what `delay_frames` reports. fault: why there is no speaker (None
    while there is one); `poll()` tries to open it again.
    """

    rate: int
    channels: int
    period_frames: int
    buffer_frames: int
    latency_s: float
    fault: str | None

    def poll(self) -> None: ...

    def play(self, samples: np.ndarray) -> None: ...

    def flush(self) -> None: ...

    def unplayed_frames(self) -> int: ...

    def delay_frames(self) -> int: ...

    def pause(self, paused: bool) -> None: ...

    def close(self) -> None: ...
