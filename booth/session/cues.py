"""When the booth sounds its cues: each number of the 3-2-1, "recording starts", the time
warning and the stop (issue 27: sounds that guide a candidate who looks at the camera).

The flow only says *when* (a `Cue` effect); what a cue sounds like, and that it is played at
all (`[sound] cues`), is the kiosk's business (`booth.media.cues`).

A cue must never land in the candidate's answer. The microphone hears the speaker, so the
"recording" cue is sounded `RECORDING_CUE_LEAD_S` before the take starts: the tone, the speaker
path's delay and the room's echo all fit before the take's first sample. The stop cue comes
after the take has stopped. The time warning sounds during the take; the recorder takes its
narrow tone back out of the answer (`booth.media.tones`).
"""

from __future__ import annotations

import math

from booth.session.control import FlowControl
from booth.session.effects import Cue, Effect
from booth.session.screens import Screen

CUE_NAMES = ("countdown", "recording", "warning", "stop")

RECORDING_CUE_LEAD_S = 0.65
"""The "recording" cue sounds this long before the take starts (the end of the 3-2-1). The tone
is shorter than this by more than the speaker path's delay and the room's echo
(`booth.media.cues.GUARD_S`), so none of it reaches the take."""

LATE_S = 0.15
"""A "recording" cue that could only start later than this after its moment (a 3-2-1 shorter
than the lead, or a frame that came very late) is left out: it would reach the take."""


def start_countdown(flow: FlowControl, out: list[Effect]) -> None:
    """The 3-2-1 starts: a new set of cues, and the first number's at once."""
    flow.candidate.cues_sounded.clear()
    tick(flow, out)


def tick(flow: FlowControl, out: list[Effect]) -> None:
    """The cues that are due now: one per number of the 3-2-1 as it appears, "recording"
    `RECORDING_CUE_LEAD_S` before the take, and the warning when "N seconds left" appears."""
    c = flow.candidate
    if c.paused_left is not None:
        return
    left = c.timer_end - flow.clock.monotonic()
    if c.screen == Screen.COUNTDOWN:
        count = math.ceil(left - 1e-6)  # the number on screen
        if count >= 1:
            _once(c.cues_sounded, f"countdown-{count}", "countdown", out)
        if RECORDING_CUE_LEAD_S - LATE_S < left <= RECORDING_CUE_LEAD_S:
            _once(c.cues_sounded, "recording", "recording", out)
    elif c.screen == Screen.RECORDING:
        warn = flow.timing.warning_seconds
        # Only where the warning appears during the answer, not with it.
        if 0 < warn < c.step.answer_seconds and 0 < left <= warn:
            _once(c.cues_sounded, "warning", "warning", out)


def stop(out: list[Effect]) -> None:
    """The take has stopped (the candidate pressed stop, or the time ran out)."""
    out.append(Cue("stop"))


def _once(sounded: set[str], key: str, cue: str, out: list[Effect]) -> None:
    if key not in sounded:
        sounded.add(key)
        out.append(Cue(cue))
