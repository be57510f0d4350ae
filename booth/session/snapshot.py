"""The view of the flow at one moment: what the screen shows, built from the flow's state."""

from __future__ import annotations

from typing import Any

from booth.session import code_screen
from booth.session.control import FlowControl
from booth.session.interview import Interview
from booth.session.screens import CLIP_SCREENS, WAITING_SCREENS, Screen
from booth.session.steps import DEFAULT_PRACTICE_TEXT, Step, pick_language
from booth.session.view import InterviewSummary, View

# Screens where "your answer reached the time limit" can follow an automatic stop.
_LIMIT_NOTICE_SCREENS = {Screen.REVIEW, Screen.QUESTION, Screen.DONE}


def intro_titles(interview: Interview) -> tuple[dict[str, str], ...]:
    """Each intro clip's title per language (an empty table where it has none)."""
    titles = tuple(interview.intro_titles)
    return titles + ({},) * (len(interview.intro_clips) - len(titles))


def snapshot(flow: FlowControl) -> View:
    """What the screen shows now."""
    c = flow.candidate
    fields = _step_fields(flow) | _intro_fields(flow)
    seconds_left = _seconds_left(flow)
    locked_left = code_screen.locked_seconds(flow) if c.screen == Screen.CODE else 0.0
    now = flow.clock.now()
    warn = flow.timing.warning_seconds
    pending = c.pending_take
    return View(
        screen=c.screen,
        language=c.language,
        languages=flow.languages,
        code_entry=c.code_entry,
        # Back and Start never hide the wait: the code screen says it before any press.
        message=c.message or ("code.locked" if locked_left > 0 else None),
        locked_seconds=locked_left,
        interview=_summary(flow),
        practice_only=c.practice_only,
        clip_played=c.clip_played,
        clip_playing=c.clip_playing,
        clip_paused=c.clip_paused,
        clip_pausable=c.screen in CLIP_SCREENS and c.can_pause(),
        clip_replayable=c.screen in CLIP_SCREENS and c.can_replay(),
        clip_skippable=c.screen == Screen.INTRO
        and c.clip_playing
        and c.intro_index in c.intros_watched,
        replaying=c.screen == Screen.REVIEW and c.replaying,
        seconds_left=seconds_left,
        recording=c.screen == Screen.RECORDING,
        return_screen=c.return_screen,
        check_problem=c.check_problem if c.screen == Screen.CHECK_HELP else None,
        wait_minutes=round(flow.timing.help_wait_seconds / 60)
        if c.screen in WAITING_SCREENS
        else 0,
        reason=flow.fault_reason if c.screen == Screen.OUT_OF_ORDER else None,
        extra=_extra(flow),
        code_places=flow.code_places,
        limit_reached=c.limit_notice_at == c.screens_entered and c.screen in _LIMIT_NOTICE_SCREENS,
        limit_question=_question_number(c.steps, c.limit_step),
        time_warning=c.screen == Screen.RECORDING and 0 < warn and seconds_left <= warn,
        kept_count=len(c.kept | _kept_before(flow)),
        stays_seconds=flow.timing.done_seconds if c.screen == Screen.DONE else 0.0,
        pending_take=pending is not None and not pending[0].practice,
        session_ref=c.session_ref,
        finished_at=c.finished_at,
        consent=flow.consent,
        opens_at=flow.next_opening(now) if c.screen == Screen.CLOSED else None,
        hours_today=flow.hours_today(now) if c.screen == Screen.CLOSED else "",
        now=now,
        **fields,
    )


def _question_number(steps: list[Step], step_id: str) -> int:
    """A step's number as the candidate counts questions (1-based); 0 for the practice."""
    questions = [s.id for s in steps if not s.practice]
    return questions.index(step_id) + 1 if step_id in questions else 0


def _kept_before(flow: FlowControl) -> set[str]:
    """Questions a resumed session does not ask again: their answers were kept (or their
    takes all used, the last one sent) in the session it continues."""
    c = flow.candidate
    return {s.id for s in c.steps if s.id in c.skipped and not s.practice}


def _extra(flow: FlowControl) -> dict[str, Any]:
    """How the session ended (done screen); and for a resumed session, the question it
    continues at (counted among the questions, from 1)."""
    c = flow.candidate
    extra: dict[str, Any] = {"outcome": c.outcome} if c.outcome else {}
    if c.resumes is not None:
        questions = [s for s in c.steps if not s.practice]
        extra["resume_question"] = next(
            (i for i, s in enumerate(questions, start=1) if s.id not in c.skipped),
            len(questions),
        )
    return extra


def _summary(flow: FlowControl) -> InterviewSummary | None:
    """The welcome screen's facts about the interview the code opened (None before one did)."""
    c = flow.candidate
    interview = c.interview
    if interview is None:
        return None
    questions = [s for s in c.steps if not s.practice]
    return InterviewSummary(
        employer=interview.employer,
        title=pick_language(interview.title, c.language, interview.languages),
        question_count=len(questions),
        answer_seconds_max=int(max((s.answer_seconds for s in questions), default=0)),
        max_takes=0
        if any(s.max_takes == 0 for s in questions)
        else max((s.max_takes for s in questions), default=1),
        deadline=interview.deadline,
        takes=tuple(s.max_takes for s in questions),
        reviews=tuple(s.review for s in questions),
    )


# Screens before the first question, or after the last: they show no question.
_NO_STEP_SCREENS = (Screen.IDLE, Screen.CODE, Screen.WELCOME, Screen.CONSENT, Screen.DONE)
# Before the camera rolls the numbers are about the take to come; from recording on, the take
# recorded.
_UPCOMING_TAKE_SCREENS = (Screen.QUESTION, Screen.THINK, Screen.COUNTDOWN, Screen.PRACTICE)


def _step_fields(flow: FlowControl) -> dict[str, Any]:
    """The question (or practice question) on screen, and its takes."""
    c = flow.candidate
    if not c.steps or c.screen in _NO_STEP_SCREENS:
        return {}
    step = c.step
    question_count = sum(1 for s in c.steps if not s.practice)
    first_question = 1 if c.steps[0].practice else 0
    text = pick_language(step.text, c.language, flow.languages)
    if step.practice and not text:
        text = DEFAULT_PRACTICE_TEXT
    take = c.takes.get(step.id, 0)
    left = c.takes_left(step)
    shown_take = take + 1 if c.screen in _UPCOMING_TAKE_SCREENS else take
    fields: dict[str, Any] = dict(
        is_practice=step.practice,
        question_index=0 if step.practice else c.step_index + 1 - first_question,
        question_count=question_count,
        question_text=text,
        think_seconds=step.think_seconds,
        answer_seconds=step.answer_seconds,
        take_number=shown_take,
        max_takes=step.max_takes,
        takes_left=left,
        can_retake=step.review and (left is None or left > 0),
        review_allowed=step.review,
        one_take=step.one_take,
        sent_without_keeping=step.sent_without_keeping(max(1, shown_take)),
        keep_unreviewed=step.keep_unreviewed,
        more_time_seconds=c.more_time_offered(),
        more_time_added=step.extra_think_seconds
        if c.screen == Screen.THINK and step.id in c.more_time_used
        else 0.0,
        take_watched=c.screen == Screen.REVIEW and c.take_watched,
        retake_asked=c.screen == Screen.REVIEW and c.retake_asked,
    )
    if c.screen == Screen.QUESTION and step.clip is not None:
        fields["clip_path"] = str(step.clip)
    audio = c.question_audio(step)
    if c.screen == Screen.QUESTION and audio is not None:
        fields["question_audio"] = str(audio)
    return fields


def _intro_fields(flow: FlowControl) -> dict[str, Any]:
    """The intro clip on screen, and the titles to pick one again from."""
    c = flow.candidate
    interview = c.interview
    if c.screen != Screen.INTRO or interview is None:
        return {}
    titles = tuple(
        pick_language(t, c.language, interview.languages) if t else ""
        for t in intro_titles(interview)
    )
    # Offered to pick from once every clip has been watched to its end.
    pickable = (
        len(c.intros_watched) == len(titles) and not c.clip_playing and interview.replay_allowed
    )
    return dict(
        intro_index=c.intro_index + 1,
        intro_count=len(interview.intro_clips),
        clip_path=str(interview.intro_clips[c.intro_index]),
        clip_title=titles[c.intro_index],
        intro_titles=titles if pickable else (),
    )


def _seconds_left(flow: FlowControl) -> float:
    """The countdown on screen: the inactivity grace, or the timer of the screen (or of the
    screen under help)."""
    c = flow.candidate
    if c.screen == Screen.INACTIVE:
        return max(0.0, c.inactive_end - flow.clock.monotonic())
    shown = c.return_screen if c.screen == Screen.HELP else c.screen
    if shown in (Screen.THINK, Screen.COUNTDOWN, Screen.RECORDING, Screen.DONE):
        return flow.timer_left()
    return 0.0
