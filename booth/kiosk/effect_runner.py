"""Carries out what the session flow asks for: takes, sessions, invitations, the lockout.

The flow is pure and returns effects (booth.session.effects); this runs each against the
recorder, the invitations record and the state directory, and logs it to events.jsonl. One
small handler per kind of effect, chosen by `match`: mypy checks that every kind has one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, assert_never

from booth.kiosk.events import LogEvent
from booth.kiosk.recorder import Recorder
from booth.kiosk.replay import Replay
from booth.media.cues import GUARD_S, CuePlayer
from booth.session import effects as fx
from booth.session.codes_entry import Lockout
from booth.session.flow import Flow
from booth.state import InvitationStore, write_lockout


class EffectRunner:
    """Runs `flow`'s effects with `recorder`; the open session's invitation is kept in
    `invitations`, the wrong-code lockout in `state_dir`, and each effect goes to `log_event`.
    `replay` is the take the review screen plays back. `cues` sounds the flow's cues (None:
    `[sound] cues = false`)."""

    def __init__(
        self,
        flow: Flow,
        recorder: Recorder,
        invitations: InvitationStore,
        state_dir: Path,
        log_event: LogEvent,
        cues: CuePlayer | None = None,
    ) -> None:
        self.flow = flow
        self.cues = cues
        self.recorder = recorder
        self.invitations = invitations
        self.state_dir = state_dir
        self._log_event = log_event
        self.replay = Replay(recorder)
        self._take_limit: float | None = None
        self._invitation: tuple[str, str] | None = None  # the open session's (interview, ref)

    def run(self, effects: list[fx.Effect]) -> None:
        """Carry out `effects` in order."""
        for effect in effects:
            self.run_one(effect)

    def run_one(self, e: fx.Effect) -> None:
        match e:
            case fx.Event():
                self._log_event(e.name, e.fields)
            case fx.RecordLockout():
                write_lockout(self.state_dir, Lockout(e.wrong, e.last_wrong, e.until, e.waits))
            case fx.OpenSession():
                self._open_session(e)
            case fx.StartTake():
                self._start_take(e)
            case fx.StopTake():
                # The last frame period may overshoot the limit by a frame: cap it.
                self.recorder.stop_take(self._take_limit, self.flow.clock.monotonic_ns())
                self._log_event("take.stop", take_fields(e))
            case fx.KeepTake():
                self._keep_take(e)
            case fx.DiscardTake():
                self.recorder.discard_take(e.question_id, e.take, e.practice)
                self._log_event("take.discard", take_fields(e))
            case fx.ReplayTake():
                self.replay.ask(e, self.flow.clock.monotonic())
                self._log_event("take.replay", take_fields(e))
            case fx.Cue():
                self._sound_cue(e.cue)
            case fx.FinishSession():
                self._finish_session(e)
            case _:
                assert_never(e)

    def close(self) -> None:
        """Stop the cues' thread (a real booth's)."""
        if self.cues is not None:
            self.cues.close()

    def _sound_cue(self, name: str) -> None:
        """A cue through the speaker; one sounding during a take is noted in it, so its mux
        takes the tone back out of the window in which the microphone may hear it."""
        if self.cues is None:
            return
        now_ns = self.flow.clock.monotonic_ns()
        cue = self.cues.play(name)
        end_ns = now_ns + round((cue.seconds + GUARD_S) * 1e9)
        for hz in cue.hz:
            self.recorder.tone_sounded(hz, now_ns, end_ns)
        self._log_event("cue", {"cue": name})

    def _open_session(self, e: fx.OpenSession) -> None:
        wall = self.flow.clock.now()
        sid = self.recorder.open_session(e.interview_id, e.candidate_ref, wall, e.resumes)
        self.flow.session_opened(sid)  # the done screen's receipt names it
        self._invitation = (e.interview_id, e.candidate_ref)
        self.invitations.opened(e.interview_id, e.candidate_ref, sid)
        fields = {"session": sid, "interview": e.interview_id}
        if e.resumes:
            fields["resumes"] = e.resumes
        self._log_event("session.open", fields)

    def _start_take(self, e: fx.StartTake) -> None:
        wall = self.flow.clock.now()
        self.recorder.start_take(
            e.question_id, e.take, e.practice, e.max_seconds, wall, e.sent_without_keeping
        )
        self._take_limit = e.max_seconds
        if not e.practice and self._invitation:
            self.invitations.take(*self._invitation, e.question_id, e.take)
        self._log_event("take.start", take_fields(e))

    def _keep_take(self, e: fx.KeepTake) -> None:
        self.recorder.keep_take(e.question_id, e.take)
        if self._invitation:
            self.invitations.kept(*self._invitation, e.question_id)
        self._log_event("take.keep", take_fields(e))

    def _finish_session(self, e: fx.FinishSession) -> None:
        self.recorder.finish_session(e.status, self.flow.clock.now())
        if self._invitation:
            self.invitations.finished(*self._invitation, e.status)
        self._invitation = None
        self._log_event("session.finish", {"status": e.status})


TakeEffect = fx.StartTake | fx.StopTake | fx.KeepTake | fx.DiscardTake | fx.ReplayTake


def take_fields(e: TakeEffect) -> dict[str, Any]:
    """A take's fields in events.jsonl: question, take, and whether it is a practice take."""
    return {"question": e.question_id, "take": e.take, "practice": getattr(e, "practice", False)}
