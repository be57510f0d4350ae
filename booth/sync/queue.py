"""The upload queue: which files of which finished sessions still have to reach the server.

Pure logic over manifests and upload records (no I/O). A session's kept takes go first, in the
order the candidate answered, and its manifest last: the server can treat the manifest's
arrival as "this session is complete". Sessions still `recording` are never in the queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

from booth.media.spool import FINAL_STATUSES, MANIFEST
from booth.privacy.upload import upload_files
from booth.sync.store import UploadRecord

PENDING = "pending"
UPLOADING = "uploading"
CONFIRMED = "confirmed"
STATES = (PENDING, UPLOADING, CONFIRMED)


@dataclass(frozen=True)
class SpoolFile:
    """One file to upload: where it is, how big, its sha256 and its tus metadata."""

    session_id: str
    name: str
    path: Path
    length: int
    sha256: str
    metadata: dict[str, str] = field(hash=False, compare=False)

    @property
    def is_manifest(self) -> bool:
        return self.name == MANIFEST


@dataclass(frozen=True)
class FinishedSession:
    """A finished session's directory and its files in upload order (manifest last)."""

    session_id: str
    dir: Path
    files: tuple[SpoolFile, ...]


def is_finished(manifest: Mapping | None) -> TypeGuard[Mapping]:
    """Whether the kiosk has closed this session (complete, ended early or declined)."""
    return manifest is not None and manifest.get("status") in FINAL_STATUSES


def finished_session(
    dir: Path, manifest: Mapping, manifest_length: int, manifest_sha256: str
) -> FinishedSession:
    """The files of a finished session, takes first in answer order, the manifest last
    (which files, and their metadata: booth.privacy.upload)."""
    session_id = str(manifest["session_id"])
    files = tuple(
        SpoolFile(session_id, f.name, dir / f.name, f.length, f.sha256, f.metadata)
        for f in upload_files(manifest, manifest_length, manifest_sha256)
    )
    return FinishedSession(session_id, dir, files)


def file_state(file: SpoolFile, record: UploadRecord | None) -> str:
    """pending (nothing on the server yet), uploading, or confirmed (the server has it whole).

    A record for different bytes (another length or sha256) counts as nothing.
    """
    if record is None or record.length != file.length or record.sha256 != file.sha256:
        return PENDING
    return CONFIRMED if record.confirmed else UPLOADING


def session_state(session: FinishedSession, records: Mapping[str, UploadRecord]) -> str:
    """pending (no file started), confirmed (every file, manifest included), else uploading."""
    states = [file_state(f, records.get(f.name)) for f in session.files]
    if all(s == CONFIRMED for s in states):
        return CONFIRMED
    if all(s == PENDING for s in states):
        return PENDING
    return UPLOADING


def upload_order(
    sessions: Iterable[FinishedSession], records: Mapping[tuple[str, str], UploadRecord]
) -> list[SpoolFile]:
    """Every file not yet confirmed: oldest session first, takes before the manifest."""
    return [
        f
        for s in sessions
        for f in s.files
        if file_state(f, records.get((s.session_id, f.name))) != CONFIRMED
    ]


def due_for_deletion(
    session: FinishedSession,
    records: Mapping[str, UploadRecord],
    now: float,
    retention_hours: float,
) -> bool:
    """Whether the server confirmed every file whole at least `retention_hours` before `now`
    (Unix seconds). Anything unconfirmed keeps the session on the booth, whatever the disk."""
    if session_state(session, records) != CONFIRMED:
        return False
    last = max(records[f.name].confirmed_at or now for f in session.files)
    return now - last >= retention_hours * 3600.0


@dataclass
class QueueSummary:
    """Sessions, files and bytes per state (pending, uploading, confirmed).

    `sent_bytes` counts the bytes of uploading files the server already acknowledged.
    """

    sessions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    files: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    bytes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    sent_bytes: int = 0


def summarize(
    sessions: Iterable[FinishedSession], records: Mapping[tuple[str, str], UploadRecord]
) -> QueueSummary:
    summary = QueueSummary()
    for session in sessions:
        mine = {f.name: records[(session.session_id, f.name)] for f in session.files
                if (session.session_id, f.name) in records}  # fmt: skip
        summary.sessions[session_state(session, mine)] += 1
        for f in session.files:
            state = file_state(f, mine.get(f.name))
            summary.files[state] += 1
            summary.bytes[state] += f.length
            if state == UPLOADING:
                summary.sent_bytes += mine[f.name].offset
    return summary
