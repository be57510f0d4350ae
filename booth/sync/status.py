"""The upload queue as staff see it in `booth status` (and `booth status --json`)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from booth.config.errors import ConfigError
from booth.config.settings import Settings
from booth.media.spool import Spool
from booth.sync.config import sync_settings
from booth.sync.manifests import scan_spool
from booth.sync.queue import STATES, summarize
from booth.sync.receipts import RECEIPT, UPLOAD, ReceiptBook, waiting_for_receipts
from booth.sync.store import DAMAGED, SET_ASIDE, STORE_FILE, Event, Hold, UploadStore


def sync_status(settings: Settings) -> dict[str, Any]:
    """The queue: sessions, files and bytes per state (pending, uploading, confirmed), how many
    sessions are still being recorded, the files set aside (until the next upload window) and
    the damaged ones (their bytes no longer match the manifest: kept for staff) with the reason,
    the session directories whose manifest cannot be read, the sessions the server took whole
    that wait for its receipt (`awaiting_receipt`, with what the receipt lacks, and the age of
    the oldest in seconds), the last success and the last error
    (times in ISO 8601), and `problem` when the settings or the store cannot be read.
    JSON-ready."""
    status: dict[str, Any] = {"configured": False, "url": None, "problem": None}
    proof = RECEIPT
    try:
        sync = sync_settings(settings)
        status["configured"] = sync.url is not None
        status["url"] = sync.url
        proof = sync.proof
    except ConfigError as err:
        status["problem"] = str(err)
    records = {}
    holds: dict[tuple[str, str], Hold] = {}
    last_success = last_error = None
    if (Path(settings.paths.state) / STORE_FILE).exists():
        try:
            store = UploadStore(settings.paths.state, read_only=True)
            try:
                records = store.records()
                holds = store.holds()
                last_success, last_error = store.last("success"), store.last("error")
            finally:
                store.close()
        except sqlite3.Error as err:
            status["problem"] = f"{settings.paths.state / STORE_FILE}: cannot be read: {err}"
    scan = scan_spool(Spool(settings.paths.spool))
    summary = summarize(scan.finished, records)
    present = {(s.session_id, f.name) for s in scan.finished for f in s.files}
    now = datetime.now(UTC).timestamp()
    held = [h for key, h in sorted(holds.items()) if key in present and h.active(now)]
    waiting = (
        waiting_for_receipts(scan.finished, records, ReceiptBook(settings.paths.state))
        if proof == RECEIPT
        else []
    )
    status.update(
        sessions=summary.sessions,
        files=summary.files,
        bytes=summary.bytes,
        sent_bytes=summary.sent_bytes,
        open_sessions=scan.still_open,
        sealing_sessions=scan.sealing,
        set_aside=[_hold(h) for h in held if h.kind == SET_ASIDE],
        damaged=[_hold(h) for h in held if h.kind == DAMAGED],
        unreadable=[str(d) for d in scan.unreadable],
        proof=proof,
        awaiting_receipt=[
            {"session": w.session_id, "since": _iso(w.since), "problem": w.problem} for w in waiting
        ],
        oldest_awaiting_receipt_seconds=round(now - waiting[0].since) if waiting else 0,
        last_success=_event(last_success),
        last_error=_event(last_error),
    )
    return status


def status_lines(status: dict[str, Any]) -> list[str]:
    """The status as a few lines of text for `booth status`."""
    lines = [f"uploads to {status['url']}" if status["configured"] else "uploads: not configured"]
    for state in STATES:
        lines.append(
            f"  {state:<10} {status['sessions'][state]:>4} sessions {status['files'][state]:>5} "
            f"files {_size(status['bytes'][state]):>10}"
        )
    if status["open_sessions"]:
        lines.append(f"  being recorded: {status['open_sessions']} session(s), not uploaded yet")
    if status.get("sealing_sessions"):
        lines.append(
            f"  not sealed yet: {status['sealing_sessions']} ended session(s), in clear, not "
            "uploaded (being sealed now, or a seal failed: booth doctor; journalctl -u "
            "booth-kiosk)"
        )
    for hold in status["damaged"]:
        lines.append(f"  DAMAGED session {hold['session']}: {hold['file']}: {hold['reason']}")
    for hold in status["set_aside"]:
        lines.append(
            f"  set aside until {hold['until']}: {hold['session']}/{hold['file']}: {hold['reason']}"
        )
    if waiting := status.get("awaiting_receipt"):
        hours = status["oldest_awaiting_receipt_seconds"] / 3600
        lines.append(
            f"  waiting for the server's receipt: {len(waiting)} session(s), kept on the booth; "
            f"the oldest for {hours:.1f} h"
        )
        for w in waiting:
            lines.append(f"    {w['session']}: {w['problem']}")
    if status.get("proof") == UPLOAD and status["configured"]:
        lines.append('  deletions unproven: [sync] proof = "upload" (the server sends no receipts)')
    for where in status["unreadable"]:
        lines.append(f"  UNREADABLE manifest, not uploaded: {where} (needs staff)")
    for key, label in (("last_success", "last success"), ("last_error", "last error")):
        event = status[key]
        lines.append(f"  {label}: {event['at']} {event['message']}" if event else f"  {label}: -")
    if status["problem"]:
        lines.append(f"  problem: {status['problem']}")
    return lines


def _hold(hold: Hold) -> dict[str, Any]:
    return {
        "session": hold.session_id,
        "file": hold.name,
        "reason": hold.reason,
        "since": _iso(hold.at),
        "until": _iso(hold.until) if hold.until is not None else None,
    }


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).astimezone().isoformat(timespec="seconds")


def _event(event: Event | None) -> dict[str, str] | None:
    if event is None:
        return None
    return {"at": _iso(event.at), "message": event.message}


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"
