"""The booth's microphone read as it happens, for `booth mic test` and `booth doctor`.

On a Pi: the USB microphone found by card name, read on its own thread (`MicReader`), exactly
as the kiosk reads it (`PiLiveMic`). The simulator's counterpart is booth.sim.staff.SimLiveMic.
"""

from __future__ import annotations

import queue
import time

import numpy as np

from booth.config.settings import Settings
from booth.devices.mic_reader import MicReader, drain
from booth.devices.microphone import AlsaMicrophone
from booth.devices.ports.microphone import AudioChunk
from booth.devices.sound_cards import choose_mic


class LiveMic:
    """An opened microphone. `chunks()` returns what was captured since the last call
    (never blocks); `record(seconds)` collects that long. Close it when done."""

    rate: int
    device: str
    chosen_because: str = ""
    """Why this device (for `booth doctor`): the setting, or how it was found."""

    def chunks(self) -> list[AudioChunk]:
        raise NotImplementedError

    @property
    def fault(self) -> str | None:
        """Why the microphone stopped delivering (pulled out), else None."""
        return None

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
        raise NotImplementedError


class PiLiveMic(LiveMic):
    """The USB microphone (`[devices] mic_device`, by card name; "" = the first USB card that
    can capture, see `booth.devices.sound_cards.choose_mic`)."""

    def __init__(self, settings: Settings) -> None:
        self.device, self.chosen_because = choose_mic(settings.devices.mic_device)
        self.rate = settings.recording.audio_rate
        self._mic = AlsaMicrophone(self.device, rate=self.rate)
        self._queue: queue.SimpleQueue[AudioChunk] = queue.SimpleQueue()
        self._reader = MicReader(self._mic, self._queue.put).start()

    def chunks(self) -> list[AudioChunk]:
        return drain(self._queue)

    @property
    def fault(self) -> str | None:
        return self._reader.fault

    def close(self) -> None:
        self._reader.stop()
        self._mic.close()
