"""How long the booth waits, and how it limits wrong invitation codes: the flow's timing.

Defined once, here: `booth.config.settings` fills it from the `[timing]` table of the booth
settings, and the flow takes it as it is (`BoothRules(..., timing=settings.timing)`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """How long the booth waits, in seconds, and how it limits wrong invitation codes.

    The booth settings give whole seconds; the flow counts in float seconds of its clock.
    """

    inactivity_seconds: float = 60  # no input on a screen → "are you still there?"
    inactive_grace_seconds: float = 20  # then the session ends, keeping what was kept
    # Help, "end the interview?" and the equipment check's help: the candidate may be fetching
    # staff, so the guard waits this long there before it asks ([help] wait_minutes).
    help_wait_seconds: float = 600
    done_seconds: float = 60  # the done screen returns to idle this long after the last touch
    countdown_seconds: float = 3  # the 3-2-1 before recording
    warning_seconds: float = 10  # the answer timer says "N seconds left" this long before the end
    code_attempts: int = 5  # wrong codes on this booth before code entry waits
    code_lockout_seconds: float = 60  # the first wait; each further wrong code doubles it
