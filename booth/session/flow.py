"""The candidate's path through the booth, as a plain state machine.

No pygame, no files, no devices: the flow takes actions (`handle`), the passing
of time (`tick`) and a few facts from the kiosk (`clip_finished`, `fault`), and
answers with effects (`booth.session.effects`) that the kiosk carries out. Its
clock is injected, so tests and the simulator run it in virtual time.

The flow holds the booth's facts and the candidate in front of it (`Candidate`, new for
every visit); each screen's handler lives with its kind of screen (code_screen, arrival,
clips, questions, overlays) and sees the flow through `FlowControl`. Screens are named after
what the candidate sees (`booth.session.screens`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from booth.session import arrival, clips, code_screen, cues, overlays, questions
from booth.session.booth_rules import BoothRules
from booth.session.candidate import Candidate
from booth.session.clock import Clock
from booth.session.codes_entry import InvitationUses, Lockout, NoUses
from booth.session.control import Handler
from booth.session.effects import DiscardTake, Effect, Event, FinishSession
from booth.session.interview import Interview
from booth.session.screens import (
    END_SCREENS,
    HELP_SCREENS,
    INACTIVITY_SCREENS,
    LANGUAGE_SCREENS,
    OVERLAYS,
    WAITING_SCREENS,
    Action,
    Screen,
)
from booth.session.snapshot import snapshot
from booth.session.steps import (
    DEFAULT_PRACTICE_TEXT,  # noqa: F401 (re-exported for the kiosk)
    Step,
)
from booth.session.timing import Timing  # noqa: F401 (re-exported: the flow's settings)
from booth.session.view import View

IDLE_MESSAGE_SECONDS = 15.0
"""Idle's "Ready? Enter your invitation code" after a practice stays this long: it is for the
candidate who just practised, not for the next one."""


class Flow:
    """One booth's candidate flow, from idle through one session and back to idle."""

    def __init__(
        self,
        interviews: Sequence[Interview],
        clock: Clock,
        rules: BoothRules | None = None,
        lockout: Lockout | None = None,
        uses: InvitationUses | None = None,
    ) -> None:
        """`rules`: the booth's languages, timing, consent facts and opening hours; `lockout`:
        the booth's wrong codes as the kiosk last kept them; `uses`: what the booth knows of
        invitations used before (spent, or resumable)."""
        rules = rules or BoothRules()
        if not rules.languages:
            raise ValueError("the booth needs at least one language")
        self.interviews = list(interviews)
        self.booth_languages = tuple(rules.languages)
        self.default_language = rules.language or self.booth_languages[0]
        self.clock = clock
        self.timing = rules.timing
        self._is_open = rules.opening.is_open
        self.consent = rules.consent
        self.next_opening = rules.opening.next_opening
        self.hours_today = rules.opening.today
        self.fault_reason: str | None = None
        # The booth's, not the candidate's: _reset leaves them be.
        self.lockout = lockout or Lockout()
        self.uses: InvitationUses = uses or NoUses()
        self._reset()
        self.screen = Screen.IDLE if self._is_open(clock.now()) else Screen.CLOSED

    # ----------------------------------------------------------------- state
    def _reset(self) -> None:
        """Forget everything about the last candidate."""
        self.candidate = Candidate(language=self.default_language, last_input=self.now())

    @property
    def screen(self) -> Screen:
        return self.candidate.screen

    @screen.setter
    def screen(self, screen: Screen) -> None:
        self.candidate.screen = screen

    @property
    def step(self) -> Step:
        return self.candidate.step

    @property
    def session_open(self) -> bool:
        return self.candidate.session_open

    @property
    def replaying(self) -> bool:
        return self.candidate.replaying

    @property
    def languages(self) -> tuple[str, ...]:
        if self.candidate.interview is not None:
            return tuple(self.candidate.interview.languages)
        return self.booth_languages

    @property
    def code_places(self) -> int:
        """Digits of the installed invitation codes (the longest), 0 while unknown.

        An interview's code book tells its code lengths (`CodeBook.code_lengths`); one that
        cannot (hashed codes installed before lengths were recorded) leaves the field without
        places."""
        lengths = [n for iv in self.interviews for n in iv.codes.code_lengths]
        return max(lengths, default=0)

    def now(self) -> float:
        return self.clock.monotonic()

    def goto(self, screen: Screen, out: list[Effect], **fields: Any) -> None:
        c = self.candidate
        c.screen = screen
        c.screens_entered += 1
        # The inactivity guard counts from the moment a screen starts waiting for the candidate.
        c.last_input = self.now()
        out.append(Event("screen", {"screen": screen, **fields}))

    def start_timer(self, seconds: float) -> None:
        self.candidate.timer_end = self.now() + seconds

    def timer_left(self) -> float:
        return self.candidate.timer_left(self.now())

    # ----------------------------------------------------------- entry points
    def handle(self, action: str, value: str | None = None) -> list[Effect]:
        """A candidate's action (touch, key or button), already named."""
        c = self.candidate
        out: list[Effect] = []
        c.last_input = self.now()
        # The typed digit is never logged: it is part of an invitation code.
        out.append(Event("action", {"action": action, "screen": c.screen}))
        screen = c.screen
        done = False
        if action == Action.HELP and screen in HELP_SCREENS:
            overlays.open_overlay(self, Screen.HELP, out)
            done = True
        elif action == Action.LANGUAGE and screen in LANGUAGE_SCREENS:
            self._cycle_language(out)
            done = True
        elif action == Action.END and screen in END_SCREENS and (c.session_open or c.practice_only):
            overlays.open_overlay(self, Screen.END_CONFIRM, out)
            done = True
        else:
            done = SCREEN_HANDLERS[screen](self, action, value, out)
        if not done:
            out.append(Event("refused", {"action": action, "screen": self.screen}))
        return out

    def tick(self) -> list[Effect]:
        """Let time pass: countdowns, time limits, the inactivity guard, opening hours."""
        out: list[Effect] = []
        now = self.now()
        c = self.candidate
        if c.screen in (Screen.IDLE, Screen.CLOSED):
            if c.message and now - c.last_input >= IDLE_MESSAGE_SECONDS:
                c.message = None  # "Ready? Enter your invitation code" after a practice
            is_open = self._is_open(self.clock.now())
            if c.screen == Screen.IDLE and not is_open:
                self.goto(Screen.CLOSED, out)
            elif c.screen == Screen.CLOSED and is_open:
                self.goto(Screen.IDLE, out)
            return out
        if c.screen == Screen.CODE:
            code_screen.tick_code(self)
        cues.tick(self, out)
        # A microsecond of slack: frame times are whole nanoseconds, timers are float seconds.
        if c.paused_left is None and now >= c.timer_end - 1e-6:
            self._timer_ended(out)
        c = self.candidate  # the done screen's timer ends the visit: a new candidate
        if c.screen == Screen.INACTIVE and now >= c.inactive_end:
            self.end_early(out, reason="inactive")
            return out
        wait = self._inactivity_wait(c.screen)
        if wait is not None and not c.clip_running() and now - c.last_input >= wait:
            overlays.open_overlay(self, Screen.INACTIVE, out)
            c.inactive_end = now + self.timing.inactive_grace_seconds
        return out

    def _inactivity_wait(self, screen: Screen) -> float | None:
        """How long `screen` waits without input before "are you still there?" (None: never).
        Help and "end the interview?" wait the long help wait: a candidate who went to fetch
        staff must find the session, and a take not kept yet, as they left it (issue 27)."""
        if screen in INACTIVITY_SCREENS:
            return self.timing.inactivity_seconds
        if screen in WAITING_SCREENS:
            return self.timing.help_wait_seconds
        return None

    def _timer_ended(self, out: list[Effect]) -> None:
        c = self.candidate
        if c.screen == Screen.THINK:
            questions.enter_countdown(self, out)
        elif c.screen == Screen.COUNTDOWN:
            questions.start_recording(self, out)
        elif c.screen == Screen.RECORDING:
            out.append(Event("limit", {"question": c.step.id}))
            questions.stop_recording(self, out)
            # "Your answer reached the time limit", on the screen that follows only.
            self.candidate.limit_notice_at = self.candidate.screens_entered
            self.candidate.limit_step = c.step.id
        elif c.screen == Screen.DONE:
            self.to_idle(out)

    def clip_finished(self) -> list[Effect]:
        """The clip on the intro or question screen (or the take replayed on review) has
        played to its end, or could not be played at all."""
        return clips.clip_finished(self)

    def take_cut_short(self) -> list[Effect]:
        """The recording had to stop (disk full, device trouble): keep what was recorded."""
        out: list[Effect] = []
        if self.screen == Screen.RECORDING:
            out.append(Event("take.cut_short", {"question": self.step.id}))
            questions.stop_recording(self, out)
        return out

    def fault(self, reason: str) -> list[Effect]:
        """A device reports a fault: end any session safely and show out-of-order."""
        out: list[Effect] = []
        self.fault_reason = reason
        if self.screen == Screen.OUT_OF_ORDER:
            return out
        if self.session_open or self.screen == Screen.RECORDING:
            self.end_early(out, reason="fault", to_idle=False)
        self._reset()
        self.goto(Screen.OUT_OF_ORDER, out, reason=reason)
        return out

    def shutdown(self) -> list[Effect]:
        """The kiosk is stopping: end any session as ended-early, keeping what was recorded."""
        out: list[Effect] = []
        if self.session_open or self.screen == Screen.RECORDING:
            self.end_early(out, reason="shutdown", to_idle=False)
        return out

    def clear_fault(self) -> list[Effect]:
        """The fault is gone: back to idle."""
        out: list[Effect] = []
        self.fault_reason = None
        if self.screen == Screen.OUT_OF_ORDER:
            self.to_idle(out)
        elif self.candidate.return_screen == Screen.OUT_OF_ORDER:
            # Help was opened over the fault: Back leads to the start, not to a fault gone.
            opened = self._is_open(self.clock.now())
            self.candidate.return_screen = Screen.IDLE if opened else Screen.CLOSED
        return out

    def session_opened(self, session_ref: str) -> None:
        """The kiosk opened the session's spool directory: its id is the receipt's reference."""
        self.candidate.session_ref = session_ref

    def _cycle_language(self, out: list[Effect]) -> None:
        c = self.candidate
        langs = self.languages
        i = langs.index(c.language) if c.language in langs else -1
        c.language = langs[(i + 1) % len(langs)]
        out.append(Event("language", {"language": c.language}))

    # ------------------------------------------------------------- endings
    def finish(self, out: list[Effect]) -> None:
        c = self.candidate
        if c.session_open:
            out.append(FinishSession("complete"))
            c.session_open = False
            c.finished_at = self.clock.now()
        c.outcome = c.outcome or "complete"
        self.enter_done(out)

    def enter_done(self, out: list[Effect]) -> None:
        self.start_timer(self.timing.done_seconds)
        self.goto(Screen.DONE, out)

    def end_early(self, out: list[Effect], reason: str, to_idle: bool = True) -> None:
        """End the session now: every kept take is sent; a take not kept is sent only where
        the question's rules said it would be (`questions.settle_pending`)."""
        c = self.candidate
        if c.screen == Screen.RECORDING or (
            c.screen in OVERLAYS and c.return_screen == Screen.RECORDING
        ):
            questions.stop_recording_quietly(self, out)
        questions.stop_replay(self, out)  # a take playing back on review is about to be settled
        questions.settle_pending(self, out)
        if c.session_open:
            out.append(FinishSession("ended-early"))
            c.session_open = False
            c.finished_at = self.clock.now()
            c.outcome = "ended-early"
        out.append(Event("session.ended_early", {"reason": reason}))
        if to_idle:
            self.to_idle(out)

    def to_idle(self, out: list[Effect]) -> None:
        pending = self.candidate.pending_take
        if pending is not None and pending[0].practice:
            step, take = pending
            out.append(DiscardTake(step.id, take, True))
        self._reset()
        if self.fault_reason is not None:
            self.goto(Screen.OUT_OF_ORDER, out, reason=self.fault_reason)
        elif self._is_open(self.clock.now()):
            self.goto(Screen.IDLE, out)
        else:
            self.goto(Screen.CLOSED, out)

    # ---------------------------------------------------------------- view
    def view(self) -> View:
        """What the screen shows now."""
        return snapshot(self)


# Every screen's handler, one row a screen like booth.session.screens.RULES; a screen left out
# stops the import. The help, language and end actions are handled before these, on the
# screens that offer them (`Flow.handle`, from RULES).
SCREEN_HANDLERS: dict[Screen, Handler] = {
    Screen.IDLE: arrival.on_idle,
    Screen.CODE: code_screen.on_code,
    Screen.WELCOME: arrival.on_welcome,
    Screen.CONSENT: arrival.on_consent,
    Screen.CHECK: arrival.on_check,
    Screen.INTRO: arrival.on_intro,
    Screen.PRACTICE: questions.on_practice,
    Screen.QUESTION: questions.on_question,
    Screen.THINK: questions.on_think,
    Screen.COUNTDOWN: questions.on_countdown,
    Screen.RECORDING: questions.on_recording,
    Screen.REVIEW: questions.on_review,
    Screen.DONE: questions.on_done,
    Screen.HELP: overlays.on_help,
    Screen.INACTIVE: overlays.on_inactive,
    Screen.CLOSED: arrival.on_closed,
    Screen.OUT_OF_ORDER: arrival.on_out_of_order,
    Screen.END_CONFIRM: overlays.on_end_confirm,
    Screen.CHECK_HELP: overlays.on_check_help,
}
if set(SCREEN_HANDLERS) != set(Screen):
    raise RuntimeError(f"screens without a handler: {set(Screen) - set(SCREEN_HANDLERS)}")
