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
import os
import queue
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pygame

from booth.devices.camera import Camera, CameraError, CameraFrame
from booth.devices.level_meter import LevelMeter
from booth.devices.light import RingLight
from booth.devices.microphone import AudioChunk
from booth.kiosk.events import EventLog
from booth.kiosk.health import Fault, Health
from booth.kiosk.installed import InstalledInterviews
from booth.kiosk.recorder import Recorder
from booth.light.controller import LightController, light_mode
from booth.light.override import OverrideWatch
from booth.light.record import LightRecord
from booth.media.takefiles import TakeWriteError
from booth.session import effects as fx
from booth.session.codes_entry import Lockout
from booth.session.flow import Flow
from booth.session.screens import Screen
from booth.session.steps import DEFAULT_PRACTICE_TEXT
from booth.session.view import View
from booth.state import InvitationStore, KioskState, activity_of, iso, write_lockout
from booth.ui.input import primary_action, record_stop_action
from booth.ui.renderer import shows_preview
from booth.ui.subtitles_draw import draw_subtitle
from booth.ui.widgets import MicLevel

log = logging.getLogger("booth.kiosk")

BUTTON = "button"
# How long a take replay waits for the take's MP4 (muxed in the background) before giving up.
REPLAY_WAIT_S = 5.0


def button_action(button: str, screen: str) -> str | None:
    """What an arcade button does on a screen: record/stop, next (the screen's main step), back."""
    if button == "record":
        return record_stop_action(screen)
    if button == "next":
        return primary_action(screen)
    if button == "back":
        return "back"
    return None


class Part(Protocol):
    def close(self) -> None: ...


@dataclass
class Devices:
    """What the kiosk drives: the camera, the ring light, the microphone's reader thread
    (a `MicReader`, whose chunks reach `Kiosk.on_audio`) and the arcade buttons."""

    camera: Camera
    light: RingLight | None
    mic: Part | None
    buttons: Part | None = None

    def close(self) -> None:
        """Release pins and devices: the reader stops before its microphone closes."""
        for part in (self.buttons, self.light, self.mic):
            if part is not None:
                part.close()
        self.camera.stop()


class Kiosk:
    def __init__(
        self,
        flow: Flow,
        devices: Devices,
        recorder: Recorder,
        surface: pygame.Surface,
        renderer: Any,
        translators: Any,
        events: EventLog,
        clips: Any,
        meter: LevelMeter,
        fps: int,
        health: Health | None = None,
        state_dir: Path | None = None,
        light_controller: LightController | None = None,
        installed: InstalledInterviews | None = None,
        screenshots: Path | None = None,
        invitations: InvitationStore | None = None,
    ) -> None:
        self.flow = flow
        self.devices = devices
        self.recorder = recorder
        self.surface = surface
        self.renderer = renderer
        self.translators = translators
        self.events = events
        self.clips = clips
        self.fps = fps
        self.screenshots = screenshots
        self.actions: queue.SimpleQueue[tuple[str, str | None]] = queue.SimpleQueue()
        self._audio: queue.SimpleQueue[AudioChunk] = queue.SimpleQueue()
        self.frame: CameraFrame | None = None  # the camera's latest frame
        self.meter = meter
        self.hitboxes: list = []
        self._shots = 0
        self._last_screen = ""
        self._take_limit: float | None = None
        self._replay: fx.ReplayTake | None = None  # the take the review screen plays back
        self._replay_asked = 0.0
        self.health = health
        self.state_dir = state_dir
        self.light_controller = light_controller
        self.installed = installed
        self.light_override = OverrideWatch(state_dir) if state_dir is not None else None
        self.light_record = LightRecord(state_dir) if state_dir is not None else None
        self.fault: Fault | None = None
        # An error of the booth's own (content it could not show, a bug): out of order until
        # staff install or remove an interview, or restart the kiosk. Never a crash loop.
        self.software_fault: Fault | None = None
        self.invitations = invitations
        self._invitation: tuple[str, str] | None = None  # the open session's (interview, ref)
        self._frames = 0
        self._idle_since: str | None = None
        self._occupied = False  # a candidate's session is open (the occupied light's "on")
        self._occupancy_since: str | None = None
        self._log_event("kiosk.start", {"screen": flow.screen})
        self._screen_changed()
        self.write_state()

    # -------------------------------------------------------------- inputs
    def post(self, action: str, value: str | None = None) -> None:
        """Queue an action; safe from any thread (GPIO callbacks)."""
        self.actions.put((action, value))

    def post_button(self, name: str) -> None:
        """An arcade button was pressed (from gpiozero's thread): queue it."""
        self.actions.put((BUTTON, name))

    def process_actions(self) -> None:
        """Hand every queued action to the flow, in the order they came (guarded like `step`:
        the simulator calls this on its own)."""
        try:
            self._process_actions()
        except Exception as err:
            self.software_failed(err, "action")

    def _process_actions(self) -> None:
        while True:
            try:
                action, value = self.actions.get_nowait()
            except queue.Empty:
                return
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
        first = self.software_fault is None
        screen = self.flow.screen if first else "out-of-order"
        self.software_fault = self.fault = Fault(
            "software",
            f"the kiosk stopped on the {screen} screen after an error: {type(err).__name__}: "
            f"{str(err)[:200]} (traceback: journalctl -u booth-kiosk; out of order until an "
            "interview is installed or removed, or the kiosk restarts)",
        )
        if not first:
            return
        try:
            self._log_event("fault", {"fault": "software", "detail": self.fault.detail})
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

    def _replay_path(self) -> Path | None:
        """The MP4 of the take the review screen plays back, once it is muxed."""
        e = self._replay
        if e is None:
            return None
        return self.recorder.take_mp4(e.question_id, e.take, e.practice)

    def _check_replay(self) -> None:
        """A take whose MP4 never comes (its mux failed) must not hold the review screen."""
        if self._replay is None or not self.flow.replaying:
            return
        waited = self.flow.clock.monotonic() - self._replay_asked
        if self._replay_path() is None and waited >= REPLAY_WAIT_S:
            self._log_event("take.replay_unavailable", _take_fields(self._replay))
            self._replay = None
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
        self._follow_light(frame.metadata, now_ns)

    @property
    def preview(self) -> np.ndarray | None:
        """The latest frame's preview (made now if the camera had not made it yet)."""
        return self.frame.preview if self.frame is not None else None

    def _follow_light(self, metadata: dict, now_ns: int) -> None:
        """The ring light follows the camera's exposure (or staff's `booth light set`)."""
        if self.light_controller is None or self.devices.light is None:
            return
        override = self.light_override.poll() if self.light_override is not None else None
        mode = light_mode(self.flow.screen, override)
        output = self.light_controller.update(metadata, now_ns / 1e9, mode, override)
        self.devices.light.set(output)
        if self.light_record is not None:
            self.light_record.update(self.light_controller, now_ns / 1e9)

    def _listen(self) -> None:
        """The microphone's chunks since the last frame: the level meter, and the take's audio."""
        for chunk in self._drain_audio():
            self.meter.feed(chunk.samples)
            try:
                self.recorder.audio(chunk.samples, chunk.timestamp_ns)
            except TakeWriteError as err:
                self._cut_short(err)

    def on_audio(self, chunk: AudioChunk) -> None:
        """A microphone chunk from the reader thread; safe from any thread."""
        self._audio.put(chunk)

    def _drain_audio(self) -> list[AudioChunk]:
        chunks = []
        while True:
            try:
                chunks.append(self._audio.get_nowait())
            except queue.Empty:
                return chunks

    def _cut_short(self, err: Exception) -> None:
        """The disk refused the take (full?): stop it cleanly and keep what is on disk."""
        log.error("take stopped early: %s", err)
        self._log_event("take.write_error", {"error": str(err)})
        self._apply(self.flow.take_cut_short())

    def _check_installed(self) -> None:
        """Take interviews staff installed or removed, while nobody is in the booth."""
        if self.installed is None or self.flow.screen not in ("idle", "closed", "out-of-order"):
            return
        if not self.installed.changed():
            return
        interviews, problems = self.installed.load()
        if problems:
            for problem in problems:
                log.error("installed interviews not taken: %s", problem)
            self._log_event("interviews.problem", {"problems": [str(p) for p in problems]})
            return
        self.flow.interviews = list(interviews)
        if self.health is not None:
            self.health.set_interviews(interviews)
        self._log_event("interviews.loaded", {"interviews": [iv.id for iv in interviews]})
        if self.software_fault is not None:  # staff changed the content: try again
            self.software_fault = None

    def _check_health(self) -> None:
        self._check_installed()
        if self.health is None:
            return
        fault = self.software_fault or self.health.check(in_session=self.flow.session_open)
        if fault != self.fault:
            self.fault = fault
            if fault is not None:
                log.error("out of order: %s", fault.detail)
                self._log_event("fault", {"fault": fault.id, "detail": fault.detail})
                self._apply(self.flow.fault(fault.id))
            else:
                self._log_event("fault.cleared", {})
                self._apply(self.flow.clear_fault())
        self.write_state()

    def write_state(self, stopped: bool = False) -> None:
        """Publish what the kiosk is doing for the sync agent and `booth status`."""
        if self.state_dir is None:
            return
        activity = "stopped" if stopped else activity_of(self.flow.screen)
        now = self.flow.clock.now()
        if activity != "idle":
            self._idle_since = None
        elif self._idle_since is None:
            self._idle_since = iso(now)
        occupied = activity == "session"
        if occupied != self._occupied or self._occupancy_since is None:
            self._occupied, self._occupancy_since = occupied, iso(now)
        KioskState(
            activity=activity,
            screen=self.flow.screen,
            fault=self.fault.detail if self.fault else None,
            updated=iso(now),
            idle_since=self._idle_since,
            pid=os.getpid(),
            fault_id=self.fault.id if self.fault else None,
            occupancy_since=self._occupancy_since,
        ).write(self.state_dir)

    # ------------------------------------------------------------- effects
    def _apply(self, effects: list) -> None:
        flow = self.flow
        for e in effects:
            wall = flow.clock.now()
            if isinstance(e, fx.Event):
                self._log_event(e.name, e.fields)
            elif isinstance(e, fx.RecordLockout):
                if self.state_dir is not None:
                    write_lockout(self.state_dir, Lockout(e.wrong, e.last_wrong, e.until, e.waits))
            elif isinstance(e, fx.OpenSession):
                sid = self.recorder.open_session(e.interview_id, e.candidate_ref, wall, e.resumes)
                flow.session_opened(sid)  # the done screen's receipt names it
                self._invitation = (e.interview_id, e.candidate_ref)
                if self.invitations is not None:
                    self.invitations.opened(e.interview_id, e.candidate_ref, sid)
                fields = {"session": sid, "interview": e.interview_id}
                if e.resumes:
                    fields["resumes"] = e.resumes
                self._log_event("session.open", fields)
            elif isinstance(e, fx.StartTake):
                self.recorder.start_take(
                    e.question_id, e.take, e.practice, e.max_seconds, wall, e.sent_without_keeping
                )
                self._take_limit = e.max_seconds
                if not e.practice and self.invitations is not None and self._invitation:
                    self.invitations.take(*self._invitation, e.question_id, e.take)
                self._log_event("take.start", _take_fields(e))
            elif isinstance(e, fx.StopTake):
                # The last frame period may overshoot the limit by a frame: cap it.
                self.recorder.stop_take(self._take_limit, self.flow.clock.monotonic_ns())
                self._log_event("take.stop", _take_fields(e))
            elif isinstance(e, fx.KeepTake):
                self.recorder.keep_take(e.question_id, e.take)
                if self.invitations is not None and self._invitation:
                    self.invitations.kept(*self._invitation, e.question_id)
                self._log_event("take.keep", _take_fields(e))
            elif isinstance(e, fx.DiscardTake):
                self.recorder.discard_take(e.question_id, e.take, e.practice)
                self._log_event("take.discard", _take_fields(e))
            elif isinstance(e, fx.ReplayTake):
                self._replay, self._replay_asked = e, flow.clock.monotonic()
                self._log_event("take.replay", _take_fields(e))
            elif isinstance(e, fx.FinishSession):
                self.recorder.finish_session(e.status, wall)
                if self.invitations is not None and self._invitation:
                    self.invitations.finished(*self._invitation, e.status)
                self._invitation = None
                self._log_event("session.finish", {"status": e.status})
        if flow.screen != self._last_screen:
            self._screen_changed()
            self.write_state()
        self.clips.follow(self.current_view(), flow.clock.monotonic())
        self._log_clip_report()

    def _screen_changed(self) -> None:
        self._last_screen = self.flow.screen
        if self.screenshots is not None:
            self._shots += 1
            self.screenshot(f"{self._shots:03d}-{self.flow.screen}")

    def _log_event(self, name: str, fields: dict) -> None:
        clock = self.flow.clock
        self.events.write(clock.monotonic(), clock.now(), name, fields)

    # -------------------------------------------------------------- screen
    def current_view(self) -> View:
        """The flow's view, with what only the kiosk knows: translated default texts and the
        MP4 of a take being replayed on review."""
        view = self.flow.view()
        if view.question_text == DEFAULT_PRACTICE_TEXT:
            view = replace(view, question_text=self.translators(view.language)(view.question_text))
        if view.replaying:
            path = self._replay_path()
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
        view = self.current_view()
        meter = self.meter
        mic = MicLevel(meter.rms_dbfs, meter.peak_dbfs, meter.clipping, meter.too_quiet)
        now = self.flow.clock.monotonic()
        clip_frame = self.clips.frame(now)
        preview = self.preview if shows_preview(view.screen) else None
        self.hitboxes = self.renderer.draw(
            self.surface, view, preview, mic, now, clip_frame=clip_frame
        )
        clip_rect = self.renderer.clip_rect
        if clip_rect is not None and view.clip_path:
            self.clips.shown_size = clip_rect.size  # later frames are decoded at this size
            subtitle = self.clips.subtitle(now, view.language)
            draw_subtitle(self.surface, clip_rect, subtitle, self.renderer.fonts)

    def screenshot(self, name: str) -> Path:
        assert self.screenshots is not None
        self.render()
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{name}.png"
        pygame.image.save(self.surface, str(path))
        return path

    def close(self) -> None:
        """Stop: a session still open ends as ended-early with what it recorded."""
        self._apply(self.flow.shutdown())
        self.clips.close()
        self._log_clip_report()
        self.recorder.close()
        self.devices.close()
        self.write_state(stopped=True)
        self._log_event("kiosk.stop", {"screen": self.flow.screen})
        self.events.close()


def _take_fields(e: Any) -> dict:
    return {"question": e.question_id, "take": e.take, "practice": getattr(e, "practice", False)}
