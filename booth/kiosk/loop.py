"""The kiosk: one frame at a time, the flow, the devices, the takes and the screen.

`Kiosk.step()` is one frame period. The real booth and the windowed demo call it
from `run()`, paced by the frame clock; the headless simulator calls it in
virtual time as fast as the work allows, after moving its world on a frame. The
kiosk cannot tell which: it reads the time from its clock, frames from its
camera, sound from the microphone reader's queue, and hands take work to the
recorder's worker. Actions arrive on one queue from touch, keys and GPIO
buttons alike (gpiozero calls back from its own thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from booth.devices.level_meter import LevelMeter
from booth.devices.ports.camera import Camera, CameraError, CameraFrame
from booth.devices.ports.light import Light
from booth.kiosk.effect_runner import EffectRunner, take_fields
from booth.kiosk.events import EventLog, event_writer
from booth.kiosk.faults import Faults
from booth.kiosk.health import Fault, Faulty, Health, Retried
from booth.kiosk.inputs import BUTTON, Inputs, button_action
from booth.kiosk.installed import InstalledInterviews
from booth.kiosk.light_follower import LightFollower
from booth.kiosk.recorder import Recorder
from booth.kiosk.screen import KioskScreen
from booth.kiosk.state_record import StateRecord
from booth.media.player import ClipPlayer
from booth.media.takefiles import TakeWriteError
from booth.session import effects as fx
from booth.session.flow import Flow
from booth.session.screens import Screen
from booth.session.steps import DEFAULT_PRACTICE_TEXT
from booth.session.view import View

log = logging.getLogger("booth.kiosk")


class Part(Protocol):
    def close(self) -> None: ...


class Reader(Part, Faulty, Protocol):
    """The microphone's reader thread: closed with the devices, its fault read by the health
    check (a reader that died feeds the meter nothing)."""


@dataclass(frozen=True)
class Devices:
    """What the kiosk drives: the camera, the ring light, the microphone's reader thread
    (a `MicReader`, whose chunks reach the kiosk's `Inputs`) and the arcade buttons (posting to
    the same `Inputs`). All are built before the kiosk.

    speaker: a real booth's `ReopeningSpeaker`, for the health check (out of order while an
    interview needs sound); the clip player plays through it and closes it."""

    camera: Camera
    light: Light | None
    mic: Reader | None
    buttons: Part | None = None
    speaker: Retried | None = None

    def close(self) -> None:
        """Release pins and devices: the reader stops before its microphone closes."""
        for part in (self.buttons, self.light, self.mic):
            if part is not None:
                part.close()
        self.camera.stop()


@dataclass(frozen=True)
class KioskParts:
    """What a kiosk is made of besides its flow, devices and inputs, built before it
    (booth.kiosk.build.assemble_kiosk).

    recorder: the takes' files; effects: runs what the flow asks for; faults: what keeps the
    booth out of order; record: the state record; screen: what the candidate sees; clips: the
    clip player; meter: the microphone's level; events: events.jsonl; translators: each
    language's translations; fps: frames a second (the health check runs once a second of
    frames); light: the ring light following the camera (None without a light); installed:
    the installed interviews, taken again when staff change them (None: never)."""

    recorder: Recorder
    effects: EffectRunner
    faults: Faults
    record: StateRecord
    screen: KioskScreen
    clips: ClipPlayer
    meter: LevelMeter
    events: EventLog
    translators: Callable[[str], Callable[[str], str]]
    fps: int
    light: LightFollower | None = None
    installed: InstalledInterviews | None = None


class Kiosk:
    """The booth's frame loop: hands the inputs to `flow`, runs its effects, feeds the camera's
    frames and the microphone's sound to the take, and draws the screen.

    Everything it uses is built before it: `devices` (whose buttons and microphone reader post
    to `inputs`) and `parts`."""

    def __init__(self, flow: Flow, devices: Devices, inputs: Inputs, parts: KioskParts) -> None:
        self.flow = flow
        self.devices = devices
        self.inputs = inputs
        self.recorder = parts.recorder
        self.effects = parts.effects
        self.faults = parts.faults
        self.record = parts.record
        self.light = parts.light
        self.installed = parts.installed
        self.clips = parts.clips
        self.meter = parts.meter
        self.events = parts.events
        self.screen = parts.screen
        self.surface = parts.screen.surface
        self.renderer = parts.screen.renderer
        self.translators = parts.translators
        self.fps = parts.fps
        self._log_event = event_writer(parts.events, flow.clock)
        self.frame: CameraFrame | None = None  # the camera's latest frame
        self._last_screen = ""
        self._frames = 0
        self._log_event("kiosk.start", {"screen": flow.screen})
        self._screen_changed()
        self.write_state()

    @property
    def health(self) -> Health:
        return self.faults.health

    @property
    def hitboxes(self) -> list:
        """The touch targets of the screen drawn last."""
        return self.screen.hitboxes

    @property
    def fault(self) -> Fault | None:
        """What keeps the booth out of order now (None when it is fit to record)."""
        return self.faults.current

    # -------------------------------------------------------------- inputs
    def post(self, action: str, value: str | None = None) -> None:
        """Queue an action; safe from any thread."""
        self.inputs.post(action, value)

    def process_actions(self) -> None:
        """Hand every queued action to the flow, in the order they came (guarded like `step`:
        the simulator calls this on its own)."""
        try:
            self._process_actions()
        except Exception as err:
            self.software_failed(err, "action")

    def _process_actions(self) -> None:
        for action, value in self.inputs.actions():
            if action == BUTTON:
                # A button means what the screen offers at the moment it is handled.
                pressed = button_action(value or "", self.flow.screen)
                if pressed is None:
                    continue
                action, value = pressed, None
            self._apply(self.flow.handle(action, value))

    # --------------------------------------------------------------- frame
    def step(self) -> None:
        """One frame period: inputs, time, devices, effects, screen. Whatever raises in it
        ends the session safely and shows out-of-order (`software_failed`): the kiosk never
        dies of content."""
        try:
            self._step()
        except Exception as err:
            self.software_failed(err, "frame")

    def software_failed(self, err: Exception, where: str) -> None:
        """Something raised that should not have: the traceback goes to the journal, a session
        in progress ends early with its kept takes, and the booth shows out-of-order with the
        reason in `booth status`."""
        log.exception("kiosk: the %s on screen %s failed", where, self.flow.screen)
        if not self.faults.software_failed(err, self.flow.screen):
            return
        try:
            detail = self.faults.current.detail if self.faults.current else ""
            self._log_event("fault", {"fault": "software", "detail": detail})
            self._apply(self.flow.fault("software"))
        except Exception:
            log.exception("kiosk: ending the session after the error failed too")
            self.flow._reset()
            self.flow.fault_reason = "software"
            self.flow.screen = Screen.OUT_OF_ORDER
        try:
            self.write_state()
        except OSError:
            log.exception("kiosk: cannot write the state record")

    def _step(self) -> None:
        # Sound up to now belongs to a take still running, even if this frame ends it.
        self._listen()
        self._process_actions()
        self._apply(self.flow.tick())
        self._look()
        self.recorder.tick(self.flow.clock.monotonic_ns())
        self._frames += 1
        if self._frames % self.fps == 0:
            self._check_health()
        if self.clips.finished(self.flow.clock.monotonic()):
            self._apply(self.flow.clip_finished())
        self._check_replay()
        self._log_clip_report()

    def _check_replay(self) -> None:
        """A take whose MP4 never comes (its mux failed) must not hold the review screen."""
        gave_up = self.effects.replay.given_up(self.flow.replaying, self.flow.clock.monotonic())
        if gave_up is not None:
            self._log_event("take.replay_unavailable", take_fields(gave_up))
            self._apply(self.flow.clip_finished())

    def _log_clip_report(self) -> None:
        report = self.clips.take_report()
        if report is not None:
            self._log_event("clip.played", report)

    def _look(self) -> None:
        """This frame from the camera: the preview, and the take's video while recording."""
        now_ns = self.flow.clock.monotonic_ns()
        try:
            frame = self.devices.camera.capture(now_ns)
        except CameraError as err:
            log.error("camera: %s", err)
            self.frame = None
            return
        except TakeWriteError as err:
            self._cut_short(err)
            return
        self.frame = frame
        if self.light is not None:
            self.light.follow(self.flow.screen, frame.metadata, now_ns)

    @property
    def preview(self) -> np.ndarray | None:
        """The latest frame's preview (made now if the camera had not made it yet)."""
        return self.frame.preview if self.frame is not None else None

    def _listen(self) -> None:
        """The microphone's chunks since the last frame: the level meter, and the take's audio."""
        for chunk in self.inputs.audio():
            self.meter.feed(chunk.samples)
            try:
                self.recorder.audio(chunk.samples, chunk.timestamp_ns)
            except TakeWriteError as err:
                self._cut_short(err)

    def _cut_short(self, err: Exception) -> None:
        """The disk refused the take (full?): stop it cleanly and keep what is on disk."""
        log.error("take stopped early: %s", err)
        self._log_event("take.write_error", {"error": str(err)})
        self._apply(self.flow.take_cut_short())

    def _check_installed(self) -> None:
        """Take interviews staff installed or removed, while nobody is in the booth."""
        if self.installed is None or self.flow.screen not in ("idle", "closed", "out-of-order"):
            return
        interviews = self.installed.take_changes(self._log_event)
        if interviews is None:
            return
        self.flow.interviews = list(interviews)
        self.health.set_interviews(interviews)
        self._log_event("interviews.loaded", {"interviews": [iv.id for iv in interviews]})
        self.faults.content_changed()  # staff changed the content: a software fault is tried again

    def _check_health(self) -> None:
        self._check_installed()
        if self.faults.check(in_session=self.flow.session_open):
            fault = self.faults.current
            self._apply(self.flow.fault(fault.id) if fault else self.flow.clear_fault())
        self.write_state()

    def write_state(self, stopped: bool = False) -> None:
        """Publish what the kiosk is doing for the sync agent and `booth status`."""
        self.record.write(self.flow.screen, self.faults.current, stopped)

    # ------------------------------------------------------------- effects
    def _apply(self, effects: list[fx.Effect]) -> None:
        self.effects.run(effects)
        if self.flow.screen != self._last_screen:
            self._screen_changed()
            self.write_state()
        self.clips.follow(self.current_view(), self.flow.clock.monotonic())
        self._log_clip_report()

    def _screen_changed(self) -> None:
        self._last_screen = self.flow.screen
        if (name := self.screen.next_shot(self.flow.screen)) is not None:
            self.screenshot(name)

    # -------------------------------------------------------------- screen
    def current_view(self) -> View:
        """The flow's view, with what only the kiosk knows: translated default texts and the
        MP4 of a take being replayed on review."""
        view = self.flow.view()
        if view.question_text == DEFAULT_PRACTICE_TEXT:
            view = replace(view, question_text=self.translators(view.language)(view.question_text))
        if view.replaying:
            path = self.effects.replay.path()
            view = replace(view, clip_path=str(path) if path is not None else None)
        return view

    def render(self) -> None:
        """Draw the screen; a screen that cannot be drawn puts the booth out of order."""
        try:
            self._render()
        except Exception as err:
            self.software_failed(err, "drawing")
            try:
                self._render()
            except Exception:
                log.exception("kiosk: the out-of-order screen cannot be drawn either")

    def _render(self) -> None:
        self.screen.draw(self.current_view(), self.frame, self.flow.clock.monotonic())

    def screenshot(self, name: str) -> Path:
        """The screen drawn now, saved as `name`.png in the screenshots folder."""
        self.render()
        return self.screen.save(name)

    def close(self) -> None:
        """Stop: a session still open ends as ended-early with what it recorded."""
        self._apply(self.flow.shutdown())
        self.effects.close()
        self.clips.close()
        self._log_clip_report()
        self.recorder.close()
        self.devices.close()
        self.write_state(stopped=True)
        self._log_event("kiosk.stop", {"screen": self.flow.screen})
        self.events.close()
