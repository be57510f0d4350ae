"""The simulated booth: the kiosk of a real booth, on simulated devices, in virtual time.

This is the simulator's composition root, the counterpart of booth.kiosk.pi. It builds the
same kiosk (booth.kiosk.build.assemble_kiosk) with the same threads: the microphone's reader
thread (`MicReader`, reading an ALSA `file` PCM that the simulated world feeds), the camera's
encoder thread, and the recorder's worker. Only the clock is virtual. `SimBooth.step` moves the
world on one camera frame, waits until the reader has handed on the sound that reached the
microphone by then, runs one kiosk frame and, in a headless run, waits for the recorder's
worker: every run of the same script gives the same takes.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from datetime import datetime
from pathlib import Path
from typing import Any

import pygame

from booth.config.settings import LightSettings, Recording, Settings
from booth.devices.face_exposure import camera_aim
from booth.devices.light import RingLight
from booth.devices.mic_reader import MicReader
from booth.devices.microphone import Microphone
from booth.devices.occupied import OccupiedLight
from booth.devices.speaker import Speaker
from booth.kiosk.build import (
    assemble_kiosk,
    attach_buttons,
    load_installed,
    open_spool,
    sized_sealing,
    start_microphone,
)
from booth.kiosk.events import EventLog
from booth.kiosk.loop import Devices, Kiosk
from booth.kiosk.memory import keep_frames_out_of_the_heap
from booth.light.controller import LightController
from booth.light.curve import CurveError, LightCurve, load_curve
from booth.light.settings import open_ring_light
from booth.media.player import ClipPlayer
from booth.occupied.watch import OccupiedWatch
from booth.privacy.seal import Sealing
from booth.sim.calibration import calibrate_simulated
from booth.sim.camera import SimCamera
from booth.sim.clock import VirtualClock
from booth.sim.pins import sim_pin_factory
from booth.sim.room import Room
from booth.sim.scenarios import RING_LUX_AT_FULL
from booth.sim.virtual_speaker import VirtualSpeaker
from booth.sim.world import SimWorld
from booth.state import Occupancy

log = logging.getLogger("booth.sim")

SOUND_WAIT_S = 10.0
"""How long a step waits for the reader thread to hand on a frame's sound (it takes
microseconds; a reader that needs longer is stuck, and the run says so)."""


class SimulationStuck(RuntimeError):
    """The simulated booth's reader thread stopped handing on sound."""


def await_sound(world: SimWorld, reader: MicReader) -> None:
    """Return once `reader` has handed on every period the world's microphone has produced;
    `SimulationStuck` when it does not within `SOUND_WAIT_S`."""
    mic = world.mic
    if mic is not None and not reader.wait_for(mic.periods_written, SOUND_WAIT_S):
        raise SimulationStuck(
            f"the microphone reader handed on {reader.chunks} of {mic.periods_written} "
            f"periods ({reader.fault or 'no fault reported'})"
        )


class StepExecutor(ThreadPoolExecutor):
    """The recorder's worker thread, as on a booth; `drain()` waits for everything it was
    given, so that a run in virtual time is reproducible."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="takes")
        self._pending: list[Future] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        future = super().submit(fn, *args, **kwargs)
        self._pending.append(future)
        return future

    def drain(self) -> None:
        pending, self._pending = self._pending, []
        wait(pending)


class SimBooth:
    """A kiosk on simulated hardware and the world around it, moved one frame at a time.

    kiosk: the booth's kiosk, exactly as `booth kiosk` runs it on a Pi.
    world: the simulated room, candidate and microphone; clock: the kiosk's virtual clock.
    reader: the microphone's reader thread; jobs: the recorder's worker (a `StepExecutor` in
    virtual time, drained every step; a plain thread pool when paced by a window).
    """

    def __init__(
        self,
        kiosk: Kiosk,
        world: SimWorld,
        clock: VirtualClock,
        reader: MicReader,
        jobs: Executor,
        speaker: VirtualSpeaker,
        occupied: OccupiedWatch | None = None,
    ) -> None:
        self.kiosk = kiosk
        self.world = world
        self.clock = clock
        self.reader = reader
        self.jobs = jobs
        self.speaker = speaker
        self.occupied = occupied

    @property
    def fps(self) -> int:
        return self.kiosk.fps

    def step(self) -> None:
        """One camera frame: the world moves on, the sound of that frame reaches the kiosk,
        the kiosk runs its frame, and (in virtual time) the recorder's work is done."""
        self.advance()
        self.kiosk.step()
        self.settle()
        self.follow_door()

    def follow_door(self) -> None:
        """The occupied light's owner reads the kiosk's record, as booth-occupied does on a
        booth (its heartbeat check in real seconds, its blinking in virtual ones)."""
        if self.occupied is not None:
            self.occupied.poll(time.time(), self.clock.monotonic())

    def advance(self) -> None:
        """The world moves on to the next camera frame, and the clock with it; returns once
        the reader thread has handed the kiosk the sound that reached the microphone."""
        self.clock.set_ns(self.world.tick())
        await_sound(self.world, self.reader)

    def settle(self) -> None:
        """In virtual time, wait for the recorder's worker to finish what the frame gave it."""
        if isinstance(self.jobs, StepExecutor):
            self.jobs.drain()

    def run_for(self, seconds: float) -> None:
        for _ in range(round(seconds * self.fps)):
            self.step()

    def clap(self) -> None:
        """A one-frame white flash and a click at the same instant (A/V sync check)."""
        self.world.clap(self.clock.monotonic_ns())
        self._event("clap", {})

    def set_ambient(self, lux: float) -> None:
        """The room's light changes to `lux` from now on."""
        self.world.scene.ambient_lux = lux
        self._event("ambient", {"lux": lux})

    def _event(self, name: str, fields: dict[str, Any]) -> None:
        self.kiosk.events.write(self.clock.monotonic(), self.clock.now(), name, fields)

    def close(self) -> None:
        """Stop the kiosk as a booth stops (an open session ends, takes are kept), then the
        world. The reader is asked to stop first: closing the world wakes its last read."""
        self.reader.request_stop()
        self.world.close()
        try:
            self.kiosk.close()
        finally:
            self.speaker.close()
            if self.occupied is not None:
                self.follow_door()  # the kiosk's record now says "stopped"
                self.occupied.close()


def simulated_curve(
    world: SimWorld, light: RingLight, state: Path, rec: Recording, aim: LightSettings
) -> LightCurve:
    """The light's calibration curve: stored in the state directory, else measured now (with
    the camera metering as `aim`, the `[light]` settings, says)."""
    try:
        curve = load_curve(state)
    except CurveError as err:
        log.warning("%s; calibrating again", err)
        curve = None
    if curve is None:
        curve = calibrate_simulated(
            world.scene, light, rec.fps, rec.flicker_period_us or None, aim=camera_aim(aim)
        )
        curve.save(state)
    return curve


def build_sim_booth(
    settings: Settings,
    interviews_dir: Path,
    out: Path,
    surface: pygame.Surface,
    start: datetime | None = None,
    realtime: bool = False,
    seed: int = 1,
    screenshots: bool = True,
) -> SimBooth:
    """A booth on simulated hardware whose spool, state, screens and events go to `out`.

    realtime: False for a headless run in virtual time (as fast as the work allows,
    reproducible); True when a window paces it (`booth demo`).
    """
    keep_frames_out_of_the_heap()
    state = out / "state"
    state.mkdir(parents=True, exist_ok=True)
    sealing = Sealing.for_settings(settings, state)
    interviews = load_installed(interviews_dir, sealing)
    sealing = sized_sealing(settings, interviews, state)
    clock = VirtualClock(start)
    rec = settings.recording
    events = EventLog(out / "events.jsonl")
    spool = open_spool(out / "spool", clock, events, sealing)

    world = SimWorld.for_settings(settings, state / "mic", seed)
    world.install_alsa_config()
    assert world.mic is not None
    # After the microphone's: the speaker adds its ALSA file to ALSA_CONFIG_PATH.
    sim_speaker = VirtualSpeaker(state / "speaker", paced=realtime, clock_ns=clock.monotonic_ns)
    sim_speaker.install()
    speaker = Speaker(sim_speaker.device, open_pcm=sim_speaker.open_pcm)
    speaker.latency_s = sim_speaker.latency_s(speaker.buffer_frames)
    if sim_speaker.played is not None:
        # In virtual time the microphone hears the speaker through the booth's air.
        world.mic.sounds.append(Room(sim_speaker.played.sound_at).heard)
    mic = Microphone(
        world.mic_device, rate=rec.audio_rate, period_frames=world.period_frames, stamps=world.mic
    )
    pins = sim_pin_factory()
    dev = settings.devices
    # The simulated booth has no kernel PWM: its light is always gpiozero's, on mock pins.
    light_settings = dataclasses.replace(settings.light, driver="gpiozero")
    light = open_ring_light(light_settings, dev.light_pin, dev.light_frequency_hz, pins)
    world.scene.ring_lux_at_full = RING_LUX_AT_FULL
    curve = simulated_curve(world, light, state, rec, light_settings)
    controller = LightController(light_settings, curve, flicker_period_us=rec.flicker_period_us)
    camera = SimCamera.for_recording(
        rec,
        world.scene,
        light,
        realtime=realtime,
        frame_jitter_ns=world.frame_jitter_ns,
        light_settings=light_settings,
    )
    camera.start()
    jobs: Executor = (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="takes")
        if realtime
        else StepExecutor()
    )

    kiosk = assemble_kiosk(
        settings,
        interviews,
        clock,
        Devices(camera=camera, light=light, mic=None),
        surface,
        spool,
        state,
        events,
        ClipPlayer(speaker, realtime=realtime),
        controller,
        jobs,
        interviews_dir=interviews_dir,
        screenshots=out / "screens" if screenshots else None,
    )
    attach_buttons(kiosk, settings, pins)
    reader = start_microphone(kiosk, mic)
    occupied = None
    if dev.occupied_pin is not None:
        occupied = sim_occupied_watch(settings, state, EventLog(out / "events.jsonl"), clock)
    return SimBooth(kiosk, world, clock, reader, jobs, sim_speaker, occupied)


def sim_occupied_watch(
    settings: Settings, state: Path, events: EventLog, clock: VirtualClock
) -> OccupiedWatch:
    """The occupied light on a mock pin, following the kiosk's record in `state` as its own
    process does on a booth; each change of the light goes to `events` ("occupied.light")."""
    dev = settings.devices
    assert dev.occupied_pin is not None
    light = OccupiedLight(dev.occupied_pin, sim_pin_factory())

    def changed(mode: str, occ: Occupancy) -> None:
        fields = {"light": mode, "pin": dev.occupied_pin, "since": occ.since}
        events.write(clock.monotonic(), clock.now(), "occupied.light", fields)

    return OccupiedWatch(light, state, dev.occupied_blink_while_recording, on_change=changed)
