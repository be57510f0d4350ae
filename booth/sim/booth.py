"""The simulated booth: the kiosk of a real booth, on simulated devices, in virtual time.

This is the simulator's composition root, the counterpart of booth.kiosk.live. It builds the
same kiosk (booth.kiosk.build.assemble_kiosk) on the simulated world's devices
(booth.sim.devices), with the same threads: the microphone's reader
thread (`MicReader`, reading an ALSA `file` PCM that the simulated world feeds), the camera's
encoder thread, and the recorder's worker. Only the clock is virtual. `SimBooth.step` moves the
world on one camera frame, waits until the reader has handed on the sound that reached the
microphone by then, runs one kiosk frame and, in a headless run, waits for the recorder's
worker: every run of the same script gives the same takes.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pygame
from gpiozero.pins import Factory

from booth.config.settings import LightSettings, Recording, Settings
from booth.devices.face_exposure import camera_aim
from booth.devices.mic_reader import MicReader
from booth.devices.occupied import OccupiedLight
from booth.devices.ports.light import Light
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
from booth.occupied.watch import OccupiedWatch
from booth.privacy.seal import Sealing
from booth.sim.calibration import calibrate_simulated
from booth.sim.clock import VirtualClock
from booth.sim.devices import SimulatedWorld
from booth.sim.virtual_speaker import VirtualSpeaker
from booth.sim.world import SimWorld, await_sound
from booth.state import Occupancy

log = logging.getLogger("booth.sim")


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


@dataclass
class SimBooth:
    """A kiosk on simulated hardware and the world around it, moved one frame at a time.

    kiosk: the booth's kiosk, exactly as `booth kiosk` runs it on a Pi.
    world: the simulated room, candidate and microphone; clock: the kiosk's virtual clock.
    reader: the microphone's reader thread; jobs: the recorder's worker (a `StepExecutor` in
    virtual time, drained every step; a plain thread pool when paced by a window).
    speaker: the simulator's side of the speaker (what the kiosk played).
    occupied: the occupied light's owner, when `[devices] occupied_pin` is set.
    """

    kiosk: Kiosk
    world: SimWorld
    clock: VirtualClock
    reader: MicReader
    jobs: Executor
    speaker: VirtualSpeaker
    occupied: OccupiedWatch | None = None

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
    world: SimWorld, light: Light, state: Path, rec: Recording, aim: LightSettings
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


@dataclass(frozen=True)
class SimRun:
    """How `build_sim_booth` runs a simulated booth.

    start: the virtual clock's first moment (None: now). screenshots: every screen the kiosk
    shows is saved under OUT/screens. world: the simulated world to take the devices from
    (None: one in OUT/state, with `seed` and `realtime`; otherwise the world's own `realtime`
    applies). realtime: False for a headless run in virtual time (as fast as the work allows,
    reproducible); True when a window paces it (`booth demo`).
    """

    start: datetime | None = None
    screenshots: bool = True
    world: SimulatedWorld | None = None
    seed: int = 1
    realtime: bool = False


HEADLESS = SimRun()
"""A headless run in virtual time from now, with screenshots: what the tests and `booth
simulate` use."""


def build_sim_booth(
    settings: Settings,
    interviews_dir: Path,
    out: Path,
    surface: pygame.Surface,
    run: SimRun = HEADLESS,
) -> SimBooth:
    """A booth on simulated hardware whose spool, state, screens and events go to `out`, run
    as `run` says."""
    keep_frames_out_of_the_heap()
    state = out / "state"
    state.mkdir(parents=True, exist_ok=True)
    sealing = Sealing.for_settings(settings, state)
    interviews = load_installed(interviews_dir, sealing)
    sealing = sized_sealing(settings, interviews, state)
    clock = VirtualClock(run.start)
    rec = settings.recording
    events = EventLog(out / "events.jsonl")
    spool = open_spool(out / "spool", clock, events, sealing)

    # On the kiosk's virtual clock the speaker keeps what it played when, and the microphone
    # hears it through the booth's air (booth.sim.room).
    world = run.world or SimulatedWorld(
        settings, state, seed=run.seed, realtime=run.realtime, clock_ns=clock.monotonic_ns
    )
    realtime = world.realtime
    room = world.room
    speaker = world.speaker()
    mic = world.microphone()
    light = world.ring_light()
    curve = simulated_curve(room, light, state, rec, world.light_settings)
    controller = LightController(
        world.light_settings, curve, flicker_period_us=rec.flicker_period_us
    )
    camera = world.camera()
    camera.start()
    jobs: Executor = (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="takes")
        if realtime
        else StepExecutor()
    )

    inputs = Inputs()
    reader = mic_reader(mic, inputs)
    devices = Devices(
        camera=camera, light=light, mic=reader, buttons=open_buttons(settings, world.pins, inputs)
    )
    kiosk = assemble_kiosk(
        settings,
        interviews,
        devices,
        inputs,
        surface,
        KioskServices(
            clock,
            spool,
            state,
            events,
            ClipPlayer(speaker, realtime=realtime),
            controller,
            jobs,
            interviews_dir=interviews_dir,
            screenshots=out / "screens" if run.screenshots else None,
        ),
    )
    reader.start()
    occupied = None
    if settings.devices.occupied_pin is not None:
        events_out = EventLog(out / "events.jsonl")
        occupied = sim_occupied_watch(settings, world.pins, state, events_out, clock)
    return SimBooth(kiosk, room, clock, reader, jobs, world.virtual_speaker, occupied)


def sim_occupied_watch(
    settings: Settings, pins: Factory, state: Path, events: EventLog, clock: VirtualClock
) -> OccupiedWatch:
    """The occupied light on the world's `pins`, following the kiosk's record in `state` as its own
    process does on a booth; each change of the light goes to `events` ("occupied.light")."""
    dev = settings.devices
    assert dev.occupied_pin is not None
    light = OccupiedLight(dev.occupied_pin, pins)

    def changed(mode: str, occ: Occupancy) -> None:
        fields = {"light": mode, "pin": dev.occupied_pin, "since": occ.since}
        events.write(clock.monotonic(), clock.now(), "occupied.light", fields)

    return OccupiedWatch(light, state, dev.occupied_blink_while_recording, on_change=changed)
