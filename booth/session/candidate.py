"""The candidate in front of the booth: everything the flow knows about them, and nothing else.

A new `Candidate` starts every visit (the flow makes one when the booth is back at idle), so
nothing of one candidate can reach the next. What belongs to the booth (its interviews, the
lockout after wrong codes, a fault) lives in the flow, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from booth.session.interview import Interview
from booth.session.invitation import Invitation
from booth.session.screens import CLIP_SCREENS, Screen
from booth.session.steps import Step


@dataclass
class Candidate:
    """One candidate's visit: the screen, the code typed, the interview it opened, the
    question reached, the takes recorded and kept, and the timers running."""

    language: str
    last_input: float  # monotonic seconds of the last action (the inactivity guard)
    screen: Screen = Screen.IDLE
    code_entry: str = ""
    message: str | None = None
    interview: Interview | None = None
    invitation: Invitation | None = None
    practice_only: bool = False
    session_open: bool = False
    outcome: str | None = None  # how the session ended, for the done screen
    steps: list[Step] = field(default_factory=list)
    step_index: int = 0  # index into steps
    intro_index: int = 0
    intros_watched: set[int] = field(default_factory=set)  # intro clips played to their end
    clip_playing: bool = False
    clip_played: bool = False
    clip_paused: bool = False
    replaying: bool = False  # review: the take is being played back
    takes: dict[str, int] = field(default_factory=dict)  # question id -> takes recorded so far
    kept: set[str] = field(default_factory=set)  # question ids with an answer kept (or sent)
    more_time_used: set[str] = field(default_factory=set)  # "I need more time" used
    session_ref: str | None = None  # the spool's session id (`Flow.session_opened`)
    finished_at: datetime | None = None
    screens_entered: int = 0  # counts screen changes, to show a notice on one screen only
    limit_notice_at: int = -1  # screens_entered when the time limit stopped a take
    limit_step: str = ""  # the question whose take the time limit stopped
    take_watched: bool = False  # review: the take has been played back at least once
    retake_asked: bool = False  # review: "Record again" pressed once; it waits for a yes
    intro_picked: bool = False  # a single intro clip chosen again: no running on after it
    # A resumed session (booth.session.code_screen.begin): the one it continues, what it skips.
    resumes: str | None = None
    skipped: set[str] = field(default_factory=set)  # step ids not asked again
    skip_intro: bool = False
    pending_take: tuple[Step, int] | None = None  # recorded, not yet kept
    timer_end: float = 0.0  # monotonic seconds: the think, 3-2-1, answer or done timer ends
    return_screen: Screen | None = None  # the screen under an overlay
    paused_left: float | None = None  # a timer held while help is open
    check_problem: str | None = None  # check-help: the problem the candidate picked
    inactive_end: float = 0.0  # monotonic seconds: "are you still there?" ends the session
    cues_sounded: set[str] = field(default_factory=set)  # this 3-2-1's or take's (session.cues)

    @property
    def step(self) -> Step:
        return self.steps[self.step_index]

    @property
    def opened(self) -> tuple[Interview, Invitation]:
        """The interview and invitation the code opened: every screen from welcome to done of a
        session has them (a walk-in practice has neither and never asks)."""
        if self.interview is None or self.invitation is None:
            raise RuntimeError(f"the {self.screen} screen has no interview: no code opened one")
        return self.interview, self.invitation

    def timer_left(self, now: float) -> float:
        if self.paused_left is not None:
            return self.paused_left
        return max(0.0, self.timer_end - now)

    def takes_left(self, step: Step) -> int | None:
        if step.max_takes == 0:
            return None
        return max(0, step.max_takes - self.takes.get(step.id, 0))

    def question_audio(self, step: Step) -> Path | None:
        """The spoken question in the candidate's language, if it has one and no clip."""
        if step.clip is not None:
            return None
        return step.audio.get(self.language)

    def more_time_offered(self) -> float:
        """Seconds "I need more time" would add now (0: not offered, or already used)."""
        step = self.step
        if self.screen != Screen.THINK or step.id in self.more_time_used:
            return 0.0
        return step.extra_think_seconds

    def clip_running(self) -> bool:
        """A clip is moving on screen now: not paused, not covered by help or inactivity."""
        return self.clip_playing and not self.clip_paused and self.screen in CLIP_SCREENS

    def has_media(self) -> bool:
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
        return self.has_media() and self.opened[0].replay_allowed

    def can_replay(self) -> bool:
        if self.screen == Screen.REVIEW:
            return not self.replaying
        return (
            self.has_media()
            and self.clip_played
            and not self.clip_playing
            and self.opened[0].replay_allowed
        )
