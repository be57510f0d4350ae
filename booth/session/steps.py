"""The steps a candidate meets: each question as it applies to this invitation.

Pure data: the flow walks through a list of `Step`s built here from an interview and an
invitation, with the invitation's accommodations (extra time, extra takes) already applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from booth.session.interview import Interview, Practice
from booth.session.invitation import Invitation

# Shown in a practice-only session, which has no interview. The kiosk translates it.
DEFAULT_PRACTICE_TEXT = "Tell us briefly about yourself and what you are good at."
PRACTICE_ID = "practice"


@dataclass(frozen=True)
class Step:
    """One question as this candidate meets it: accommodations already applied."""

    id: str
    text: dict[str, str]
    clip: Path | None
    think_seconds: float
    answer_seconds: float
    max_takes: int  # 0 = unlimited
    review: bool
    practice: bool = False
    audio: dict[str, Path] = field(default_factory=dict)  # spoken question, per language
    # Seconds "I need more time" adds to the think time, once (0: not offered).
    extra_think_seconds: float = 0.0
    # The interview sends a take the candidate did not keep (`unreviewed_takes = "keep"`).
    keep_unreviewed: bool = False

    @property
    def one_take(self) -> bool:
        """A single take that cannot be watched or redone: it is sent as it is."""
        return self.max_takes == 1 and not self.review

    def sent_without_keeping(self, take: int) -> bool:
        """Whether take number `take` is sent although the candidate never pressed Keep: the
        question has no review, it is the last allowed take, or the interview keeps such takes.
        Otherwise a take left unkept (walked away, ended, power cut) is deleted."""
        if self.practice:
            return False
        last = self.max_takes > 0 and take >= self.max_takes
        return not self.review or last or self.keep_unreviewed


def pick_language(texts: dict[str, str], language: str, fallbacks: Sequence[str]) -> str:
    """The text in `language`, else in the first fallback language that has one."""
    for lang in (language, *fallbacks):
        if texts.get(lang):
            return texts[lang]
    return next(iter(texts.values()), "")


def practice_step(practice: Practice | None = None) -> Step:
    """The practice question: the interview's, or the booth's own for a practice-only visit
    (20 seconds to think, a minute to answer, like a typical question)."""
    if practice is None:
        return Step(PRACTICE_ID, {}, None, 20.0, 60.0, 0, True, practice=True)
    return Step(
        PRACTICE_ID,
        dict(practice.text),
        None,
        float(practice.think_seconds),
        float(practice.answer_seconds),
        0,
        True,
        practice=True,
    )


def interview_steps(interview: Interview, invitation: Invitation) -> list[Step]:
    """Practice (if any), then every question, with the invitation's accommodations."""
    steps = []
    extra_think = float(interview.extra_think_seconds)
    keep_unreviewed = interview.unreviewed_takes == "keep"
    if interview.practice is not None:
        practice = practice_step(interview.practice)
        # The practice is a rehearsal of a real question: "I need more time" too, where the
        # interview offers it.
        extra = extra_think if practice.think_seconds > 0 else 0.0
        steps.append(replace(practice, extra_think_seconds=extra))
    for q in interview.questions:
        steps.append(
            Step(
                id=q.id,
                text=dict(q.text),
                clip=q.clip,
                # The invitation's accommodations: more time, more takes.
                think_seconds=float(invitation.seconds(q.think_seconds)),
                answer_seconds=float(invitation.seconds(q.answer_seconds)),
                max_takes=invitation.takes(q.max_takes),
                review=q.review,
                audio=dict(q.audio),
                extra_think_seconds=extra_think if q.think_seconds > 0 else 0.0,
                keep_unreviewed=keep_unreviewed,
            )
        )
    return steps
