"""The view of the flow at one moment: what the screen shows, built from the flow's state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from booth.session import codes_entry
from booth.session.interview import Interview
from booth.session.screens import CLIP_SCREENS, Screen
from booth.session.steps import DEFAULT_PRACTICE_TEXT, pick_language
from booth.session.view import InterviewSummary, View

# Screens where "your answer reached the time limit" can follow an automatic stop.
_LIMIT_NOTICE_SCREENS = {Screen.REVIEW, Screen.QUESTION, Screen.DONE}

if TYPE_CHECKING:
    from booth.session.flow import Flow


def intro_titles(interview: Interview) -> tuple[dict[str, str], ...]:
    """Each intro clip's title per language (an empty table where it has none)."""
    titles = tuple(interview.intro_titles)
    return titles + ({},) * (len(interview.intro_clips) - len(titles))


def snapshot(flow: Flow) -> View:
    """What the screen shows now."""
    fields = _step_fields(flow) | _intro_fields(flow)
    seconds_left = _seconds_left(flow)
    locked_left = codes_entry.locked_seconds(flow) if flow.screen == Screen.CODE else 0.0
    now = flow.clock.now()
    warn = flow.timing.warning_seconds
    pending = flow.pending_take
    return View(
        screen=flow.screen,
        language=flow.language,
        languages=flow.languages,
        code_entry=flow.code_entry,
        # Back and Start never hide the wait: the code screen says it before any press.
        message=flow.message or ("code.locked" if locked_left > 0 else None),
        locked_seconds=locked_left,
        interview=_summary(flow),
        practice_only=flow.practice_only,
        clip_played=flow.clip_played,
        clip_playing=flow.clip_playing,
        clip_paused=flow.clip_paused,
        clip_pausable=flow.screen in CLIP_SCREENS and flow.can_pause(),
        clip_replayable=flow.screen in CLIP_SCREENS and flow.can_replay(),
        clip_skippable=flow.screen == Screen.INTRO
        and flow.clip_playing
        and flow.intro_index in flow.intros_watched,
        replaying=flow.screen == Screen.REVIEW and flow.replaying,
        seconds_left=seconds_left,
        recording=flow.screen == Screen.RECORDING,
        return_screen=flow.return_screen,
        reason=flow.fault_reason if flow.screen == Screen.OUT_OF_ORDER else None,
        extra=_extra(flow),
        code_places=flow.code_places,
        limit_reached=flow.limit_notice_at == flow.screens_entered
        and flow.screen in _LIMIT_NOTICE_SCREENS,
        time_warning=flow.screen == Screen.RECORDING and 0 < warn and seconds_left <= warn,
        kept_count=len(flow.kept | _kept_before(flow)),
        pending_take=pending is not None and not pending[0].practice,
        session_ref=flow.session_ref,
        finished_at=flow.finished_at,
        consent=flow.consent,
        opens_at=flow.next_opening(now) if flow.screen == Screen.CLOSED else None,
        hours_today=flow.hours_today(now) if flow.screen == Screen.CLOSED else "",
        now=now,
        **fields,
    )


def _kept_before(flow: Flow) -> set[str]:
    """Questions a resumed session does not ask again: their answers were kept (or their
    takes all used, the last one sent) in the session it continues."""
    return {s.id for s in flow.steps if s.id in flow.skipped and not s.practice}


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


def _summary(flow: Flow) -> InterviewSummary | None:
    """The welcome screen's facts about the interview the code opened (None before one did)."""
    interview = flow.interview
    if interview is None:
        return None
    questions = [s for s in flow.steps if not s.practice]
    return InterviewSummary(
        employer=interview.employer,
        title=pick_language(interview.title, flow.language, interview.languages),
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


def _step_fields(flow: Flow) -> dict[str, Any]:
    """The question (or practice question) on screen, and its takes."""
    if not flow.steps or flow.screen in _NO_STEP_SCREENS:
        return {}
    step = flow.step
    question_count = sum(1 for s in flow.steps if not s.practice)
    first_question = 1 if flow.steps[0].practice else 0
    text = pick_language(step.text, flow.language, flow.languages)
    if step.practice and not text:
        text = DEFAULT_PRACTICE_TEXT
    take = flow.takes.get(step.id, 0)
    left = flow.takes_left(step)
    shown_take = take + 1 if flow.screen in _UPCOMING_TAKE_SCREENS else take
    fields: dict[str, Any] = dict(
        is_practice=step.practice,
        question_index=0 if step.practice else flow.step_index + 1 - first_question,
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
        more_time_seconds=flow.more_time_offered(),
    )
    if flow.screen == Screen.QUESTION and step.clip is not None:
        fields["clip_path"] = str(step.clip)
    audio = flow.question_audio(step)
    if flow.screen == Screen.QUESTION and audio is not None:
        fields["question_audio"] = str(audio)
    return fields


def _intro_fields(flow: Flow) -> dict[str, Any]:
    """The intro clip on screen, and the titles to pick one again from."""
    interview = flow.interview
    if flow.screen != Screen.INTRO or interview is None:
        return {}
    titles = tuple(
        pick_language(t, flow.language, interview.languages) if t else ""
        for t in intro_titles(interview)
    )
    # Offered to pick from once every clip has been watched to its end.
    pickable = (
        len(flow.intros_watched) == len(titles)
        and not flow.clip_playing
        and interview.replay_allowed
    )
    return dict(
        intro_index=flow.intro_index + 1,
        intro_count=len(interview.intro_clips),
        clip_path=str(interview.intro_clips[flow.intro_index]),
        clip_title=titles[flow.intro_index],
        intro_titles=titles if pickable else (),
    )


def _seconds_left(flow: Flow) -> float:
    """The countdown on screen: the inactivity grace, or the timer of the screen (or of the
    screen under help)."""
    if flow.screen == Screen.INACTIVE:
        return max(0.0, flow.inactive_end - flow.clock.monotonic())
    shown = flow.return_screen if flow.screen == Screen.HELP else flow.screen
    if shown in (Screen.THINK, Screen.COUNTDOWN, Screen.RECORDING, Screen.DONE):
        return flow.timer_left()
    return 0.0
