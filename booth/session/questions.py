"""The questions: the practice question, each question's screen, thinking, the 3-2-1, the
recording and its review, and what becomes of every take (kept, retaken, or left unkept)."""

from __future__ import annotations

from booth.session import cues
from booth.session.clips import replay_clip, toggle_pause
from booth.session.control import FlowControl
from booth.session.effects import (
    DiscardTake,
    Effect,
    Event,
    KeepTake,
    ReplayTake,
    StartTake,
    StopTake,
)
from booth.session.screens import Action, Screen
from booth.session.steps import Step


def enter_first_step(flow: FlowControl, out: list[Effect]) -> None:
    c = flow.candidate
    c.step_index = 0
    # A resumed session starts at the first question without a kept answer.
    while c.step_index < len(c.steps) and c.step.id in c.skipped:
        c.step_index += 1
    if c.step_index >= len(c.steps):
        flow.finish(out)
    elif c.step.practice:
        flow.goto(Screen.PRACTICE, out)
    else:
        enter_question(flow, out)


def enter_question(flow: FlowControl, out: list[Effect]) -> None:
    c = flow.candidate
    step = c.step
    # A clip, or the question read aloud, plays before the candidate may go on.
    media = step.clip is not None or c.question_audio(step) is not None
    c.clip_played = not media
    c.clip_playing = media
    c.clip_paused = False
    flow.goto(Screen.QUESTION, out, question=step.id)


def on_practice(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    if action == Action.RECORD:
        # Like a real question: its think time first, when it has one.
        enter_think_or_countdown(flow, out)
        return True
    if action == Action.NEXT:
        after_step(flow, out)
        return True
    return False


def on_question(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    c = flow.candidate
    if action == Action.NEXT and c.clip_played and not c.clip_playing:
        enter_think_or_countdown(flow, out)
        return True
    if action == Action.REPLAY:
        return replay_clip(flow, out, question=c.step.id)
    if action == Action.PAUSE:
        return toggle_pause(flow, out)
    return False


def enter_think_or_countdown(flow: FlowControl, out: list[Effect]) -> None:
    step = flow.candidate.step
    if step.think_seconds > 0:
        flow.start_timer(step.think_seconds)
        flow.goto(Screen.THINK, out, question=step.id)
    else:
        enter_countdown(flow, out)


def on_think(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    c = flow.candidate
    if action == Action.RECORD:
        enter_countdown(flow, out)
        return True
    if action == Action.MORE_TIME:
        extra = c.more_time_offered()
        if extra <= 0:
            return False
        c.more_time_used.add(c.step.id)
        c.timer_end += extra
        out.append(Event("think.more_time", {"question": c.step.id, "seconds": extra}))
        return True
    return False


def enter_countdown(flow: FlowControl, out: list[Effect]) -> None:
    flow.start_timer(flow.timing.countdown_seconds)
    flow.goto(Screen.COUNTDOWN, out, question=flow.candidate.step.id)
    cues.start_countdown(flow, out)


def on_countdown(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    return False


def start_recording(flow: FlowControl, out: list[Effect]) -> None:
    c = flow.candidate
    step = c.step
    take = c.takes.get(step.id, 0) + 1
    c.takes[step.id] = take
    flow.start_timer(step.answer_seconds)
    out.append(
        StartTake(
            step.id, take, step.practice, step.answer_seconds, step.sent_without_keeping(take)
        )
    )
    flow.goto(Screen.RECORDING, out, question=step.id, take=take)


def on_recording(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    if action == Action.STOP:
        stop_recording(flow, out)
        return True
    return False


def stop_recording(flow: FlowControl, out: list[Effect]) -> None:
    """The take stops and goes to review, or is kept at once where the question has none."""
    step, take = stop_recording_quietly(flow, out)
    cues.stop(out)
    if step.review:
        c = flow.candidate
        c.take_watched = c.retake_asked = False
        flow.goto(Screen.REVIEW, out, question=step.id, take=take)
    else:
        keep_pending(flow, out)
        after_step(flow, out)


def stop_recording_quietly(flow: FlowControl, out: list[Effect]) -> tuple[Step, int]:
    """The take stops and waits to be kept or settled (the session may be ending)."""
    c = flow.candidate
    step = c.step
    take = c.takes[step.id]
    out.append(StopTake(step.id, take, step.practice))
    c.pending_take = (step, take)
    return step, take


def on_review(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    c = flow.candidate
    assert c.pending_take is not None
    step, take = c.pending_take
    if c.retake_asked and action in (Action.RETAKE, Action.CONFIRM):
        # "Record again?" answered yes: only now is the take deleted.
        c.retake_asked = False
        stop_replay(flow, out)
        out.append(DiscardTake(step.id, take, step.practice))
        c.pending_take = None
        enter_countdown(flow, out)
        return True
    if c.retake_asked and action == Action.BACK:
        c.retake_asked = False
        out.append(Event("retake.cancelled", {"question": step.id, "take": take}))
        return True
    if action == Action.REPLAY:
        if c.replaying:
            return False
        c.retake_asked = False
        c.take_watched = True
        c.replaying = c.clip_playing = True
        c.clip_paused = False
        out.append(ReplayTake(step.id, take, step.practice))
        return True
    if action == Action.PAUSE:
        return toggle_pause(flow, out)
    if action == Action.STOP:
        if not c.replaying:
            return False
        stop_replay(flow, out)
        return True
    if action in (Action.KEEP, Action.NEXT):
        c.retake_asked = False
        stop_replay(flow, out)
        keep_pending(flow, out)
        after_step(flow, out)
        return True
    if action == Action.RETAKE:
        left = c.takes_left(step)
        if left is not None and left <= 0:
            return False
        # Deleting a take cannot be undone: the review first says what goes and what comes.
        stop_replay(flow, out)
        c.retake_asked = True
        out.append(Event("retake.asked", {"question": step.id, "take": take}))
        return True
    return False


def stop_replay(flow: FlowControl, out: list[Effect]) -> None:
    """The candidate moved on (or pressed stop) while the take played back."""
    c = flow.candidate
    if not c.replaying:
        return
    c.replaying = c.clip_playing = c.clip_paused = False
    out.append(Event("take.replay_stopped", {"question": c.step.id}))


def keep_pending(flow: FlowControl, out: list[Effect]) -> None:
    c = flow.candidate
    if c.pending_take is None:
        return
    step, take = c.pending_take
    c.pending_take = None
    if step.practice:
        # Practice takes are never kept: they leave with the practice.
        out.append(DiscardTake(step.id, take, True))
    else:
        out.append(KeepTake(step.id, take))
        c.kept.add(step.id)


def settle_pending(flow: FlowControl, out: list[Effect]) -> None:
    """The session ends with a take the candidate never kept: it is sent only when the rules
    shown before it said so (`Step.sent_without_keeping`), else deleted."""
    c = flow.candidate
    if c.pending_take is None:
        return
    step, take = c.pending_take
    if step.sent_without_keeping(take):
        keep_pending(flow, out)
        return
    c.pending_take = None
    out.append(DiscardTake(step.id, take, step.practice))
    if not step.practice:
        out.append(Event("take.not_kept", {"question": step.id, "take": take}))


def after_step(flow: FlowControl, out: list[Effect]) -> None:
    c = flow.candidate
    following = c.step_index + 1
    while following < len(c.steps) and c.steps[following].id in c.skipped:
        following += 1
    if following < len(c.steps):
        c.step_index = following
        enter_question(flow, out)
    elif c.practice_only:
        # A walk-in practice ends where a real visit starts: at idle, inviting the code. Going
        # to idle starts a new visit, so the message is set on that one.
        flow.to_idle(out)
        flow.candidate.message = "practice.done"
    else:
        flow.finish(out)


def on_done(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    """Finish ends the visit. Any other touch keeps the receipt up: it stays until Finish, or
    `done_seconds` after the last touch, so a candidate taking its photo is never cut off."""
    if action in (Action.NEXT, Action.CONFIRM):
        flow.to_idle(out)
        return True
    flow.start_timer(flow.timing.done_seconds)
    return action == Action.STAY
