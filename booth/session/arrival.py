"""From idle to the first question: starting (or a walk-in practice), welcome, consent, the
equipment check and the intro clips. Closed and out-of-order take no action."""

from __future__ import annotations

from booth.session import overlays
from booth.session.clips import clip_finished, replay_clip, start_clip, toggle_pause
from booth.session.control import FlowControl
from booth.session.effects import Effect, Event, FinishSession, OpenSession
from booth.session.questions import enter_first_step
from booth.session.screens import Action, Screen
from booth.session.steps import practice_step


def on_idle(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    c = flow.candidate
    if action == Action.START:
        c.message = None  # "Ready? Enter your invitation code" has done its work
        flow.goto(Screen.CODE, out)
        return True
    if action == Action.PRACTICE:
        # A walk-in practice is the real path minus the recording: the equipment check
        # first, then the practice question with its think time and time limit.
        c.practice_only = True
        c.message = None
        c.steps = [practice_step()]
        c.step_index = 0
        flow.goto(Screen.CHECK, out)
        return True
    return False


def on_closed(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    return False


def on_out_of_order(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    return False


def on_welcome(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    if action == Action.NEXT:
        flow.goto(Screen.CONSENT, out)
        return True
    if action == Action.BACK:
        flow.to_idle(out)
        return True
    return False


def on_consent(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    c = flow.candidate
    if action == Action.ACCEPT:
        open_session(flow, out)
        flow.goto(Screen.CHECK, out)
        return True
    if action == Action.DECLINE:
        open_session(flow, out)
        out.append(FinishSession("declined"))
        c.session_open = False
        c.outcome = "declined"
        flow.enter_done(out)
        return True
    if action == Action.BACK:
        flow.goto(Screen.WELCOME, out)
        return True
    return False


def open_session(flow: FlowControl, out: list[Effect]) -> None:
    c = flow.candidate
    interview, invitation = c.opened
    out.append(OpenSession(interview.id, invitation.candidate_ref, c.resumes))
    c.session_open = True


def on_check(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    c = flow.candidate
    if action == Action.BACK and c.practice_only:
        flow.to_idle(out)
        return True
    if action == Action.PROBLEM:
        c.check_problem = None  # the screen starts at what the booth measures
        overlays.open_overlay(flow, Screen.CHECK_HELP, out)
        return True
    if action == Action.NEXT:
        if c.practice_only:
            enter_first_step(flow, out)
        elif c.opened[0].intro_clips and not c.skip_intro:
            c.intro_index = 0
            start_clip(c)
            flow.goto(Screen.INTRO, out, intro=1)
        else:
            enter_first_step(flow, out)
        return True
    return False


def on_intro(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    c = flow.candidate
    if action == Action.NEXT and c.clip_playing and c.intro_index in c.intros_watched:
        # Skip is offered only for an intro clip already watched to its end.
        out.append(Event("clip.skip", {"intro": c.intro_index + 1}))
        out.extend(clip_finished(flow))
        return True
    if action == Action.NEXT and c.clip_played and not c.clip_playing:
        enter_first_step(flow, out)
        return True
    if action == Action.REPLAY and value is not None:
        return pick_intro(flow, value, out)
    if action == Action.REPLAY:
        return replay_clip(flow, out, intro=c.intro_index + 1)
    if action == Action.PAUSE:
        return toggle_pause(flow, out)
    return False


def pick_intro(flow: FlowControl, value: str, out: list[Effect]) -> bool:
    """ "Watch again" with a clip's number: play that intro clip, and only that one."""
    c = flow.candidate
    interview = c.opened[0]
    if not value.isdigit() or not 1 <= int(value) <= len(interview.intro_clips):
        return False
    if c.clip_playing or len(c.intros_watched) < len(interview.intro_clips):
        return False
    if not interview.replay_allowed:
        return False
    c.intro_index = int(value) - 1
    c.intro_picked = True
    start_clip(c)
    out.append(Event("clip.replay", {"intro": c.intro_index + 1}))
    return True
