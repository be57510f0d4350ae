"""What the code screen keeps beyond one candidate: the lockout after wrong codes, and what the
booth knows of invitations used before (booth.session.code_screen handles the screen itself).

The lockout is the booth's, not the candidate's: wrong codes are counted on this booth across
Back, idle and restarts (the kiosk keeps `Lockout` in its state directory). They leak away
(a leaky bucket): one every `LEAK_SECONDS` (15 minutes), whatever happens, and a right code
does not empty the bucket. While `code_attempts` - 1 wrong codes or fewer are in it, a wrong
code costs nothing; the one that brings it past that makes entry wait `code_lockout_seconds`,
and every further wait before the bucket is empty again doubles, up to `LOCKOUT_MAX_SECONDS`.

So honest typos never pile up: a typo every 30 minutes leaks away before the next, and even a
candidate who mistypes four times in a row every hour never waits. An attacker gets the first
`code_attempts` guesses at once, then waits 1, 2, 4, 8 and 15 minutes, and at best 4 guesses
an hour for as long as they keep at it: waiting for the bucket to empty gains nothing, since it
empties at the same 4 an hour (README "What that bound means"; tools/lockout_bound.py computes
the best strategy's figures).

Times here are wall-clock Unix seconds (`Clock.now()`), because a lockout must outlive the
process whose monotonic clock counted it. A wall clock set back cannot stretch a wait beyond
the longest one, nor fill the bucket.

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
LEAK_SECONDS = 900.0  # one wrong code leaks out of the bucket this often
# The bucket holds no more than this above `code_attempts` - 1: there every wrong code already
# waits the longest (60 s doubled four times passes 900 s), and a bucket that kept filling
# would keep honest candidates waiting for hours after a night of guessing.
OVERFLOW_CODES = 5
SATURATED_WAITS = 4  # after this many waits in a run, every wait is the longest (60 s × 2⁴ > 900 s)
MAX_CODE_ATTEMPTS = 5  # `[timing] code_attempts` can only make it stricter (1-5)


# What this booth knows of an invitation's sessions (`InvitationUse.status`).
OPEN = "open"  # a session is running, or was when the booth lost power: it ended early
ENDED_EARLY = "ended-early"  # resumable within the interview's validity
COMPLETE = "complete"  # spent
DECLINED = "declined"  # consent declined before any take: the code opens a new session


@dataclass(frozen=True)
class Lockout:
    """Wrong invitation codes entered on this booth, and until when code entry waits.

    wrong: wrong codes still in the bucket right after the last one (it leaks one every
        `LEAK_SECONDS`; a fraction is a code partly leaked away).
    last_wrong: when the last wrong code was entered (Unix seconds).
    until: code entry waits until then (Unix seconds; 0 = no wait).
    waits: waits started since the bucket was last empty: the next one is twice the last
        (and the metric counts them).
    """

    wrong: float = 0.0
    last_wrong: float = 0.0
    until: float = 0.0
    waits: int = 0

    def level(self, now: float) -> float:
        """Wrong codes still in the bucket at `now`. A time before the last wrong code (a
        clock set back) leaks nothing: it never fills the bucket either."""
        leaked = max(0.0, now - self.last_wrong) / LEAK_SECONDS
        return max(0.0, self.wrong - leaked)

    def current(self, now: float, timing: Timing) -> Lockout:
        """This lockout at `now`: empty once every wrong code leaked away; a wait never longer
        than the longest one, should the wall clock have been set back."""
        if self.wrong and self.level(now) <= 0.0 and now >= self.until:
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
        free = timing.code_attempts - 1
        level = min(lock.level(now) + 1.0, free + OVERFLOW_CODES)
        until, waits = lock.until, lock.waits
        if level - free > 1e-9:
            # Each wait of a run doubles the last: the bucket leaking during the waits
            # must not shorten the next one.
            wait = min(timing.code_lockout_seconds * 2 ** min(waits, 16), LOCKOUT_MAX_SECONDS)
            until, waits = now + wait, waits + 1
        return Lockout(level, now, until, waits)

    @staticmethod
    def full(now: float) -> Lockout:
        """The strictest lockout any settings can reach: the fullest bucket, the longest wait
        (what a damaged record counts as: spoiling it must never help)."""
        level = MAX_CODE_ATTEMPTS - 1 + OVERFLOW_CODES
        return Lockout(level, now, now + LOCKOUT_MAX_SECONDS, SATURATED_WAITS)


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
