"""Is the booth fit to record? Camera, microphone, disk and sealing, checked every second.

A fault has an id the candidate's screen translates ("camera", "microphone", "disk"; others
get a general sentence) and a detail for staff, shown by `booth status`: what is wrong and
what to do about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from booth.devices.level_meter import LevelMeter
from booth.devices.ports.camera import Camera
from booth.media.spool import disk_free_bytes, worst_case_bytes
from booth.privacy.age import AGE_FIX, age_installed
from booth.session.interview import Interview


class Faulty(Protocol):
    """A part that says what is wrong with it (None: nothing): the microphone's reader."""

    fault: str | None


class Retried(Faulty, Protocol):
    """A part tried again while it fails (`ReopeningSpeaker`): `poll` tries when it is time."""

    def poll(self) -> None: ...


@dataclass(frozen=True)
class Fault:
    id: str  # camera | microphone | speaker | light | buttons | display | disk | sealing
    detail: str  # for staff


def needs_sound(interview: Interview) -> bool:
    """Whether a candidate of `interview` hears anything: intro clips, question clips, or
    questions read aloud."""
    return bool(interview.intro_clips) or any(q.clip or q.audio for q in interview.questions)


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def session_budget_bytes(
    interview: Interview,
    bitrate_bps: int,
    sample_rate: int,
    margin_bytes: int,
    sealed: bool = False,
) -> int:
    """The disk one session of `interview` can need at most (every take at full length, and
    the encrypted copies of a `sealed` session)."""
    questions = [(q.answer_seconds, q.max_takes) for q in interview.questions]
    return worst_case_bytes(questions, bitrate_bps, sample_rate, 1, margin_bytes, sealed)


def clear_session_bytes(interviews: Sequence[Interview], bitrate_bps: int, sample_rate: int) -> int:
    """The most a running session of any of `interviews` can hold in clear (every take at full
    length): what the RAM scratch must have room for (booth.privacy.scratch)."""
    budgets = (session_budget_bytes(iv, bitrate_bps, sample_rate, 0) for iv in interviews)
    return max(budgets, default=0)


class DiskGuard:
    """A session may start only when the disk holds the largest interview's worst case: the
    kiosk's guard, and `booth doctor`'s disk check."""

    def __init__(
        self,
        spool_root: Path,
        interviews: Sequence[Interview],
        bitrate_bps: int,
        sample_rate: int,
        margin_bytes: int,
        sealed: bool = False,
    ) -> None:
        self.spool_root = spool_root
        self.sealed = sealed  # sessions are sealed: their encrypted copies need room too
        self._budget = (bitrate_bps, sample_rate, margin_bytes, sealed)
        self.set_interviews(interviews)

    def set_interviews(self, interviews: Sequence[Interview]) -> None:
        """The installed interviews a session is sized by."""
        self.budgets = {iv.id: session_budget_bytes(iv, *self._budget) for iv in interviews}

    def disk_fault(self) -> Fault | None:
        """A session may start only when the disk holds the largest interview's worst case."""
        if not self.budgets:
            return None
        interview_id, need = max(self.budgets.items(), key=lambda item: item[1])
        free = disk_free_bytes(self.spool_root)
        if free >= need:
            return None
        return Fault(
            "disk",
            f"only {_gb(free)} free in {self.spool_root}, but a session of interview "
            f"{interview_id!r} may need {_gb(need)}: let the sync agent upload "
            "(booth sync --once), or free space on the disk",
        )


class Health:
    """Checks the devices and the disk; the kiosk turns a fault into out-of-order."""

    def __init__(
        self,
        camera: Camera,
        meter: LevelMeter,
        disk: DiskGuard,
        interviews: Sequence[Interview],
        mic: Faulty | None = None,
        speaker: Retried | None = None,
    ) -> None:
        """`disk` is the disk guard, already sized by `interviews`; `mic` the microphone's
        reader thread; `speaker` a real booth's `ReopeningSpeaker` (out of order only while an
        interview needs sound; None: not checked)."""
        self.camera = camera
        self.meter = meter
        self.mic = mic
        self.speaker = speaker
        self.disk = disk
        self.sounding = [iv.id for iv in interviews if needs_sound(iv)]

    @property
    def budgets(self) -> dict[str, int]:
        return self.disk.budgets

    def set_interviews(self, interviews: Sequence[Interview]) -> None:
        """The installed interviews the disk guard sizes a session by."""
        self.disk.set_interviews(interviews)
        self.sounding = [iv.id for iv in interviews if needs_sound(iv)]

    def disk_fault(self) -> Fault | None:
        return self.disk.disk_fault()

    def speaker_fault(self) -> Fault | None:
        """No speaker: out of order when an interview has clips or questions read aloud (a
        text-only one runs silent). The speaker is tried again every minute meanwhile."""
        if self.speaker is None:
            return None
        self.speaker.poll()
        if not self.speaker.fault or not self.sounding:
            return None
        return Fault(
            "speaker",
            f"{self.speaker.fault} (interview {self.sounding[0]!r} plays sound; tried again "
            "every minute; `booth devices` shows the choice)",
        )

    def check(self, in_session: bool) -> Fault | None:
        camera_fault = self.camera.fault
        if camera_fault:
            return Fault(
                "camera",
                f"camera: {camera_fault} (check its ribbon cable; `booth doctor` tests it)",
            )
        # A reader thread that died (USB microphone pulled) feeds the meter nothing at all.
        mic_fault = (self.mic.fault if self.mic is not None else None) or self.meter.fault
        if mic_fault:
            return Fault(
                "microphone",
                f"microphone: {mic_fault} (check the USB microphone and its mute switch; "
                "`booth mic test` shows its level)",
            )
        # The disk guard refuses new sessions; a session under way finishes its takes, and a
        # take that meets a full disk stops cleanly and is kept.
        if not in_session:
            return self.speaker_fault() or self.sealing_fault() or self.disk_fault()
        return None

    def sealing_fault(self) -> Fault | None:
        """With [privacy] recipients, a session may start only when it can be sealed: the
        consent screen tells the candidate their answers are stored encrypted."""
        if not self.disk.sealed or age_installed():
            return None
        return Fault(
            "sealing",
            "the age command is not installed, so sessions cannot be encrypted to the "
            f"[privacy] recipients: {AGE_FIX}",
        )
