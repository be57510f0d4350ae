"""Assembles the kiosk of a real booth: the Raspberry Pi's camera, pins and USB microphone.

The counterpart of booth.kiosk.build's simulated booth, with the same flow, recorder, renderer
and spool, on real devices:

- `PiCamera` (picamera2): preview and exposure metadata per frame, a fresh H.264 encoder per
  take writing the take's files directly (hardware on a Pi 4, libx264 on a Pi 5);
- `RingLight` and `Buttons` on gpiozero's default pin factory (lgpio on a Pi 5);
- the USB microphone, found by card name (or as the first USB card that captures), read on its
  own thread by `MicReader`, whose chunks
  the kiosk drains once per frame into the level meter and the take's audio;
- the system clock: CLOCK_MONOTONIC for timers, the same clock as SensorTimestamp and ALSA's
  htimestamp, so audio and video line up.

Nothing here imports picamera2 at module level; `build_pi_kiosk` fails with
`PiCameraUnavailable` (naming python3-picamera2 and the venv's --system-site-packages) where
it cannot be imported, before touching any pin or sound card.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pygame
from gpiozero.pins import Factory

from booth.config.settings import Settings
from booth.devices.camera import Camera
from booth.devices.choice import ROOT, for_settings
from booth.devices.face_exposure import camera_aim
from booth.devices.microphone import Microphone, MicrophoneError
from booth.devices.pi_camera import PiCamera
from booth.devices.speaker import ReopeningSpeaker
from booth.kiosk.build import (
    KioskServices,
    assemble_kiosk,
    load_installed,
    mic_reader,
    open_buttons,
    open_spool,
    sized_sealing,
)
from booth.kiosk.events import EventLog
from booth.kiosk.inputs import Inputs
from booth.kiosk.loop import Devices, Kiosk
from booth.kiosk.memory import keep_frames_out_of_the_heap
from booth.light.controller import LightController
from booth.light.curve import CurveError, LightCurve, load_curve
from booth.light.settings import open_ring_light
from booth.media.player import ClipPlayer
from booth.privacy.seal import Sealing
from booth.session.clock import SystemClock

log = logging.getLogger("booth.kiosk")


def light_curve(state_dir: Path) -> LightCurve | None:
    """The light's calibration curve (`booth light calibrate`), or None to run without it."""
    try:
        return load_curve(state_dir)
    except CurveError as err:
        # Without the curve the light still follows the camera, only more slowly.
        log.error("%s; the light runs without its curve until it is calibrated again", err)
        return None


def pi_camera(settings: Settings) -> PiCamera:
    """The booth's camera as `[recording]` describes it (raises `PiCameraUnavailable` off a Pi)."""
    rec = settings.recording
    return PiCamera(
        rec.width,
        rec.height,
        rec.fps,
        bitrate_bps=rec.bitrate_bps,
        flicker_period_us=rec.flicker_period_us,
        aim=camera_aim(settings.light),
        focus=settings.camera.focus,
        subject_distance_m=settings.camera.subject_distance_m,
    )


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


def build_pi_kiosk(
    settings: Settings,
    surface: pygame.Surface,
    interviews_dir: Path | None = None,
    pin_factory: Factory | None = None,
    camera: Camera | None = None,
    root: Path = ROOT,
) -> Kiosk:
    """The booth's kiosk on its real hardware, ready for `booth.kiosk.window.run`.

    settings: the booth's settings (`[paths]` gives the spool and state directories).
    surface: the screen to draw on (see `booth.kiosk.window.open_display`).
    interviews_dir: installed interviews (default `[paths] interviews`).
    pin_factory: gpiozero pin factory for the light and buttons; None = gpiozero's default.
    camera: a started camera to use instead of the Pi camera (for trying the assembly off a Pi).

    Unfinished takes of a previous run (power cut, kill -9) are recovered into the spool first.
    Raises `PiCameraUnavailable`, `CameraError`, `MicrophoneError`, `ConfigError` or gpiozero's
    errors with what staff can do; the caller turns them into one line for the journal.
    """
    keep_frames_out_of_the_heap()
    # The camera first: without picamera2 nothing else is worth opening, and no pin is claimed.
    own_camera = camera is None
    if camera is None:
        camera = pi_camera(settings)
    try:
        if own_camera:
            camera.start()
        kiosk = _assemble(settings, surface, camera, interviews_dir, pin_factory, root)
    except BaseException:
        if own_camera:
            camera.close()
        raise
    return kiosk


def _assemble(
    settings: Settings,
    surface: pygame.Surface,
    camera: Camera,
    interviews_dir: Path | None,
    pin_factory: Factory | None,
    root: Path = ROOT,
) -> Kiosk:
    rec, dev, paths = settings.recording, settings.devices, settings.paths
    sealing = Sealing.for_settings(settings)
    interviews = load_installed(interviews_dir or paths.interviews, sealing)
    sealing = sized_sealing(settings, interviews)
    clock = SystemClock()
    events = EventLog(None)  # the journal has the events of a real booth
    spool = open_spool(paths.spool, clock, events, sealing)
    paths.state.mkdir(parents=True, exist_ok=True)

    mic = Microphone(
        mic_device(settings, root),
        rate=rec.audio_rate,
        latency_ms=dev.mic_latency_ms,
    )
    inputs = Inputs()
    light = buttons = speaker = None
    try:
        # A speaker that does not open is no reason to stop: see ReopeningSpeaker.
        speaker = ReopeningSpeaker(speaker_chooser(settings, root))
        light = open_ring_light(
            settings.light,
            dev.light_pin,
            dev.light_frequency_hz,
            pin_factory,
            sysfs=root / "sys/class/pwm",
        )
        buttons = open_buttons(settings, pin_factory, inputs)
        reader = mic_reader(mic, inputs)
        kiosk = assemble_kiosk(
            settings,
            interviews,
            Devices(camera=camera, light=light, mic=reader, buttons=buttons, speaker=speaker),
            inputs,
            surface,
            KioskServices(
                clock,
                spool,
                paths.state,
                events,
                ClipPlayer(speaker, realtime=True),
                LightController(
                    settings.light,
                    light_curve(paths.state),
                    flicker_period_us=rec.flicker_period_us,
                ),
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="takes"),
                interviews_dir=interviews_dir or paths.interviews,
            ),
        )
    except BaseException:
        for part in (buttons, light, speaker, mic):
            if part is not None:
                part.close()
        raise
    # Devices.close() closes the reader, which stops its thread before closing the sound card.
    reader.start()
    return kiosk
