"""What the code screen keeps beyond one candidate: the lockout after wrong codes, and what the
booth knows of invitations used before (booth.session.code_screen handles the screen itself).

The lockout is the booth's, not the candidate's: wrong codes are counted on this booth across
Back, idle and restarts (the kiosk keeps `Lockout` in its state directory), and only an hour
without a wrong code forgets them. After `code_attempts` wrong codes entry waits
`code_lockout_seconds`, and every further wrong code doubles the wait up to
`LOCKOUT_MAX_SECONDS`. With the defaults (5, 1 min, 15 min) that is at most 12 guesses in
the first hour and 4 an hour after that (README: "Invitation codes").

Times here are wall-clock Unix seconds (`Clock.now()`), because a lockout must outlive the
process whose monotonic clock counted it. A wall clock set back cannot stretch a wait beyond
the longest one.

Pure like the flow: the kiosk writes `RecordLockout` to disk and keeps the invitations' use
from the session effects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from booth.session.timing import Timing

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
