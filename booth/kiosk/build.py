"""Assembles a kiosk from settings: the simulated booth, piece by piece.

Simulation uses the real libraries on simulated hardware: gpiozero on its
MockFactory with PWM pins, pyalsaaudio on an ALSA `file` PCM fed by the
simulated voice, PyAV for the takes. The Pi backend (picamera2) is imported
only on a Pi and is not built here.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from pathlib import Path

import pygame

from booth.config.errors import ConfigError
from booth.config.hours import is_open
from booth.config.interview import load_interviews
from booth.config.settings import Settings
from booth.devices.buttons import Buttons
from booth.devices.camera import SimCamera
from booth.devices.gpio import sim_pin_factory
from booth.devices.level_meter import LevelMeter
from booth.devices.light import RingLight
from booth.devices.microphone import Microphone
from booth.devices.speaker import Speaker
from booth.kiosk.events import EventLog
from booth.kiosk.health import Health
from booth.kiosk.installed import InstalledInterviews
from booth.kiosk.loop import Devices, Kiosk
from booth.kiosk.memory import keep_frames_out_of_the_heap
from booth.kiosk.recorder import Recorder, RecordingFormat
from booth.light.calibrate import calibrate_simulated
from booth.light.controller import LightController
from booth.light.curve import CurveError, LightCurve, load_curve
from booth.light.settings import open_ring_light
from booth.media.player import ClipPlayer
from booth.media.spool import Spool
from booth.session.clock import VirtualClock
from booth.session.flow import Flow, Timing
from booth.sim.scenarios import RING_LUX_AT_FULL
from booth.sim.virtual_speaker import VirtualSpeaker
from booth.sim.world import SimWorld
from booth.ui.i18n import translator
from booth.ui.renderer import Renderer

log = logging.getLogger("booth.kiosk")


def flow_timing(settings: Settings) -> Timing:
    """The flow's timing from the `[timing]` settings (same names)."""
    names = {f.name for f in dataclasses.fields(Timing)}
    values = {k: v for k, v in dataclasses.asdict(settings.timing).items() if k in names}
    return Timing(**values)


def load_installed(interviews_dir: Path) -> list:
    """The interviews in `interviews_dir`; any problem stops the start with all of them listed."""
    interviews, problems = load_interviews(interviews_dir)
    if problems:
        raise ConfigError(problems)
    return interviews


def open_spool(spool_dir: Path, clock, events: EventLog) -> Spool:
    """The spool, after turning what a crash left behind into playable takes."""
    spool = Spool(spool_dir)
    for recovered in spool.recover(clock.now()):
        events.write(
            clock.monotonic(),
            clock.now(),
            "take.recovered",
            {"session": recovered.session_id, "takes": len(recovered.takes)},
        )
    return spool


def assemble_kiosk(
    settings: Settings,
    interviews: list,
    clock,
    devices: Devices,
    surface: pygame.Surface,
    spool: Spool,
    state: Path,
    events: EventLog,
    clips,
    light_controller: LightController,
    realtime: bool,
    interviews_dir: Path | None = None,
    screenshots: Path | None = None,
) -> Kiosk:
    """The kiosk around its devices: flow, recorder, meter, health; the same for every booth."""
    rec = settings.recording
    flow = Flow(
        interviews,
        settings.languages,
        clock,
        timing=flow_timing(settings),
        is_open=lambda now: is_open(settings.hours, now),
        language=settings.language,
    )
    recorder = Recorder(
        spool,
        state / "practice",
        devices.camera,
        RecordingFormat(rec.width, rec.height, rec.fps, rec.bitrate_bps, rec.audio_rate, 1),
        settings.booth_id,
        realtime=realtime,
    )
    meter = LevelMeter(rec.audio_rate)
    health = Health(
        devices.camera,
        meter,
        spool.root,
        interviews,
        rec.bitrate_bps,
        rec.audio_rate,
        rec.disk_margin_bytes,
    )
    return Kiosk(
        flow=flow,
        devices=devices,
        recorder=recorder,
        surface=surface,
        renderer=Renderer(surface.get_size()),
        translators=translator,
        events=events,
        clips=clips,
        meter=meter,
        fps=rec.fps,
        health=health,
        state_dir=state,
        light_controller=light_controller,
        installed=InstalledInterviews(interviews_dir) if interviews_dir is not None else None,
        screenshots=screenshots,
        realtime=realtime,
    )


def attach_buttons(kiosk: Kiosk, settings: Settings, pin_factory) -> Buttons:
    """The arcade buttons (and their LEDs, where wired), posting to the kiosk's action queue."""
    b = settings.devices.buttons
    leds = {"record": b.record_led, "next": b.next_led, "back": b.back_led}
    buttons = Buttons(
        {"record": b.record, "next": b.next, "back": b.back},
        on_action=kiosk.post_button,
        pin_factory=pin_factory,
        leds={name: pin for name, pin in leds.items() if pin is not None},
    )
    kiosk.devices.buttons = buttons
    return buttons


def simulated_curve(world: SimWorld, light: RingLight, state: Path, rec) -> LightCurve:
    """The light's calibration curve: stored in the state directory, else measured now."""
    try:
        curve = load_curve(state)
    except CurveError as err:
        log.warning("%s; calibrating again", err)
        curve = None
    if curve is None:
        curve = calibrate_simulated(world.scene, light, rec.fps, rec.flicker_period_us or None)
        curve.save(state)
    return curve


def build_sim_kiosk(
    settings: Settings,
    interviews_dir: Path,
    out: Path,
    surface: pygame.Surface,
    start: datetime | None = None,
    realtime: bool = False,
    seed: int = 1,
    screenshots: bool = True,
) -> tuple[Kiosk, VirtualClock]:
    """A booth on simulated hardware whose spool, state, screens and events go to `out`."""
    keep_frames_out_of_the_heap()
    interviews = load_installed(interviews_dir)
    clock = VirtualClock(start)
    rec = settings.recording
    state = out / "state"
    state.mkdir(parents=True, exist_ok=True)
    events = EventLog(out / "events.jsonl")
    spool = open_spool(out / "spool", clock, events)

    world = SimWorld(
        rec.width, rec.height, rec.fps, seed=seed, mic_dir=state / "mic", rate=rec.audio_rate
    )
    world.install_alsa_config()
    # After the microphone's: the speaker adds its ALSA file to ALSA_CONFIG_PATH.
    sim_speaker = VirtualSpeaker(state / "speaker", paced=realtime)
    sim_speaker.install()
    speaker = Speaker(sim_speaker.device)
    speaker.latency_s = sim_speaker.latency_s(speaker.buffer_frames)
    mic = Microphone(world.mic_device, rate=rec.audio_rate, period_frames=world.period_frames)
    pins = sim_pin_factory()
    dev = settings.devices
    # The simulated booth has no kernel PWM: its light is always gpiozero's, on mock pins.
    light_settings = dataclasses.replace(settings.light, driver="gpiozero")
    light = open_ring_light(light_settings, dev.light_pin, dev.light_frequency_hz, pins)
    world.scene.ring_lux_at_full = RING_LUX_AT_FULL
    controller = LightController(light_settings, simulated_curve(world, light, state, rec))
    camera = SimCamera.for_recording(rec, world.scene, light)
    camera.start()

    kiosk = assemble_kiosk(
        settings,
        interviews,
        clock,
        Devices(camera=camera, light=light, mic=mic, world=world, speaker=sim_speaker),
        surface,
        spool,
        state,
        events,
        ClipPlayer(speaker, realtime=realtime),
        controller,
        realtime,
        interviews_dir=interviews_dir,
        screenshots=out / "screens" if screenshots else None,
    )
    attach_buttons(kiosk, settings, pins)
    return kiosk, clock
