"""What the session flow asks the world to do.

The flow is pure: instead of recording, writing or playing anything itself it
returns these effects, and the kiosk carries them out (camera, microphone,
spool). Tests read them to see what a candidate's presses would have caused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OpenSession:
    """Create the session's spool directory and manifest (after consent, or a decline)."""

    interview_id: str
    candidate_ref: str
    resumes: str | None = None  # the session of this invitation that ended early, if any


@dataclass(frozen=True)
class StartTake:
    """Start recording a take: camera encoder and microphone to crash-safe files.

    `practice` takes are never written to the spool.
    """

    question_id: str
    take: int
    practice: bool
    max_seconds: float
    # Sent even if the candidate never keeps it (no review, last take, or the interview says
    # so): written into the take's files so that recovery after a crash follows the same rule.
    sent_without_keeping: bool = False


@dataclass(frozen=True)
class StopTake:
    """Stop the take being recorded and turn it into an MP4."""

    question_id: str
    take: int
    practice: bool


@dataclass(frozen=True)
class KeepTake:
    """The candidate keeps this take; earlier takes of the question are deleted at once."""

    question_id: str
    take: int


@dataclass(frozen=True)
class DiscardTake:
    """The candidate chose to record this take again: delete it."""

    question_id: str
    take: int
    practice: bool


@dataclass(frozen=True)
class ReplayTake:
    """Play back a recorded take on the review screen.

    The flow shows `View.replaying` (and `clip_playing`) until the kiosk reports the end with
    `Flow.clip_finished`; the kiosk finds the take's MP4 and plays it in the review's video area.
    """

    question_id: str
    take: int
    practice: bool


@dataclass(frozen=True)
class FinishSession:
    """Close the session's manifest: complete, ended-early or declined."""

    status: str


@dataclass(frozen=True)
class RecordLockout:
    """Keep the booth's count of wrong codes and its wait (`codes_entry.Lockout`) on disk, so
    that neither Back nor a restart of the kiosk lifts it. Times are Unix seconds."""

    wrong: float
    last_wrong: float
    until: float
    waits: int = 0


@dataclass(frozen=True)
class Cue:
    """Sound a short cue through the booth's speaker (`booth.session.cues` says when): one of
    `CUE_NAMES`. The kiosk plays it when `[sound] cues` is on and writes a `cue` event."""

    cue: str


@dataclass(frozen=True)
class Event:
    """One line for events.jsonl and the journal. Never carries an invitation code."""

    name: str
    fields: dict[str, Any] = field(default_factory=dict)


Effect = (
    OpenSession
    | StartTake
    | StopTake
    | KeepTake
    | DiscardTake
    | ReplayTake
    | FinishSession
    | RecordLockout
    | Cue
    | Event
)
