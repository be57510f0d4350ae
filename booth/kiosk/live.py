"""Assembles the kiosk in real time on a world's devices: a booth's (booth.devices.pi_world).

The counterpart of booth.sim.booth's simulated booth, with the same flow, recorder, renderer
and spool:

- the world's camera: preview and exposure metadata per frame, a fresh H.264 encoder per
  take writing the take's files directly;
- the world's ring light, buttons on the world's pins, its speaker (tried again while it
  does not open);
- the world's microphone, read on its own thread by `MicReader`, whose chunks the kiosk
  drains once per frame into the level meter and the take's audio;
- the system clock: CLOCK_MONOTONIC for timers, the same clock as SensorTimestamp and ALSA's
  htimestamp, so audio and video line up.

The camera is opened first: on a Pi without picamera2 it raises `PiCameraUnavailable` (naming
python3-picamera2 and the venv's --system-site-packages) before any pin or sound card is
touched.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pygame

from booth.config.settings import Settings
from booth.devices.ports.camera import Camera
from booth.devices.world import World
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


def build_live_kiosk(
    settings: Settings,
    surface: pygame.Surface,
    world: World,
    interviews_dir: Path | None = None,
) -> Kiosk:
    """The booth's kiosk on `world`'s devices, ready for `booth.kiosk.window.run`.

    settings: the booth's settings (`[paths]` gives the spool and state directories).
    surface: the screen to draw on (see `booth.devices.display.open_display`).
    world: where the devices come from (the CLI chose it from `[devices] backend`).
    interviews_dir: installed interviews (default `[paths] interviews`).

    Unfinished takes of a previous run (power cut, kill -9) are recovered into the spool first.
    Raises `PiCameraUnavailable`, `CameraError`, `MicrophoneError`, `ConfigError` or gpiozero's
    errors with what staff can do; the caller turns them into one line for the journal.
    """
    keep_frames_out_of_the_heap()
    # The camera first: without it nothing else is worth opening, and no pin is claimed.
    camera = world.camera()
    try:
        camera.start()
        kiosk = _assemble(settings, surface, camera, world, interviews_dir)
    except BaseException:
        camera.close()
        raise
    return kiosk


def _assemble(
    settings: Settings,
    surface: pygame.Surface,
    camera: Camera,
    world: World,
    interviews_dir: Path | None,
) -> Kiosk:
    rec, paths = settings.recording, settings.paths
    sealing = Sealing.for_settings(settings)
    interviews = load_installed(interviews_dir or paths.interviews, sealing)
    sealing = sized_sealing(settings, interviews)
    clock = SystemClock()
    events = EventLog(None)  # the journal has the events of a real booth
    spool = open_spool(paths.spool, clock, events, sealing)
    paths.state.mkdir(parents=True, exist_ok=True)

    mic = world.microphone()
    inputs = Inputs()
    light = buttons = speaker = None
    try:
        speaker = world.speaker()
        light = world.ring_light()
        buttons = open_buttons(settings, world.pins, inputs)
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
                    world.light_settings,
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
