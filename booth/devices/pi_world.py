"""A Raspberry Pi booth's world (`[devices] backend = "pi"`): its camera, pins, microphone,
speaker, ring light and screen (see booth.devices.world).

- `PiCamera` (picamera2): preview and exposure metadata per frame, a fresh H.264 encoder per
  take writing the take's files directly (hardware on a Pi 4, libx264 on a Pi 5);
- the ring light on the kernel's hardware PWM where `dtoverlay=pwm` gives its pin a chip,
  else gpiozero's PWM; buttons and the occupied light on gpiozero's default pin factory
  (lgpio on a Pi 5);
- the USB microphone and the speaker that `booth devices` chooses (by card name, or the first
  USB card), the screen on the console through SDL's KMSDRM driver.

Nothing here imports picamera2 at module level: `camera()` raises `PiCameraUnavailable`
(naming python3-picamera2 and the venv's --system-site-packages) where it cannot be imported.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pygame
from gpiozero.pins import Factory

from booth.config.settings import LightSettings, Settings
from booth.devices.choice import ROOT, for_settings
from booth.devices.clapperboard import Beeper, ScreenAndBeep, ScreenFlash
from booth.devices.display import open_display
from booth.devices.face_exposure import camera_aim
from booth.devices.light import RingLight, open_ring_light
from booth.devices.live_mic import LiveMic
from booth.devices.microphone import AlsaMicrophone
from booth.devices.pi_camera import HARDWARE, PiCamera
from booth.devices.ports.display import DisplayError
from booth.devices.ports.light import Light
from booth.devices.ports.microphone import MicrophoneError
from booth.devices.ports.speaker import SpeakerError
from booth.devices.sound_cards import choose_mic
from booth.devices.speaker import ReopeningSpeaker
from booth.devices.world import Rig, WorldChecks

log = logging.getLogger("booth.devices")


def pi_camera(settings: Settings) -> PiCamera:
    """The booth's camera as `[recording]` describes it (raises `PiCameraUnavailable` off a Pi)."""
    return PiCamera(settings.recording, lens=settings.camera, aim=camera_aim(settings.light))


def mic_device(settings: Settings, root: Path = ROOT) -> str:
    """The ALSA capture device `booth devices` chooses for `[devices] mic_device` ("" = the
    first USB card that can capture: ALSA's default device is a Pi's HDMI output, which
    cannot), logged with why. Raises `MicrophoneError` with the fix when there is none."""
    choice = for_settings(settings, root).microphone
    if choice.device is None:
        raise MicrophoneError(choice.error or choice.why)
    log.info("microphone: %s (%s)", choice.device, choice.why)
    return choice.device


def speaker_chooser(
    settings: Settings, root: Path = ROOT
) -> Callable[[], tuple[str | None, str | None]]:
    """What `ReopeningSpeaker` asks at every try: the device `booth devices` chooses now."""

    def choose() -> tuple[str | None, str | None]:
        speaker = for_settings(settings, root).speaker
        return speaker.device, speaker.error

    return choose


class PiWorld:
    """The devices of a Raspberry Pi booth, as its settings and `booth devices` choose them.

    root: where /proc, /sys and /dev are read (tests and `booth devices --root` point it at a
    captured board). pin_factory: gpiozero's pin factory; None = gpiozero's default, the
    board's own pins.
    """

    checks = WorldChecks(screen=True, speaker=True, pins_shared=True)

    def __init__(
        self, settings: Settings, root: Path = ROOT, pin_factory: Factory | None = None
    ) -> None:
        self.settings = settings
        self.root = root
        self._pins = pin_factory

    @property
    def light_settings(self) -> LightSettings:
        return self.settings.light

    @property
    def pins(self) -> Factory | None:
        return self._pins

    def camera(self) -> PiCamera:
        return pi_camera(self.settings)

    def microphone(self) -> AlsaMicrophone:
        rec, dev = self.settings.recording, self.settings.devices
        return AlsaMicrophone(
            mic_device(self.settings, self.root),
            rate=rec.audio_rate,
            latency_ms=dev.mic_latency_ms,
        )

    def speaker(self) -> ReopeningSpeaker:
        # A speaker that does not open is no reason to stop: see ReopeningSpeaker.
        return ReopeningSpeaker(speaker_chooser(self.settings, self.root))

    def ring_light(self) -> RingLight:
        dev = self.settings.devices
        return open_ring_light(
            self.settings.light,
            dev.light_pin,
            dev.light_frequency_hz,
            self._pins,
            sysfs=self.root / "sys/class/pwm",
        )

    def display(self) -> pygame.Surface:
        """The screen on the connector `booth devices` chooses (`[display] connector`), full
        screen through SDL's KMSDRM driver on the console."""
        choice = for_settings(self.settings, self.root).display
        log.info("display: %s (%s)", choice.connector, choice.error or choice.why)
        if choice.card is not None:
            # The unit's ExecStartPre (`booth devices --sdl-env`) sets it from the same choice.
            os.environ.setdefault("SDL_KMSDRM_DEVICE_INDEX", str(choice.card))
        if choice.error and self.settings.display.connector != "auto":
            raise DisplayError(choice.error)
        display = self.settings.display
        return open_display(
            display.size, fullscreen=display.fullscreen, display=choice.sdl_display or 0
        )

    @contextmanager
    def opened_camera(self) -> Iterator[PiCamera]:
        """The kiosk's own camera setup, face-aimed exposure included. The ring light is the
        kiosk's to drive (staff set it with `booth light set`), so it is not opened here."""
        camera = self.camera()
        try:
            camera.start()
            yield camera
        finally:
            camera.close()

    def live_mic(self) -> LiveMic:
        """The USB microphone (`[devices] mic_device`, by card name; "" = the first USB card
        that can capture, see `booth.devices.sound_cards.choose_mic`)."""
        device, why = choose_mic(self.settings.devices.mic_device)
        return LiveMic(AlsaMicrophone(device, rate=self.settings.recording.audio_rate), why)

    def record_rig(self) -> Rig:
        """Open the booth's camera, microphone, screen and speaker as the settings describe
        them: the kiosk must not be running (it holds the camera). Raises CameraError,
        MicrophoneError or SpeakerError with what staff can do."""
        settings = self.settings
        rec = settings.recording
        camera = self.camera()
        camera.start()
        mic = None
        try:
            # The devices the kiosk uses, chosen the same way (`booth devices`).
            choice = for_settings(settings, self.root)
            mic = self.microphone()
            if choice.speaker.device is None:
                raise SpeakerError(f"the beeps need a speaker: {choice.speaker.error}")
            beeper = Beeper(choice.speaker.device, rec.audio_rate)
            # The kiosk's own display opening: KMSDRM on the console, staff told what is wrong.
            screen = ScreenFlash(
                open_display(
                    settings.display.size,
                    settings.display.fullscreen,
                    display=choice.display.sdl_display or 0,
                )
            )
        except Exception:
            if mic is not None:
                mic.close()
            camera.close()
            raise
        kind = "VideoCore H264Encoder" if camera.encoder == HARDWARE else "libx264 via libav"
        clapperboard = ScreenAndBeep(screen, beeper)
        return Rig(camera, LiveMic(mic), clapperboard, f"{camera.encoder} ({kind})")

    @contextmanager
    def exposure_meter(self, light: Light) -> Iterator[Callable[[], Mapping[str, Any]]]:
        camera = self.camera()
        camera.start()
        try:
            yield lambda: camera.capture(time.monotonic_ns()).metadata
        finally:
            camera.stop()

    def close(self) -> None:
        """A booth's devices are each closed by whoever opened them."""
