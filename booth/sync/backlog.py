"""What waits in the spool for the sync agent, and what holds it back, in words for staff.

Finished sessions come from the spool (booth.sync.manifests), with every unreadable manifest
rebuilt where possible; files held back (set aside, damaged) come from the upload store, and a
set-aside whose time has come is released here. `outstanding` and `unproven` say what keeps
`booth sync --once` from being done.
"""

from __future__ import annotations

import logging
from pathlib import Path

from booth.sync.manifests import SpoolScan, rebuild_manifest, scan_spool
from booth.sync.parts import SyncParts
from booth.sync.queue import FinishedSession
from booth.sync.receipts import RECEIPT, ReceiptBook, waiting_for_receipts
from booth.sync.sender import FileSender
from booth.sync.store import Hold

log = logging.getLogger(__name__)

UNREADABLE = (
    "the manifest cannot be read and the session cannot be rebuilt from its files (the "
    "interview or candidate reference is lost): left in the spool for staff"
)


class Backlog:
    """The finished sessions in `parts.spool` and the holds on their files.

    `sender` is told when a set-aside file is released, so that it starts with a fresh budget
    of requests."""

    def __init__(self, parts: SyncParts, sender: FileSender) -> None:
        self.parts = parts
        self.sender = sender
        self._reported: set[Path] = set()  # unreadable manifests already logged

    def scan(self) -> SpoolScan:
        """The spool, with every unreadable manifest rebuilt where possible (see
        booth.sync.manifests); open sessions are never touched."""
        parts = self.parts
        scan = scan_spool(parts.spool)
        rebuilt = False
        for session_dir in scan.unreadable:
            try:
                manifest = rebuild_manifest(session_dir)
            except OSError as err:
                log.warning("sync: %s: could not rebuild the manifest: %s", session_dir, err)
                manifest = None
            if manifest is not None:
                rebuilt = True
                parts.store.note(
                    "error",
                    parts.hooks.clock(),
                    f"{session_dir.name}: manifest unreadable, rebuilt",
                )
            elif session_dir not in self._reported:
                self._reported.add(session_dir)
                parts.note_error(f"{session_dir}: {UNREADABLE}")
        return scan_spool(parts.spool) if rebuilt else scan

    def finished_sessions(self) -> list[FinishedSession]:
        """Every finished session in the spool, oldest first."""
        return self.scan().finished

    def active_holds(self) -> dict[tuple[str, str], Hold]:
        """Files held back now, by (session_id, name). A set-aside whose time has come is
        released here, with a fresh budget of requests, creations and restarts."""
        store = self.parts.store
        now = self.parts.hooks.clock()
        active = {}
        for key, hold in store.holds().items():
            if not (self.parts.spool.root / key[0]).is_dir():
                store.forget(key[0])  # staff removed the session: nothing to hold
            elif hold.active(now):
                active[key] = hold
            else:
                store.release(*key)
                self.sender.stalled.pop(key, None)
                log.info("sync: trying %s/%s again (set aside: %s)", *key, hold.reason)
        return active

    def outstanding(self) -> list[str]:
        """What keeps the queue from being done, in words for staff: files held back and
        sessions whose manifest could not be read or rebuilt."""
        problems = [
            f"{s}/{n} {h.kind}: {h.reason}" for (s, n), h in sorted(self.active_holds().items())
        ]
        problems += [f"{d}: {UNREADABLE}" for d in scan_spool(self.parts.spool).unreadable]
        return problems

    def unproven(self) -> list[str]:
        """Sessions the server took whole that no receipt proves yet, in words for staff
        (none with `proof = "upload"`)."""
        parts = self.parts
        if parts.sync.proof != RECEIPT:
            return []
        waiting = waiting_for_receipts(
            self.finished_sessions(), parts.store.records(), ReceiptBook(parts.state_dir)
        )
        return [f"{w.session_id} waits for the server's receipt: {w.problem}" for w in waiting]
