"""The acceptance recording's clapperboard on a real booth: the screen and the speaker.

The flash-and-beep is a white screen and a short square-wave beep from the speaker, started
together. What the recording then measures is the whole chain a candidate goes through: the
camera and microphone, and also the screen's and speaker's own delays (a display shows a frame
one refresh or more after it is drawn; a speaker plays after ALSA's buffer), so a booth that
passes here is in sync for candidates too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import alsaaudio
import numpy as np

from booth.devices.ports.microphone import MicrophoneError
from booth.devices.speaker import write_frames

log = logging.getLogger(__name__)

FLASH_S = 0.1
"""How long the screen stays white: a few camera frames, so a slow panel still shows it."""
BEEP_S = 0.02
BEEP_HZ = 2000
BEEP_PERIOD_FRAMES = 256
"""ALSA playback period: small, so the beep leaves the speaker a few ms after it is written."""


class ScreenFlash:
    """Turns the booth's screen white on `flash()` and black again `FLASH_S` later.

    surface: the pygame display surface (the kiosk's screen, fullscreen on a booth).
    """

    def __init__(self, surface: Any) -> None:
        import pygame

        self._pygame = pygame
        self.surface = surface
        self.white_until: float | None = None
        self._show((0, 0, 0))

    def flash(self, now: float | None = None) -> None:
        self._show((255, 255, 255))
        self.white_until = (time.monotonic() if now is None else now) + FLASH_S

    def update(self, now: float | None = None) -> None:
        """Call once a frame: ends the flash when its time is up."""
        now = time.monotonic() if now is None else now
        if self.white_until is not None and now >= self.white_until:
            self._show((0, 0, 0))
            self.white_until = None

    def _show(self, colour: tuple[int, int, int]) -> None:
        self.surface.fill(colour)
        self._pygame.display.flip()


def beep_samples(rate: int) -> np.ndarray:
    """A full-scale `BEEP_HZ` square wave of `BEEP_S`, as mono int16 samples."""
    count = round(BEEP_S * rate)
    half_cycle = max(1, round(rate / BEEP_HZ / 2))
    k = np.arange(count)
    return np.where((k // half_cycle) % 2 == 0, 32767, -32767).astype(np.int16)


class Beeper:
    """A short beep on the speaker through ALSA (pyalsaaudio playback).

    device: ALSA PCM name ("default", "plughw:CARD=Headphones,DEV=0", …); rate in Hz.
    open_pcm: opens the PCM; pyalsaaudio's `alsaaudio.PCM` (tests pass the simulated card's).

    Each beep fills the speaker's whole buffer (4 periods of 256 frames), so the card plays it
    and stops in an underrun well before the next one. pyalsaaudio 0.11 answers the next write
    with -EPIPE and writes nothing (it only prepares the stream again): that beep is written
    again, or every other beep would be silent.
    """

    def __init__(
        self,
        device: str = "default",
        rate: int = 48_000,
        open_pcm: Callable[..., Any] = alsaaudio.PCM,
    ) -> None:
        self.device = device
        self.underruns = 0
        try:
            self._pcm = open_pcm(
                type=alsaaudio.PCM_PLAYBACK,
                device=device,
                rate=rate,
                channels=1,
                format=alsaaudio.PCM_FORMAT_S16_LE,
                periodsize=BEEP_PERIOD_FRAMES,
            )
        except alsaaudio.ALSAAudioError as error:
            raise MicrophoneError(
                f"cannot open speaker {device!r}: {error} "
                "(check the [devices] speaker_device setting and `aplay -L`)"
            ) from error
        samples = beep_samples(rate)
        # Whole periods: the rest of the last one is silence.
        padded = -(-len(samples) // BEEP_PERIOD_FRAMES) * BEEP_PERIOD_FRAMES
        self._beep = np.pad(samples, (0, padded - len(samples))).astype("<i2").tobytes()

    def beep(self) -> None:
        """Start the beep now (returns once ALSA has it; playback was idle and restarts)."""
        self.underruns += write_frames(self._pcm, self._beep, 2)

    def close(self) -> None:
        self._pcm.close()


class ScreenAndBeep:
    """A booth's clapperboard: the screen flashes white as the speaker beeps."""

    def __init__(self, screen: ScreenFlash, beeper: Beeper) -> None:
        self.screen = screen
        self.beeper = beeper

    def next_frame_ns(self) -> int:
        # The camera keeps its own time; this frame's moment is a good time to end a flash.
        self.screen.update()
        return time.monotonic_ns()

    def flash_and_beep(self) -> None:
        self.beeper.beep()
        self.screen.flash()

    def close(self) -> None:
        self.beeper.close()
