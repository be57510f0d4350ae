"""What a screen's handler may see and do: the seam between the flow and its screens.

`booth.session.flow.Flow` is the one implementation. The screens' handlers (code_screen,
arrival, overlays, clips, questions) and the snapshot take this protocol instead of the flow,
so they never import it and the flow imports them without a circle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from booth.session.candidate import Candidate
from booth.session.clock import Clock
from booth.session.codes_entry import InvitationUses, Lockout
from booth.session.effects import Effect
from booth.session.interview import Interview
from booth.session.screens import Screen
from booth.session.timing import Timing
from booth.session.view import ConsentFacts


class FlowControl(Protocol):
    """The candidate, the booth's facts, and the moves between screens."""

    # The booth's, not the candidate's: they outlive every visit.
    lockout: Lockout  # wrong codes on this booth, and until when code entry waits
    fault_reason: str | None

    @property
    def candidate(self) -> Candidate: ...

    @property
    def interviews(self) -> Sequence[Interview]: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def timing(self) -> Timing: ...

    @property
    def uses(self) -> InvitationUses: ...

    @property
    def consent(self) -> ConsentFacts: ...

    @property
    def next_opening(self) -> Callable[[datetime], datetime | None]: ...

    @property
    def hours_today(self) -> Callable[[datetime], str]: ...

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the candidate can switch between: the interview's, else the booth's."""
        ...

    @property
    def code_places(self) -> int:
        """Digits of the installed invitation codes (the longest), 0 while unknown."""
        ...

    def now(self) -> float:
        """The session clock's monotonic seconds."""
        ...

    def goto(self, screen: Screen, out: list[Effect], **fields: Any) -> None:
        """Show `screen`; the event carries `fields`."""
        ...

    def start_timer(self, seconds: float) -> None: ...

    def timer_left(self) -> float: ...

    def to_idle(self, out: list[Effect]) -> None:
        """The visit is over: forget the candidate and go back to idle (or closed, or out of
        order)."""
        ...

    def end_early(self, out: list[Effect], reason: str, to_idle: bool = True) -> None:
        """End the session now, keeping what the rules say is kept."""
        ...

    def finish(self, out: list[Effect]) -> None:
        """Every question answered: close the session as complete."""
        ...

    def enter_done(self, out: list[Effect]) -> None: ...


Handler = Callable[[FlowControl, str, str | None, list[Effect]], bool]
"""What a screen does with a candidate's action (and its value): True when it acted on it,
False to refuse it. Effects go to the list."""
