"""The code screen: typing an invitation code, the lockout after wrong codes, and what a code
that was used before opens (nothing when its interview was completed; the rest of it when its
session ended early).

The lockout is the booth's, not the candidate's: wrong codes are counted on this booth across
Back, idle and restarts (the kiosk keeps `Lockout` in its state directory), and only an hour
without a wrong code forgets them. After `code_attempts` wrong codes entry waits
`code_lockout_seconds`, and every further wrong code doubles the wait up to
`LOCKOUT_MAX_SECONDS`. With the defaults (5, 1 min, 15 min) that is at most 12 guesses in
the first hour and 4 an hour after that (README: "Invitation codes").

Times here are wall-clock Unix seconds (`Clock.now()`), because a lockout must outlive the
process whose monotonic clock counted it. A wall clock set back cannot stretch a wait beyond
the longest one.

Pure like the flow: the flow holds the state, these functions change it and answer with
effects; the kiosk writes `RecordLockout` to disk and keeps the invitations' use from the
session effects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from booth.session.effects import Effect, Event, RecordLockout
from booth.session.interview import Interview
from booth.session.invitation import CODE_MAX_DIGITS, Invitation
from booth.session.screens import Action, Screen
from booth.session.steps import Step, interview_steps
from booth.session.timing import Timing

if TYPE_CHECKING:
    from booth.session.flow import Flow

# Fixed, not settings, so that the README's bound on guesses holds on every booth.
LOCKOUT_MAX_SECONDS = 900.0  # the longest wait
FORGET_SECONDS = 3600.0  # wrong codes are forgotten after this long without one

# What this booth knows of an invitation's sessions (`InvitationUse.status`).
OPEN = "open"  # a session is running, or was when the booth lost power: it ended early
ENDED_EARLY = "ended-early"  # resumable within the interview's validity
COMPLETE = "complete"  # spent
DECLINED = "declined"  # consent declined before any take: the code opens a new session


@dataclass(frozen=True)
class Lockout:
    """Wrong invitation codes entered on this booth, and until when code entry waits.

    wrong: wrong codes since the booth last went an hour without one.
    last_wrong: when the last wrong code was entered (Unix seconds).
    until: code entry waits until then (Unix seconds; 0 = no wait).
    """

    wrong: int = 0
    last_wrong: float = 0.0
    until: float = 0.0

    def current(self, now: float, timing: Timing) -> Lockout:
        """This lockout at `now`: forgotten after a quiet hour; a wait never longer than the
        longest one, should the wall clock have been set back."""
        if self.wrong and now - self.last_wrong >= FORGET_SECONDS:
            return Lockout()
        longest = now + LOCKOUT_MAX_SECONDS
        if self.until > longest:
            return replace(self, until=longest)
        return self

    def seconds_left(self, now: float, timing: Timing) -> float:
        """How long code entry still waits at `now` (0 when it does not)."""
        return max(0.0, self.current(now, timing).until - now)

    def after_wrong(self, now: float, timing: Timing) -> Lockout:
        """The lockout after one more wrong code at `now`."""
        lock = self.current(now, timing)
        wrong = lock.wrong + 1
        until = lock.until
        if wrong >= timing.code_attempts:
            doublings = min(wrong - timing.code_attempts, 16)
            wait = min(timing.code_lockout_seconds * 2**doublings, LOCKOUT_MAX_SECONDS)
            until = now + wait
        return Lockout(wrong, now, until)


@dataclass(frozen=True)
class InvitationUse:
    """What this booth knows of one invitation's sessions (kept in its state directory).

    status: OPEN, ENDED_EARLY, COMPLETE or DECLINED.
    sessions: the spool session ids, oldest first: a resumed session links to the last.
    takes: takes recorded per question id (kept or not: they count against the limits).
    kept: the question ids with a kept answer; a resumed session does not ask them again.
    """

    status: str
    sessions: tuple[str, ...] = ()
    takes: Mapping[str, int] = field(default_factory=dict)
    kept: tuple[str, ...] = ()

    @property
    def spent(self) -> bool:
        return self.status == COMPLETE

    @property
    def resumable(self) -> bool:
        return self.status in (OPEN, ENDED_EARLY) and bool(self.sessions)


class InvitationUses(Protocol):
    """The invitations this booth has seen, by interview id and candidate reference."""

    def get(self, interview_id: str, candidate_ref: str) -> InvitationUse | None: ...


class NoUses:
    """A booth that remembers no invitation (tests of the flow alone)."""

    def get(self, interview_id: str, candidate_ref: str) -> InvitationUse | None:
        return None


def _wall(flow: Flow) -> float:
    return flow.clock.now().timestamp()


def locked_seconds(flow: Flow) -> float:
    """How long code entry still waits."""
    return flow.lockout.seconds_left(_wall(flow), flow.timing)


def on_code(flow: Flow, action: str, value: str | None, out: list[Effect]) -> bool:
    """The code screen's actions: digits, delete, OK, and Back (which never lifts a wait)."""
    if action == Action.BACK:
        flow._to_idle(out)
        return True
    if locked_seconds(flow) > 0 and action in (Action.DIGIT, Action.DELETE, Action.CONFIRM):
        flow.message = "code.locked"
        return False
    if action == Action.DIGIT:
        if value is None or len(value) != 1 or not value.isdigit() or not value.isascii():
            return False
        if len(flow.code_entry) >= CODE_MAX_DIGITS:
            return False
        flow.code_entry += value
        flow.message = None
        return True
    if action == Action.DELETE:
        flow.code_entry = flow.code_entry[:-1]
        return True
    if action == Action.CONFIRM:
        check_code(flow, out)
        return True
    return False


def tick_code(flow: Flow) -> None:
    """The wait is over: the message about it goes (the count of wrong codes stays)."""
    if flow.message == "code.locked" and locked_seconds(flow) <= 0:
        flow.message = None


def check_code(flow: Flow, out: list[Effect]) -> None:
    """OK on the code screen: open the invitation, or say why not."""
    code, flow.code_entry = flow.code_entry, ""
    if not code:
        flow.message = "code.empty"
        return
    now = flow.clock.now()
    for interview in flow.interviews:
        invitation = interview.codes.lookup(code)
        if invitation is None:
            continue
        if now < interview.valid_from:
            flow.message = "code.not_yet_valid"
            out.append(Event("code.not_yet_valid", {"interview": interview.id}))
            return
        if now > interview.deadline:
            flow.message = "code.expired"
            out.append(Event("code.expired", {"interview": interview.id}))
            return
        use = flow.uses.get(interview.id, invitation.candidate_ref)
        if use is not None and use.spent:
            flow.message = "code.used"
            out.append(Event("code.used", {"interview": interview.id}))
            return
        begin(flow, interview, invitation, use, out)
        return
    flow.lockout = flow.lockout.after_wrong(_wall(flow), flow.timing)
    out.append(RecordLockout(flow.lockout.wrong, flow.lockout.last_wrong, flow.lockout.until))
    left = locked_seconds(flow)
    out.append(Event("code.wrong", {"wrong": flow.lockout.wrong, "locked_seconds": round(left)}))
    flow.message = "code.locked" if left > 0 else "code.wrong"


def begin(
    flow: Flow,
    interview: Interview,
    invitation: Invitation,
    use: InvitationUse | None,
    out: list[Effect],
) -> None:
    """A code opened `invitation`: a new session, or the rest of one that ended early."""
    flow.interview, flow.invitation = interview, invitation
    flow.message = None
    if flow.language not in interview.languages:
        flow.language = interview.languages[0]
    flow.steps = interview_steps(interview, invitation)
    flow.step_index = 0
    if use is not None and use.resumable:
        # Takes already used count against the limits; kept answers are not asked again, nor
        # questions whose takes are all used (what the spool kept of them is sent).
        flow.takes = {q: n for q, n in use.takes.items() if n > 0}
        flow.resumes = use.sessions[-1]
        flow.skipped = {s.id for s in flow.steps if s.id in use.kept or _exhausted(flow, s)}
        if use.kept:
            # The candidate has been here: intro clips and practice are not made to wait.
            flow.skipped |= {s.id for s in flow.steps if s.practice}
            flow.skip_intro = True
        out.append(
            Event(
                "session.resume",
                {"interview": interview.id, "resumes": flow.resumes, "kept": len(use.kept)},
            )
        )
    out.append(Event("session.begin", {"interview": interview.id}))
    flow._goto(Screen.WELCOME, out)


def _exhausted(flow: Flow, step: Step) -> bool:
    left = flow.takes_left(step)
    return left is not None and left <= 0
