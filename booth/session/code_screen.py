"""The code screen: typing an invitation code, the lockout after wrong codes, and what a code
that was used before opens (nothing when its interview was completed; the rest of it when its
session ended early). The lockout and the invitations' use are booth.session.codes_entry's.
"""

from __future__ import annotations

from booth.session.candidate import Candidate
from booth.session.codes_entry import InvitationUse
from booth.session.control import FlowControl
from booth.session.effects import Effect, Event, RecordLockout
from booth.session.interview import Interview
from booth.session.invitation import CODE_MAX_DIGITS, Invitation
from booth.session.screens import Action, Screen
from booth.session.steps import Step, interview_steps


def _wall(flow: FlowControl) -> float:
    return flow.clock.now().timestamp()


def locked_seconds(flow: FlowControl) -> float:
    """How long code entry still waits."""
    return flow.lockout.seconds_left(_wall(flow), flow.timing)


def on_code(flow: FlowControl, action: str, value: str | None, out: list[Effect]) -> bool:
    """The code screen's actions: digits, delete, OK, and Back (which never lifts a wait)."""
    c = flow.candidate
    if action == Action.BACK:
        flow.to_idle(out)
        return True
    if locked_seconds(flow) > 0 and action in (Action.DIGIT, Action.DELETE, Action.CONFIRM):
        c.message = "code.locked"
        return False
    if action == Action.DIGIT:
        if value is None or len(value) != 1 or not value.isdigit() or not value.isascii():
            return False
        if len(c.code_entry) >= CODE_MAX_DIGITS:
            return False
        c.code_entry += value
        c.message = None
        return True
    if action == Action.DELETE:
        c.code_entry = c.code_entry[:-1]
        return True
    if action == Action.CONFIRM:
        check_code(flow, out)
        return True
    return False


def tick_code(flow: FlowControl) -> None:
    """The wait is over: the message about it goes (the count of wrong codes stays)."""
    c = flow.candidate
    if c.message == "code.locked" and locked_seconds(flow) <= 0:
        c.message = None


def check_code(flow: FlowControl, out: list[Effect]) -> None:
    """OK on the code screen: open the invitation, or say why not."""
    c = flow.candidate
    code, c.code_entry = c.code_entry, ""
    if not code:
        c.message = "code.empty"
        return
    now = flow.clock.now()
    for interview in flow.interviews:
        invitation = interview.codes.lookup(code)
        if invitation is None:
            continue
        if now < interview.valid_from:
            c.message = "code.not_yet_valid"
            out.append(Event("code.not_yet_valid", {"interview": interview.id}))
            return
        if now > interview.deadline:
            c.message = "code.expired"
            out.append(Event("code.expired", {"interview": interview.id}))
            return
        use = flow.uses.get(interview.id, invitation.candidate_ref)
        if use is not None and use.spent:
            c.message = "code.used"
            out.append(Event("code.used", {"interview": interview.id}))
            return
        begin(flow, interview, invitation, use, out)
        return
    flow.lockout = flow.lockout.after_wrong(_wall(flow), flow.timing)
    lock = flow.lockout
    out.append(RecordLockout(lock.wrong, lock.last_wrong, lock.until, lock.waits))
    left = locked_seconds(flow)
    wrong = round(lock.wrong, 2)
    out.append(Event("code.wrong", {"wrong": wrong, "locked_seconds": round(left)}))
    c.message = "code.locked" if left > 0 else "code.wrong"


def begin(
    flow: FlowControl,
    interview: Interview,
    invitation: Invitation,
    use: InvitationUse | None,
    out: list[Effect],
) -> None:
    """A code opened `invitation`: a new session, or the rest of one that ended early."""
    c = flow.candidate
    c.interview, c.invitation = interview, invitation
    c.message = None
    if c.language not in interview.languages:
        c.language = interview.languages[0]
    c.steps = interview_steps(interview, invitation)
    c.step_index = 0
    if use is not None and use.resumable:
        # Takes already used count against the limits; kept answers are not asked again, nor
        # questions whose takes are all used (what the spool kept of them is sent).
        c.takes = {q: n for q, n in use.takes.items() if n > 0}
        c.resumes = use.sessions[-1]
        c.skipped = {s.id for s in c.steps if s.id in use.kept or _exhausted(c, s)}
        if use.kept:
            # The candidate has been here: intro clips and practice are not made to wait.
            c.skipped |= {s.id for s in c.steps if s.practice}
            c.skip_intro = True
        out.append(
            Event(
                "session.resume",
                {"interview": interview.id, "resumes": c.resumes, "kept": len(use.kept)},
            )
        )
    out.append(Event("session.begin", {"interview": interview.id}))
    flow.goto(Screen.WELCOME, out)


def _exhausted(c: Candidate, step: Step) -> bool:
    left = c.takes_left(step)
    return left is not None and left <= 0
