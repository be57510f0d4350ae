"""The view of the flow at one moment: what the screen shows, built from the flow's state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from booth.session import codes_entry
from booth.session.steps import DEFAULT_PRACTICE_TEXT, pick_language
from booth.session.view import InterviewSummary, View

if TYPE_CHECKING:
    from booth.session.flow import Flow

# Screens where a clip (or the spoken question, or a take's replay) plays.
CLIP_SCREENS = {"intro", "question", "review"}


def snapshot(flow: Flow) -> View:
    """What the screen shows now."""
    interview = flow.interview
    summary = None
    if interview is not None:
        questions = [s for s in flow.steps if not s.practice]
        summary = InterviewSummary(
            employer=interview.employer,
            title=pick_language(interview.title, flow.language, interview.languages),
            question_count=len(questions),
            answer_seconds_max=int(max((s.answer_seconds for s in questions), default=0)),
            max_takes=0
            if any(s.max_takes == 0 for s in questions)
            else max((s.max_takes for s in questions), default=1),
            deadline=interview.deadline,
            has_practice=any(s.practice for s in flow.steps),
        )
    fields: dict[str, Any] = {}
    if flow.steps and flow.screen not in ("idle", "code", "welcome", "consent", "done"):
        step = flow.step
        question_count = sum(1 for s in flow.steps if not s.practice)
        first_question = 1 if flow.steps[0].practice else 0
        text = pick_language(step.text, flow.language, flow.languages)
        if step.practice and not text:
            text = DEFAULT_PRACTICE_TEXT
        take = flow.takes.get(step.id, 0)
        left = flow.takes_left(step)
        fields.update(
            is_practice=step.practice,
            question_index=0 if step.practice else flow.step_index + 1 - first_question,
            question_count=question_count,
            question_text=text,
            think_seconds=step.think_seconds,
            answer_seconds=step.answer_seconds,
            take_number=take,
            max_takes=step.max_takes,
            takes_left=left,
            can_retake=step.review and (left is None or left > 0),
            review_allowed=step.review,
        )
        if flow.screen == "question" and step.clip is not None:
            fields["clip_path"] = str(step.clip)
        audio = flow.question_audio(step)
        if flow.screen == "question" and audio is not None:
            fields["question_audio"] = str(audio)
    if flow.screen == "intro" and interview is not None:
        fields.update(
            intro_index=flow.intro_index + 1,
            intro_count=len(interview.intro_clips),
            clip_path=str(interview.intro_clips[flow.intro_index]),
        )
    shown = flow.return_screen if flow.screen in ("help", "inactive") else flow.screen
    if flow.screen == "inactive":
        seconds_left = max(0.0, flow.inactive_end - flow.clock.monotonic())
    elif shown in ("think", "countdown", "recording", "done"):
        seconds_left = flow.timer_left()
    else:
        seconds_left = 0.0
    locked_left = codes_entry.locked_seconds(flow) if flow.screen == "code" else 0.0
    return View(
        screen=flow.screen,
        language=flow.language,
        languages=flow.languages,
        code_entry=flow.code_entry,
        # Back and Start never hide the wait: the code screen says it before any press.
        message=flow.message or ("code.locked" if locked_left > 0 else None),
        locked_seconds=locked_left,
        interview=summary,
        practice_only=flow.practice_only,
        clip_played=flow.clip_played,
        clip_playing=flow.clip_playing,
        clip_paused=flow.clip_paused,
        clip_pausable=flow.screen in CLIP_SCREENS and flow.can_pause(),
        clip_replayable=flow.screen in CLIP_SCREENS and flow.can_replay(),
        clip_skippable=flow.screen == "intro"
        and flow.clip_playing
        and flow.intro_index in flow.intros_watched,
        replaying=flow.screen == "review" and flow.replaying,
        seconds_left=seconds_left,
        recording=flow.screen == "recording",
        return_screen=flow.return_screen,
        reason=flow.fault_reason if flow.screen == "out-of-order" else None,
        extra=_extra(flow),
        **fields,
    )


def _extra(flow: Flow) -> dict[str, Any]:
    """How the session ended (done screen); and for a resumed session, the question it
    continues at (counted among the questions, from 1)."""
    extra: dict[str, Any] = {"outcome": flow.outcome} if flow.outcome else {}
    if flow.resumes is not None:
        questions = [s for s in flow.steps if not s.practice]
        extra["resume_question"] = next(
            (i for i, s in enumerate(questions, start=1) if s.id not in flow.skipped),
            len(questions),
        )
    return extra
