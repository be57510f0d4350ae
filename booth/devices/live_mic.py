"""The booth's microphone read as it happens: `booth mic test`, `booth doctor` and the
acceptance recording (`booth doctor --record`).

The microphone is read on its own thread (`MicReader`), exactly as the kiosk reads it, into a
queue that `chunks()` empties. Whose microphone it is, the world decides
(booth.devices.world): the USB microphone of a booth, or the simulator's virtual one, behind
which a `Feed` (the simulated room) produces the sound.
"""

from __future__ import annotations

import queue
import time
from typing import Protocol

import numpy as np

from booth.devices.mic_reader import MicReader, drain
from booth.devices.ports.microphone import AudioChunk, Microphone


class Feed(Protocol):
    """What produces a simulated microphone's sound: a real one needs none.

    overruns: periods its FIFO lost because the reader came too late (a real card's ring
    buffer overflows the same way, and ALSA counts those in the microphone's own overruns).
    """

    @property
    def overruns(self) -> int: ...

    def catch_up(self, reader: MicReader) -> None:
        """Produce the sound that is due by now, and return once `reader` has handed it on."""
        ...

    def close(self) -> None:
        """Stop producing; a read blocked on the feed returns."""
        ...


class LiveMic:
    """An opened microphone, read on its own thread. `chunks()` returns what was captured
    since the last call (never blocks for long); `record(seconds)` collects that long. Close
    it when done.

    mic: the opened microphone (the `Microphone` port). chosen_because: why this device, for
    `booth doctor` (the setting, or how it was found). feed: what produces a simulated
    microphone's sound.
    """

    def __init__(self, mic: Microphone, chosen_because: str = "", feed: Feed | None = None):
        self.device = mic.device
        self.rate = mic.rate
        self.chosen_because = chosen_because
        self._mic = mic
        self._feed = feed
        self._queue: queue.SimpleQueue[AudioChunk] = queue.SimpleQueue()
        self._reader = MicReader(mic, self._queue.put).start()

    def chunks(self) -> list[AudioChunk]:
        if self._feed is not None:
            self._feed.catch_up(self._reader)
        return drain(self._queue)

    @property
    def fault(self) -> str | None:
        """Why the microphone stopped delivering (pulled out), else None."""
        return self._reader.fault

    @property
    def overruns(self) -> int:
        """Periods of audio lost so far."""
        return self._mic.overruns + (self._feed.overruns if self._feed is not None else 0)

    def record(self, seconds: float, poll_s: float = 0.02) -> np.ndarray:
        """`seconds` of mono int16 samples as they come in (fewer if the device stalls)."""
        parts = []
        deadline = time.monotonic() + seconds
        got = 0
        # A stalled device gives nothing: stop one second after the audio was due.
        while got < seconds * self.rate and time.monotonic() < deadline + 1.0 and not self.fault:
            for chunk in self.chunks():
                parts.append(chunk.samples[:, 0])
                got += chunk.frames
            time.sleep(poll_s)
        return np.concatenate(parts)[: round(seconds * self.rate)] if parts else np.zeros(0)

    def close(self) -> None:
        """Stop the reader; a simulated feed is closed in between, which wakes its last read;
        then close the microphone."""
        self._reader.request_stop()
        if self._feed is not None:
            self._feed.close()
        self._reader.close()
