"""The candidate's path through the booth, as a plain state machine.

No pygame, no files, no devices: the flow takes actions (`handle`), the passing
of time (`tick`) and a few facts from the kiosk (`clip_finished`, `fault`), and
answers with effects (`booth.session.effects`) that the kiosk carries out. Its
clock is injected, so tests and the simulator run it in virtual time.

Screens are named after what the candidate sees (see `booth.session.view`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from booth.session import codes_entry
from booth.session.clock import Clock
from booth.session.codes_entry import InvitationUses, Lockout, NoUses
from booth.session.effects import (
    DiscardTake,
    Effect,
    Event,
    FinishSession,
    KeepTake,
    OpenSession,
    ReplayTake,
    StartTake,
    StopTake,
)
from booth.session.interview import Interview
from booth.session.invitation import Invitation
from booth.session.screens import (
    CLIP_SCREENS,
    END_SCREENS,
    HELP_SCREENS,
    INACTIVITY_SCREENS,
    LANGUAGE_SCREENS,
    OVERLAYS,
    Action,
    Screen,
)
from booth.session.snapshot import snapshot
from booth.session.steps import (
    DEFAULT_PRACTICE_TEXT,  # noqa: F401 (re-exported for the kiosk)
    Step,
    practice_step,
)
from booth.session.timing import Timing
from booth.session.view import ConsentFacts, View


class Flow:
    """One booth's candidate flow, from idle through one session and back to idle."""

    screen: Screen

    def __init__(
        self,
        interviews: Sequence[Interview],
        languages: Sequence[str],
        clock: Clock,
        timing: Timing | None = None,
        is_open: Callable[[datetime], bool] | None = None,
        language: str | None = None,
        lockout: Lockout | None = None,
        uses: InvitationUses | None = None,
        *,
        consent: ConsentFacts | None = None,
        next_opening: Callable[[datetime], datetime | None] | None = None,
        hours_today: Callable[[datetime], str] | None = None,
    ) -> None:
        """`lockout`: the booth's wrong codes as the kiosk last kept them; `uses`: what the
        booth knows of invitations used before (spent, or resumable)."""
        if not languages:
            raise ValueError("the booth needs at least one language")
        self.interviews = list(interviews)
        self.booth_languages = tuple(languages)
        self.default_language = language or self.booth_languages[0]
        self.clock = clock
        self.timing = timing or Timing()
        self._is_open = is_open or (lambda _now: True)
        self.consent = consent or ConsentFacts()
        self.next_opening = next_opening or (lambda _now: None)
        self.hours_today = hours_today or (lambda _now: "")
        self.fault_reason: str | None = None
        # The booth's, not the candidate's: _reset leaves them be.
        self.lockout = lockout or Lockout()
        self.uses: InvitationUses = uses or NoUses()
        self._reset()
        self.screen = Screen.IDLE if self._is_open(clock.now()) else Screen.CLOSED

    # ----------------------------------------------------------------- state
    def _reset(self) -> None:
        """Forget everything about the last candidate."""
        self.screen = Screen.IDLE
        self.language = self.default_language
        self.code_entry = ""
        self.message: str | None = None
        self.interview: Interview | None = None
        self.invitation: Invitation | None = None
        self.practice_only = False
        self.session_open = False
        self.outcome: str | None = None  # how the session ended, for the done screen
        self.steps: list[Step] = []
        self.step_index = 0  # index into self.steps
        self.intro_index = 0
        self.intros_watched: set[int] = set()  # intro clips played to their end once
        self.clip_playing = False
        self.clip_played = False
        self.clip_paused = False
        self.replaying = False  # review: the take is being played back
        self.takes: dict[str, int] = {}  # question id -> takes recorded so far
        self.kept: set[str] = set()  # question ids with an answer kept (or sent as it is)
        self.more_time_used: set[str] = set()  # questions where "I need more time" was used
        self.session_ref: str | None = None  # the spool's session id (`session_opened`)
        self.finished_at: datetime | None = None
        self.screens_entered = 0  # counts screen changes, to show a notice on one screen only
        self.limit_notice_at = -1  # screens_entered when the time limit stopped a take
        self.intro_picked = False  # a single intro clip chosen again: no running on after it
        # A resumed session (codes_entry.begin): the one it continues, and what it skips.
        self.resumes: str | None = None
        self.skipped: set[str] = set()  # step ids not asked again
        self.skip_intro = False
        self.pending_take: tuple[Step, int] | None = None  # recorded, not yet kept
        self.timer_end = 0.0
        self.return_screen: Screen | None = None
        self.paused_left: float | None = None
        self.inactive_end = 0.0
        self.last_input = self.clock.monotonic()

    @property
    def languages(self) -> tuple[str, ...]:
        if self.interview is not None:
            return tuple(self.interview.languages)
        return self.booth_languages

    @property
    def code_places(self) -> int:
        """Digits of the installed invitation codes (the longest), 0 while unknown.

        An interview's code book tells its code lengths (`CodeBook.code_lengths`); one that
        cannot (hashed codes installed before lengths were recorded) leaves the field without
        places."""
        lengths = [n for iv in self.interviews for n in iv.codes.code_lengths]
        return max(lengths, default=0)

    @property
    def opened(self) -> tuple[Interview, Invitation]:
        """The interview and invitation the code opened: every screen from welcome to done of a
        session has them (a walk-in practice has neither and never asks)."""
        if self.interview is None or self.invitation is None:
            raise RuntimeError(f"the {self.screen} screen has no interview: no code opened one")
        return self.interview, self.invitation

    @property
    def step(self) -> Step:
        return self.steps[self.step_index]

    def _now(self) -> float:
        return self.clock.monotonic()

    def _goto(self, screen: Screen, out: list[Effect], **fields: Any) -> None:
        self.screen = screen
        self.screens_entered += 1
        # The inactivity guard counts from the moment a screen starts waiting for the candidate.
        self.last_input = self._now()
        out.append(Event("screen", {"screen": screen, **fields}))

    def _start_timer(self, seconds: float) -> None:
        self.timer_end = self._now() + seconds

    def timer_left(self) -> float:
        if self.paused_left is not None:
            return self.paused_left
        return max(0.0, self.timer_end - self._now())

    # ----------------------------------------------------------- entry points
    def handle(self, action: str, value: str | None = None) -> list[Effect]:
        """A candidate's action (touch, key or button), already named."""
        out: list[Effect] = []
        self.last_input = self._now()
        # The typed digit is never logged: it is part of an invitation code.
        out.append(Event("action", {"action": action, "screen": self.screen}))
        handler = SCREEN_HANDLERS.get(self.screen)
        done = False
        if action == Action.HELP and self.screen in HELP_SCREENS:
            self._open_overlay(Screen.HELP, out)
            done = True
        elif action == Action.LANGUAGE and self.screen in LANGUAGE_SCREENS:
            self._cycle_language(out)
            done = True
        elif (
            action == Action.END
            and self.screen in END_SCREENS
            and (self.session_open or self.practice_only)
        ):
            self._open_overlay(Screen.END_CONFIRM, out)
            done = True
        elif handler is not None:
            done = handler(self, action, value, out)
        if not done:
            out.append(Event("refused", {"action": action, "screen": self.screen}))
        return out

    def tick(self) -> list[Effect]:
        """Let time pass: countdowns, time limits, the inactivity guard, opening hours."""
        out: list[Effect] = []
        now = self._now()
        if self.screen in (Screen.IDLE, Screen.CLOSED):
            if self.message and now - self.last_input >= self.timing.done_seconds:
                self.message = None  # "Ready? Enter your invitation code" after a practice
            is_open = self._is_open(self.clock.now())
            if self.screen == Screen.IDLE and not is_open:
                self._goto(Screen.CLOSED, out)
            elif self.screen == Screen.CLOSED and is_open:
                self._goto(Screen.IDLE, out)
            return out
        if self.screen == Screen.CODE:
            codes_entry.tick_code(self)
        # A microsecond of slack: frame times are whole nanoseconds, timers are float seconds.
        if self.paused_left is None and now >= self.timer_end - 1e-6:
            if self.screen == Screen.THINK:
                self._enter_countdown(out)
            elif self.screen == Screen.COUNTDOWN:
                self._start_recording(out)
            elif self.screen == Screen.RECORDING:
                out.append(Event("limit", {"question": self.step.id}))
                self._stop_recording(out)
                # "Your answer reached the time limit", on the screen that follows only.
                self.limit_notice_at = self.screens_entered
            elif self.screen == Screen.DONE:
                self._to_idle(out)
        if self.screen == Screen.INACTIVE and now >= self.inactive_end:
            self._end_early(out, reason="inactive")
            return out
        if (
            self.screen in INACTIVITY_SCREENS
            and not self._clip_running()
            and now - self.last_input >= self.timing.inactivity_seconds
        ):
            self._open_overlay(Screen.INACTIVE, out)
            self.inactive_end = now + self.timing.inactive_grace_seconds
        return out

    def clip_finished(self) -> list[Effect]:
        """The clip on the intro or question screen (or the take replayed on review) has
        played to its end, or could not be played at all."""
        out: list[Effect] = []
        if not self.clip_playing:
            return out
        self.clip_playing = False
        self.clip_paused = False
        self.last_input = self._now()
        out.append(Event("clip.finished", {"screen": self.screen}))
        if self.replaying:
            self.replaying = False
            return out
        self.clip_played = True
        if self.screen == Screen.INTRO:
            self.intros_watched.add(self.intro_index)
        if self.intro_picked:
            self.intro_picked = False  # a clip picked to watch again: stay on it
        elif self.screen == Screen.INTRO and self.intro_index + 1 < len(self.opened[0].intro_clips):
            self.intro_index += 1
            self._start_clip()
            out.append(Event("clip.start", {"intro": self.intro_index + 1}))
        return out

    def take_cut_short(self) -> list[Effect]:
        """The recording had to stop (disk full, device trouble): keep what was recorded."""
        out: list[Effect] = []
        if self.screen == Screen.RECORDING:
            out.append(Event("take.cut_short", {"question": self.step.id}))
            self._stop_recording(out)
        return out

    def fault(self, reason: str) -> list[Effect]:
        """A device reports a fault: end any session safely and show out-of-order."""
        out: list[Effect] = []
        self.fault_reason = reason
        if self.screen == Screen.OUT_OF_ORDER:
            return out
        if self.session_open or self.screen in (Screen.RECORDING,):
            self._end_early(out, reason="fault", to_idle=False)
        self._reset()
        self._goto(Screen.OUT_OF_ORDER, out, reason=reason)
        return out

    def shutdown(self) -> list[Effect]:
        """The kiosk is stopping: end any session as ended-early, keeping what was recorded."""
        out: list[Effect] = []
        if self.session_open or self.screen == Screen.RECORDING:
            self._end_early(out, reason="shutdown", to_idle=False)
        return out

    def clear_fault(self) -> list[Effect]:
        """The fault is gone: back to idle."""
        out: list[Effect] = []
        self.fault_reason = None
        if self.screen == Screen.OUT_OF_ORDER:
            self._to_idle(out)
        return out

    # -------------------------------------------------------------- overlays
    def _open_overlay(self, screen: Screen, out: list[Effect]) -> None:
        # Help (or "end the interview?") can turn into "are you still there?": all of them
        # return to the screen under them.
        if self.screen not in OVERLAYS:
            self.return_screen = self.screen
            # The think and done countdowns wait while the candidate reads help.
            paused = self.screen in (Screen.THINK, Screen.DONE)
            self.paused_left = self.timer_left() if paused else None
        self._goto(screen, out)

    def _close_overlay(self, out: list[Effect]) -> None:
        back = self.return_screen or Screen.IDLE
        if self.paused_left is not None:
            self._start_timer(self.paused_left)
            self.paused_left = None
        self.return_screen = None
        self._goto(back, out)

    def _on_help(self, action: str, value: str | None, out: list[Effect]) -> bool:
        if action in (Action.BACK, Action.NEXT, Action.CONFIRM):
            self._close_overlay(out)
            return True
        return False

    def _on_inactive(self, action: str, value: str | None, out: list[Effect]) -> bool:
        # Any action means "I'm still here".
        self._close_overlay(out)
        return True

    def _on_end_confirm(self, action: str, value: str | None, out: list[Effect]) -> bool:
        """ "End the interview?": back carries on, confirm ends the session now."""
        if action == Action.BACK:
            self._close_overlay(out)
            return True
        if action == Action.CONFIRM and self.practice_only:
            self._to_idle(out)
            return True
        if action == Action.CONFIRM:
            self.paused_left = None
            self.return_screen = None
            self._end_early(out, reason="candidate", to_idle=False)
            self._enter_done(out)
            return True
        return False

    def session_opened(self, session_ref: str) -> None:
        """The kiosk opened the session's spool directory: its id is the receipt's reference."""
        self.session_ref = session_ref

    # ------------------------------------------------------------ idle, code
    def _cycle_language(self, out: list[Effect]) -> None:
        langs = self.languages
        i = langs.index(self.language) if self.language in langs else -1
        self.language = langs[(i + 1) % len(langs)]
        out.append(Event("language", {"language": self.language}))

    def _on_idle(self, action: str, value: str | None, out: list[Effect]) -> bool:
        if action == Action.START:
            self.message = None  # "Ready? Enter your invitation code" has done its work
            self._goto(Screen.CODE, out)
            return True
        if action == Action.PRACTICE:
            # A walk-in practice is the real path minus the recording: the equipment check
            # first, then the practice question with its think time and time limit.
            self.practice_only = True
            self.message = None
            self.steps = [practice_step()]
            self.step_index = 0
            self._goto(Screen.CHECK, out)
            return True
        return False

    def _on_closed(self, action: str, value: str | None, out: list[Effect]) -> bool:
        return False

    def _on_out_of_order(self, action: str, value: str | None, out: list[Effect]) -> bool:
        return False

    # ------------------------------------------------ welcome, consent, check
    def _on_welcome(self, action: str, value: str | None, out: list[Effect]) -> bool:
        if action == Action.NEXT:
            self._goto(Screen.CONSENT, out)
            return True
        if action == Action.BACK:
            self._to_idle(out)
            return True
        return False

    def _on_consent(self, action: str, value: str | None, out: list[Effect]) -> bool:
        if action == Action.ACCEPT:
            self._open_session(out)
            self._goto(Screen.CHECK, out)
            return True
        if action == Action.DECLINE:
            self._open_session(out)
            out.append(FinishSession("declined"))
            self.session_open = False
            self.outcome = "declined"
            self._enter_done(out)
            return True
        if action == Action.BACK:
            self._goto(Screen.WELCOME, out)
            return True
        return False

    def _open_session(self, out: list[Effect]) -> None:
        interview, invitation = self.opened
        out.append(OpenSession(interview.id, invitation.candidate_ref, self.resumes))
        self.session_open = True

    def _on_check(self, action: str, value: str | None, out: list[Effect]) -> bool:
        if action == Action.BACK and self.practice_only:
            self._to_idle(out)
            return True
        if action == Action.NEXT:
            if self.practice_only:
                self._enter_first_step(out)
            elif self.opened[0].intro_clips and not self.skip_intro:
                self.intro_index = 0
                self._start_clip()
                self._goto(Screen.INTRO, out, intro=1)
            else:
                self._enter_first_step(out)
            return True
        return False

    # --------------------------------------------------------------- clips
    def _start_clip(self) -> None:
        self.clip_playing = True
        self.clip_played = False
        self.clip_paused = False

    def _clip_running(self) -> bool:
        """A clip is moving on screen now: not paused, not covered by help or inactivity."""
        return self.clip_playing and not self.clip_paused and self.screen in CLIP_SCREENS

    def question_audio(self, step: Step) -> Path | None:
        """The spoken question in the candidate's language, if it has one and no clip."""
        if step.clip is not None:
            return None
        return step.audio.get(self.language)

    def _has_media(self) -> bool:
        """The screen has something to play: an intro clip, a question clip or spoken question."""
        if self.screen == Screen.INTRO:
            return True
        return self.screen == Screen.QUESTION and (
            self.step.clip is not None or self.question_audio(self.step) is not None
        )

    def can_pause(self) -> bool:
        if not self.clip_playing:
            return False
        if self.screen == Screen.REVIEW:
            return self.replaying
        return self._has_media() and self.opened[0].replay_allowed

    def can_replay(self) -> bool:
        if self.screen == Screen.REVIEW:
            return not self.replaying
        return (
            self._has_media()
            and self.clip_played
            and not self.clip_playing
            and self.opened[0].replay_allowed
        )

    def _toggle_pause(self, out: list[Effect]) -> bool:
        if not self.can_pause():
            return False
        self.clip_paused = not self.clip_paused
        out.append(
            Event("clip.pause" if self.clip_paused else "clip.resume", {"screen": self.screen})
        )
        return True

    def _replay_clip(self, out: list[Effect], **fields: Any) -> bool:
        if not self.can_replay():
            return False
        self.clip_playing = True
        self.clip_paused = False
        out.append(Event("clip.replay", fields))
        return True

    def _on_intro(self, action: str, value: str | None, out: list[Effect]) -> bool:
        if action == Action.NEXT and self.clip_playing and self.intro_index in self.intros_watched:
            # Skip is offered only for an intro clip already watched to its end.
            out.append(Event("clip.skip", {"intro": self.intro_index + 1}))
            out.extend(self.clip_finished())
            return True
        if action == Action.NEXT and self.clip_played and not self.clip_playing:
            self._enter_first_step(out)
            return True
        if action == Action.REPLAY and value is not None:
            return self._pick_intro(value, out)
        if action == Action.REPLAY:
            return self._replay_clip(out, intro=self.intro_index + 1)
        if action == Action.PAUSE:
            return self._toggle_pause(out)
        return False

    def _pick_intro(self, value: str, out: list[Effect]) -> bool:
        """ "Watch again" with a clip's number: play that intro clip, and only that one."""
        if not value.isdigit() or not 1 <= int(value) <= len(self.opened[0].intro_clips):
            return False
        if self.clip_playing or len(self.intros_watched) < len(self.opened[0].intro_clips):
            return False
        if not self.opened[0].replay_allowed:
            return False
        self.intro_index = int(value) - 1
        self.intro_picked = True
        self._start_clip()
        out.append(Event("clip.replay", {"intro": self.intro_index + 1}))
        return True

    def _enter_first_step(self, out: list[Effect]) -> None:
        self.step_index = 0
        # A resumed session starts at the first question without a kept answer.
        while self.step_index < len(self.steps) and self.step.id in self.skipped:
            self.step_index += 1
        if self.step_index >= len(self.steps):
            self._finish(out)
        elif self.step.practice:
            self._goto(Screen.PRACTICE, out)
        else:
            self._enter_question(out)

    # ---------------------------------------------------------- questions
    def _enter_question(self, out: list[Effect]) -> None:
        step = self.step
        # A clip, or the question read aloud, plays before the candidate may go on.
        media = step.clip is not None or self.question_audio(step) is not None
        self.clip_played = not media
        self.clip_playing = media
        self.clip_paused = False
        self._goto(Screen.QUESTION, out, question=step.id)

    def _on_practice(self, action: str, value: str | None, out: list[Effect]) -> bool:
        if action == Action.RECORD:
            # Like a real question: its think time first, when it has one.
            self._enter_think_or_countdown(out)
            return True
        if action == Action.NEXT:
            self._after_step(out)
            return True
        return False

    def _on_question(self, action: str, value: str | None, out: list[Effect]) -> bool:
        if action == Action.NEXT and self.clip_played and not self.clip_playing:
            self._enter_think_or_countdown(out)
            return True
        if action == Action.REPLAY:
            return self._replay_clip(out, question=self.step.id)
        if action == Action.PAUSE:
            return self._toggle_pause(out)
        return False

    def _enter_think_or_countdown(self, out: list[Effect]) -> None:
        if self.step.think_seconds > 0:
            self._start_timer(self.step.think_seconds)
            self._goto(Screen.THINK, out, question=self.step.id)
        else:
            self._enter_countdown(out)

    def more_time_offered(self) -> float:
        """Seconds "I need more time" would add now (0: not offered, or already used)."""
        step = self.step
        if self.screen != Screen.THINK or step.id in self.more_time_used:
            return 0.0
        return step.extra_think_seconds

    def _on_think(self, action: str, value: str | None, out: list[Effect]) -> bool:
        if action == Action.RECORD:
            self._enter_countdown(out)
            return True
        if action == Action.MORE_TIME:
            extra = self.more_time_offered()
            if extra <= 0:
                return False
            self.more_time_used.add(self.step.id)
            self.timer_end += extra
            out.append(Event("think.more_time", {"question": self.step.id, "seconds": extra}))
            return True
        return False

    def _enter_countdown(self, out: list[Effect]) -> None:
        self._start_timer(self.timing.countdown_seconds)
        self._goto(Screen.COUNTDOWN, out, question=self.step.id)

    def _on_countdown(self, action: str, value: str | None, out: list[Effect]) -> bool:
        return False

    def _start_recording(self, out: list[Effect]) -> None:
        step = self.step
        take = self.takes.get(step.id, 0) + 1
        self.takes[step.id] = take
        self._start_timer(step.answer_seconds)
        out.append(
            StartTake(
                step.id, take, step.practice, step.answer_seconds, step.sent_without_keeping(take)
            )
        )
        self._goto(Screen.RECORDING, out, question=step.id, take=take)

    def _on_recording(self, action: str, value: str | None, out: list[Effect]) -> bool:
        if action == Action.STOP:
            self._stop_recording(out)
            return True
        return False

    def _stop_recording(self, out: list[Effect]) -> None:
        step = self.step
        take = self.takes[step.id]
        out.append(StopTake(step.id, take, step.practice))
        self.pending_take = (step, take)
        if step.review:
            self._goto(Screen.REVIEW, out, question=step.id, take=take)
        else:
            self._keep_pending(out)
            self._after_step(out)

    def takes_left(self, step: Step) -> int | None:
        if step.max_takes == 0:
            return None
        return max(0, step.max_takes - self.takes.get(step.id, 0))

    def _on_review(self, action: str, value: str | None, out: list[Effect]) -> bool:
        assert self.pending_take is not None
        step, take = self.pending_take
        if action == Action.REPLAY:
            if self.replaying:
                return False
            self.replaying = self.clip_playing = True
            self.clip_paused = False
            out.append(ReplayTake(step.id, take, step.practice))
            return True
        if action == Action.PAUSE:
            return self._toggle_pause(out)
        if action == Action.STOP:
            if not self.replaying:
                return False
            self._stop_replay(out)
            return True
        if action in (Action.KEEP, Action.NEXT):
            self._stop_replay(out)
            self._keep_pending(out)
            self._after_step(out)
            return True
        if action == Action.RETAKE:
            left = self.takes_left(step)
            if left is not None and left <= 0:
                return False
            self._stop_replay(out)
            out.append(DiscardTake(step.id, take, step.practice))
            self.pending_take = None
            self._enter_countdown(out)
            return True
        return False

    def _stop_replay(self, out: list[Effect]) -> None:
        """The candidate moved on (or pressed stop) while the take played back."""
        if not self.replaying:
            return
        self.replaying = self.clip_playing = self.clip_paused = False
        out.append(Event("take.replay_stopped", {"question": self.step.id}))

    def _keep_pending(self, out: list[Effect]) -> None:
        if self.pending_take is None:
            return
        step, take = self.pending_take
        self.pending_take = None
        if step.practice:
            # Practice takes are never kept: they leave with the practice.
            out.append(DiscardTake(step.id, take, True))
        else:
            out.append(KeepTake(step.id, take))
            self.kept.add(step.id)

    def _settle_pending(self, out: list[Effect]) -> None:
        """The session ends with a take the candidate never kept: it is sent only when the
        rules shown before it said so (`Step.sent_without_keeping`), else deleted."""
        if self.pending_take is None:
            return
        step, take = self.pending_take
        if step.sent_without_keeping(take):
            self._keep_pending(out)
            return
        self.pending_take = None
        out.append(DiscardTake(step.id, take, step.practice))
        if not step.practice:
            out.append(Event("take.not_kept", {"question": step.id, "take": take}))

    def _after_step(self, out: list[Effect]) -> None:
        following = self.step_index + 1
        while following < len(self.steps) and self.steps[following].id in self.skipped:
            following += 1
        if following < len(self.steps):
            self.step_index = following
            self._enter_question(out)
        elif self.practice_only:
            # A walk-in practice ends where a real visit starts: at idle, inviting the code.
            self._to_idle(out)
            self.message = "practice.done"
        else:
            self._finish(out)

    # ------------------------------------------------------------- endings
    def _finish(self, out: list[Effect]) -> None:
        if self.session_open:
            out.append(FinishSession("complete"))
            self.session_open = False
            self.finished_at = self.clock.now()
        self.outcome = self.outcome or "complete"
        self._enter_done(out)

    def _enter_done(self, out: list[Effect]) -> None:
        self._start_timer(self.timing.done_seconds)
        self._goto(Screen.DONE, out)

    def _on_done(self, action: str, value: str | None, out: list[Effect]) -> bool:
        if action in (Action.NEXT, Action.CONFIRM):
            self._to_idle(out)
            return True
        return False

    def _end_early(self, out: list[Effect], reason: str, to_idle: bool = True) -> None:
        """End the session now: every kept take is sent; a take not kept is sent only where
        the question's rules said it would be (see `_settle_pending`)."""
        if self.screen == Screen.RECORDING or (
            self.screen in OVERLAYS and self.return_screen == Screen.RECORDING
        ):
            self._stop_recording_quietly(out)
        self._stop_replay(out)  # a take playing back on review is about to be settled
        self._settle_pending(out)
        if self.session_open:
            out.append(FinishSession("ended-early"))
            self.session_open = False
            self.finished_at = self.clock.now()
            self.outcome = "ended-early"
        out.append(Event("session.ended_early", {"reason": reason}))
        if to_idle:
            self._to_idle(out)

    def _stop_recording_quietly(self, out: list[Effect]) -> None:
        step = self.step
        take = self.takes[step.id]
        out.append(StopTake(step.id, take, step.practice))
        self.pending_take = (step, take)

    def _to_idle(self, out: list[Effect]) -> None:
        if self.pending_take is not None and self.pending_take[0].practice:
            step, take = self.pending_take
            out.append(DiscardTake(step.id, take, True))
        self._reset()
        if self.fault_reason is not None:
            self._goto(Screen.OUT_OF_ORDER, out, reason=self.fault_reason)
        elif self._is_open(self.clock.now()):
            self._goto(Screen.IDLE, out)
        else:
            self._goto(Screen.CLOSED, out)

    # ---------------------------------------------------------------- view
    def view(self) -> View:
        """What the screen shows now."""
        return snapshot(self)


Handler = Callable[[Flow, str, str | None, list[Effect]], bool]
"""What a screen does with a candidate's action (and its value): True when it acted on it,
False to refuse it. Effects go to the list."""

# Every screen's handler (`booth.session.view.SCREENS`). The help and language actions are
# handled before these, on the screens that offer them (see `Flow.handle`).
SCREEN_HANDLERS: dict[Screen, Handler] = {
    Screen.IDLE: Flow._on_idle,
    Screen.CODE: codes_entry.on_code,
    Screen.WELCOME: Flow._on_welcome,
    Screen.CONSENT: Flow._on_consent,
    Screen.CHECK: Flow._on_check,
    Screen.INTRO: Flow._on_intro,
    Screen.PRACTICE: Flow._on_practice,
    Screen.QUESTION: Flow._on_question,
    Screen.THINK: Flow._on_think,
    Screen.COUNTDOWN: Flow._on_countdown,
    Screen.RECORDING: Flow._on_recording,
    Screen.REVIEW: Flow._on_review,
    Screen.DONE: Flow._on_done,
    Screen.HELP: Flow._on_help,
    Screen.INACTIVE: Flow._on_inactive,
    Screen.CLOSED: Flow._on_closed,
    Screen.OUT_OF_ORDER: Flow._on_out_of_order,
    Screen.END_CONFIRM: Flow._on_end_confirm,
}
