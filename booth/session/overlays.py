"""The screens drawn over another one, which they return to: help, "are you still there?",
"end the interview?" and the equipment check's "something is wrong"."""

from __future__ import annotations

from booth.session.control import FlowControl
from booth.session.effects import Effect
from booth.session.screens import OVERLAYS, Action, Screen


def open_overlay(flow: FlowControl, screen: Screen, out: list[Effect]) -> None:
    c = flow.candidate
    # Help (or "end the interview?") can turn into "are you still there?": all of them
    # return to the screen under them.
    if c.screen not in OVERLAYS:
        c.return_screen = c.screen
        # The think and done countdowns wait while the candidate reads help.
        paused = c.screen in (Screen.THINK, Screen.DONE)
        c.paused_left = flow.timer_left() if paused else None
    flow.goto(screen, out)


def close_overlay(flow: FlowControl, out: list[Effect]) -> None:
    c = flow.candidate
    back = c.return_screen or Screen.IDLE
    if c.paused_left is not None:
        # The done screen's minute counts from the last touch, and Back was one.
        flow.start_timer(flow.timing.done_seconds if back == Screen.DONE else c.paused_left)
        c.paused_left = None
    c.return_screen = None
    flow.goto(back, out)


def on_help(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    if action in (Action.BACK, Action.NEXT, Action.CONFIRM):
        close_overlay(flow, out)
        return True
    return False


def on_inactive(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    # Any action means "I'm still here".
    close_overlay(flow, out)
    return True


def on_end_confirm(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    """ "End the interview?": back carries on, confirm ends the session now."""
    c = flow.candidate
    if action == Action.BACK:
        close_overlay(flow, out)
        return True
    if action == Action.CONFIRM and c.practice_only:
        flow.to_idle(out)
        return True
    if action == Action.CONFIRM:
        c.paused_left = None
        c.return_screen = None
        flow.end_early(out, reason="candidate", to_idle=False)
        flow.enter_done(out)
        return True
    return False


CHECK_PROBLEMS = ("sound", "light", "framing")
"""What "Something is wrong" on the check helps with: no sound, too dark, the face outside the
oval (the ui opens on the one the booth measures)."""


def on_check_help(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    """ "Something is wrong": pick a problem to read its help; Back (or Next) returns to the
    check. Nothing here ends the session: it waits like help (`ScreenRules.waits`)."""
    if action in (Action.BACK, Action.NEXT):
        close_overlay(flow, out)
        return True
    if action == Action.PROBLEM and value in CHECK_PROBLEMS:
        flow.candidate.check_problem = value
        return True
    return False
