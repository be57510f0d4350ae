"""Deleting a finished session from the booth, once the server has it whole.

A session is deleted when the server confirmed every file at least `retention_hours` ago, none
of its files is held back, and (with `[sync] proof = "receipt"`) the server's receipt proves
that its store holds every file (`Prover`, booth.sync.receipts). Each file's sha256 is read
again first: a file that no longer matches its manifest is marked damaged and the session kept.
Files the booth did not upload (raw takes recovery could not use) stay for staff.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable

from booth.media.spool import DELETING_PREFIX
from booth.sync.backlog import Backlog
from booth.sync.parts import SyncParts
from booth.sync.queue import FinishedSession, due_for_deletion
from booth.sync.receipts import RECEIPT, Prover
from booth.sync.sender import FileSender
from booth.sync.store import Hold, UploadRecord
from booth.sync.tus import TusClient

log = logging.getLogger(__name__)


class Deletion:
    """Deletes the confirmed sessions of `backlog`, checking each file with `sender` and asking
    for receipts with clients from `client` (made only when a receipt is fetched)."""

    def __init__(
        self,
        parts: SyncParts,
        backlog: Backlog,
        sender: FileSender,
        client: Callable[[], TusClient],
    ) -> None:
        self.parts = parts
        self.backlog = backlog
        self.sender = sender
        self.client = client

    def delete_confirmed(self) -> list[str]:
        """Delete sessions the server confirmed whole at least retention_hours ago, and (with
        `proof = "receipt"`) whose receipt proves that the server's store holds every file;
        returns their ids. Files the server has not confirmed are never deleted, and neither
        is a session with a file that no longer matches its manifest (it is marked damaged)."""
        parts = self.parts
        deleted = []
        records = parts.store.records()
        holds = self.backlog.active_holds()
        sessions = self.backlog.finished_sessions()
        prover = (
            Prover(parts.state_dir, parts.sync.url or "", self.client, parts.hooks.clock)
            if parts.sync.proof == RECEIPT
            else None
        )
        try:
            for session in sessions:
                mine = {n: r for (s, n), r in records.items() if s == session.session_id}
                if prover is not None and not prover.proven(session, mine):
                    continue
                if self._delete(session, mine, holds):
                    deleted.append(session.session_id)
        finally:
            if prover is not None:
                prover.close({s.session_id for s in sessions} - set(deleted))
        return deleted

    def _delete(
        self,
        session: FinishedSession,
        mine: dict[str, UploadRecord],
        holds: dict[tuple[str, str], Hold],
    ) -> bool:
        """Delete one session if it is due (see `delete_confirmed`); whether it was."""
        parts = self.parts
        if not due_for_deletion(session, mine, parts.hooks.clock(), parts.sync.retention_hours):
            return False
        if any(s == session.session_id for s, _ in holds):
            return False
        damaged = False
        for f in session.files:
            if not f.path.exists() and not f.is_manifest:
                continue  # deleted by an earlier pass that left the session for staff
            if problem := self.sender.damage(f):
                self.sender.mark_damaged(f, f"before deletion, {problem}")
                damaged = True
        if damaged:
            return False
        uploaded = {f.name for f in session.files}
        others = [p.name for p in session.dir.iterdir() if p.name not in uploaded]
        if others:
            # Raw takes recovery could not use stay for staff, and so does the manifest.
            for f in session.files:
                if not f.is_manifest:
                    f.path.unlink(missing_ok=True)
            log.warning("sync: %s: left %s for staff", session.dir, ", ".join(others))
            return False
        # Hidden first (the spool skips dot-names), so a half-deleted session is never seen.
        hidden = session.dir.with_name(f"{DELETING_PREFIX}{session.dir.name}")
        session.dir.rename(hidden)
        shutil.rmtree(hidden)
        parts.store.forget(session.session_id)
        log.info("sync: deleted confirmed session %s", session.session_id)
        return True
