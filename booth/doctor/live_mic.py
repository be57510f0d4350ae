"""The booth's microphone read as it happens, for `booth mic test` and `booth doctor`.

On a Pi: the USB microphone found by card name, read on its own thread (`MicReader`), exactly
as the kiosk reads it. In simulation: the virtual microphone of a `SimWorld`, whose virtual
clock follows the wall clock here, so the meter moves at the speed of speech.
"""

from __future__ import annotations

import queue
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from booth.config.settings import Settings
from booth.devices.mic_reader import MicReader
from booth.devices.microphone import AudioChunk, Microphone, find_card
from booth.sim.world import SimWorld


class LiveMic:
    """An opened microphone. `chunks()` returns what was captured since the last call
    (never blocks); `record(seconds)` collects that long. Close it when done."""

    rate: int
    device: str

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
    """The USB microphone (`[devices] mic_device`, by card name; "" = ALSA's default)."""

    def __init__(self, settings: Settings) -> None:
        name = settings.devices.mic_device
        self.device = find_card(name) if name else "default"
        self.rate = settings.recording.audio_rate
        self._mic = Microphone(self.device, rate=self.rate)
        self._queue: queue.SimpleQueue[AudioChunk] = queue.SimpleQueue()
        self._reader = MicReader(self._mic, self._queue.put).start()

    def chunks(self) -> list[AudioChunk]:
        out = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out

    @property
    def fault(self) -> str | None:
        return self._reader.fault

    def close(self) -> None:
        self._reader.stop()
        self._mic.close()


class SimLiveMic(LiveMic):
    """The simulated candidate's voice through the virtual microphone (real ALSA capture)."""

    def __init__(self, settings: Settings, seed: int = 1) -> None:
        rec = settings.recording
        self.rate = rec.audio_rate
        self._dir = Path(tempfile.mkdtemp(prefix="booth-mic-"))
        self._world = SimWorld(
            rec.width, rec.height, rec.fps, seed=seed, mic_dir=self._dir, rate=rec.audio_rate
        )
        self._world.install_alsa_config()
        self._mic = Microphone(
            self._world.mic_device, rate=rec.audio_rate, period_frames=self._world.period_frames
        )
        self.device = self._mic.device
        self._start = time.monotonic_ns()

    def chunks(self) -> list[AudioChunk]:
        world = self._world
        now = time.monotonic_ns() - self._start
        step = world.period_frames * 1_000_000_000 // self.rate
        out: list[AudioChunk] = []
        # A period at a time, reading as it goes: the FIFO holds only a few seconds.
        while world.now_ns < now:
            world.advance_to(min(now, world.now_ns + step))
            out.extend(world.read_mic(self._mic))
        return out

    def close(self) -> None:
        self._mic.close()
        self._world.close()
        shutil.rmtree(self._dir, ignore_errors=True)


def open_live_mic(settings: Settings) -> LiveMic:
    """The microphone of the settings' backend, opened and delivering.

    Raises MicrophoneError (card not found, cannot open) with what staff can do.
    """
    if settings.devices.backend == "pi":
        return PiLiveMic(settings)
    return SimLiveMic(settings)
