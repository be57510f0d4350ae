"""One reading of a booth's health, taken from the records the booth already keeps.

- the kiosk's state record (`<state>/kiosk.json`): running, out of order and why;
- the light's record (`<state>/light-state.json`): the ring's output, light missing at the face;
- the spool's manifests: finished sessions by status, recovered takes, what waits for upload;
- the kiosk's wrong-code record (`<state>/lockout.json`): code lockouts;
- the sync agent's upload store (`<state>/uploads.sqlite3`): what the server confirmed, and
  the last success;
- the disk, the clock (booth.timesync) and the board's sysfs (booth.metrics.board).

Nothing here writes; `booth metrics` prints a reading and booth-metrics.service writes it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from booth import __version__
from booth.config.errors import ConfigError
from booth.config.interview import load_interviews
from booth.config.reader import read_json_object
from booth.config.settings import Settings
from booth.light.record import LightState, read_light_state
from booth.media.spool import SessionEntry, Spool, disk_free_bytes, worst_case_bytes
from booth.metrics import board
from booth.metrics.ledger import FinishedRecord, Ledger
from booth.privacy.seal import is_sealed
from booth.session.codes_entry import Lockout
from booth.state import LOCKOUT_FILE, lockout_from_json, occupancy, read_state
from booth.sync.config import sync_settings
from booth.sync.manifests import scan_spool
from booth.sync.queue import CONFIRMED, is_finished, session_state, summarize
from booth.sync.receipts import RECEIPT, ReceiptBook, waiting_for_receipts
from booth.sync.store import DAMAGED, SET_ASIDE, STORE_FILE, UploadStore
from booth.timesync import WAITING_FOR_CLOCK, ClockState, clock_state

MAX_TAKES = 10_000  # a recovered-take count beyond it is not a manifest the kiosk wrote
log = logging.getLogger(__name__)

KIOSK_DOWN = "kiosk"
"""The out-of-order reason of a booth whose kiosk is not running (stopped, crashed, never
started)."""


@dataclass(frozen=True)
class Board:
    """Where the board's facts are read; tests point these at temporary trees."""

    thermal: Path = board.THERMAL
    hwmon: Path = board.HWMON
    vcgencmd: str = board.VCGENCMD
    mounts: Path = board.MOUNTS
    clock: Callable[[], ClockState] = clock_state


@dataclass(frozen=True)
class UploadQueue:
    """files / bytes: files of finished sessions the server has not confirmed, and their bytes
    not yet acknowledged. oldest_pending_seconds: age of the oldest finished session not
    wholly confirmed (0: none waits). last_success: Unix seconds of the last confirmed file
    (None: never). held: files the agent holds back, by kind ("set-aside" until the next
    upload window, "damaged": bytes that differ from the manifest, for staff).
    unreadable_sessions: session directories whose manifest cannot be read.
    unsealed_sessions: ended sessions not sealed yet (being sealed, or a seal failed): in clear
    on the booth, not uploaded.
    awaiting_receipt / oldest_awaiting_receipt_seconds: sessions the server took whole whose
    receipt has not proven them yet (kept on the booth: booth.sync.receipts), and how long
    since the oldest's last file was taken (0: none; always 0 with `proof = "upload"`)."""

    files: int = 0
    bytes: int = 0
    oldest_pending_seconds: float = 0.0
    last_success: float | None = None
    held: Mapping[str, int] = field(default_factory=dict)
    unreadable_sessions: int = 0
    unsealed_sessions: int = 0
    awaiting_receipt: int = 0
    oldest_awaiting_receipt_seconds: float = 0.0


@dataclass(frozen=True)
class Reading:
    """A booth's health at one moment, in the units its metrics carry.

    kiosk_up: the kiosk runs (live process, fresh heartbeat). out_of_order: the fault's id
    ("camera", "microphone", "speaker", "light", "pins", "display", "device", "disk", "sealing",
    "software") while the kiosk shows out of order,
    "kiosk" while no kiosk runs, else None.
    sessions / takes_recovered: counters from the ledger. queue: the upload queue (None when
    the upload store cannot be read: its metrics are left out rather than shown empty).
    upload_blocked: "waiting for clock" while the clock is not synchronised, else None.
    session_budget_bytes: the disk the largest installed interview's session can need (the
    kiosk goes out of order below it); None without an installed interview.
    throttled: each firmware flag set now, None where the Pi does not say.
    under_voltage_events: under-voltage onsets the writer has seen (from the ledger; None
    without the Pi's rpi_volt sensor).
    root_read_only: / is an overlay (deploy/install.sh --read-only-root took effect).
    occupied: a candidate's session is open in a running kiosk (what the occupied light
    outside the door shows); occupancy_since: when the booth last became occupied or free,
    Unix seconds (None: not known).
    """

    booth_id: str
    version: str
    kiosk_up: bool
    out_of_order: str | None
    sessions: Mapping[str, int]
    takes_recovered: int
    code_lockouts: int
    queue: UploadQueue | None
    clock_synchronized: bool | None
    upload_blocked: str | None
    disk_free_bytes: int
    session_budget_bytes: int | None
    throttled: Mapping[str, bool] | None
    under_voltage_events: int | None
    soc_celsius: float | None
    light: LightState | None
    root_read_only: bool | None = None
    occupied: bool = False
    occupancy_since: float | None = None


def finished_records(entries: list[SessionEntry]) -> list[FinishedRecord]:
    """The finished sessions of the spool, as the ledger counts them."""
    records = []
    for entry in entries:
        manifest = entry.manifest
        if not is_finished(manifest):
            continue
        if is_sealed(manifest):  # its takes are in the encrypted manifest: the clear count
            count = manifest.get("recovered_takes")
            recovered = count if type(count) is int and 0 <= count <= MAX_TAKES else 0
        else:
            takes = manifest.get("takes") or []
            recovered = sum(1 for t in takes if isinstance(t, dict) and t.get("recovered"))
        session_id = str(manifest.get("session_id") or entry.dir.name)
        records.append(FinishedRecord(session_id, str(manifest["status"]), recovered))
    return records


def read_booth(
    settings: Settings, ledger: Ledger, now: float, where: Board | None = None
) -> Reading:
    """A reading of the booth `settings` describe. `ledger` is brought up to date with the
    spool (the caller decides whether to save it); `now` is Unix seconds."""
    where = where or Board()
    paths = settings.paths
    state = read_state(paths.state)
    kiosk_up = state is not None and state.running_at(now)
    occ = occupancy(state, now)
    out_of_order = None
    if state is not None and kiosk_up:
        if state.activity == "out-of-order" or state.fault:
            out_of_order = state.fault_id or _fault_id(state.fault)
    else:
        out_of_order = KIOSK_DOWN  # no candidate can use a booth whose kiosk is not running

    spool = Spool(paths.spool)
    entries = spool.sessions()
    ledger.count(finished_records(entries))

    queue = upload_queue(spool, entries, paths.state, now, _proof(settings))
    clock = where.clock()
    wrong = wrong_codes(paths.state)
    if wrong is not None:
        ledger.saw_wrong_codes(wrong.waits, wrong.last_wrong)
    low_voltage = board.under_voltage(where.hwmon)
    ledger.saw_under_voltage(low_voltage)
    throttled = board.throttle_states(board.throttled_flags(where.vcgencmd), low_voltage)
    return Reading(
        booth_id=settings.booth_id,
        version=__version__,
        kiosk_up=kiosk_up,
        out_of_order=out_of_order,
        sessions=dict(ledger.sessions),
        takes_recovered=ledger.takes_recovered,
        code_lockouts=ledger.code_lockouts,
        queue=queue,
        clock_synchronized=clock.synchronized,
        upload_blocked=WAITING_FOR_CLOCK if clock.waiting else None,
        disk_free_bytes=disk_free_bytes(paths.spool),
        session_budget_bytes=session_budget(settings),
        throttled=throttled,
        under_voltage_events=ledger.under_voltage_events if low_voltage is not None else None,
        soc_celsius=board.soc_celsius(where.thermal),
        light=light_reading(paths.state, kiosk_up),
        root_read_only=board.root_is_overlay(where.mounts),
        occupied=occ.occupied,
        occupancy_since=_unix(occ.since),
    )


def wrong_codes(state_dir: Path) -> Lockout | None:
    """The kiosk's wrong-code record (`<state>/lockout.json`); none yet is no wrong code, and an
    unreadable one is None: it counts nothing (booth.state's reader would treat it as many
    wrong codes, which is right for the lockout and wrong for a counter)."""
    try:
        path = state_dir / LOCKOUT_FILE
        return lockout_from_json(path, read_json_object(path))
    except FileNotFoundError:
        return Lockout()
    except (OSError, ValueError, TypeError, KeyError):
        return None


def light_reading(state_dir: Path, kiosk_up: bool) -> LightState | None:
    """The ring light as the kiosk last recorded it (`<state>/light-state.json`), while the
    kiosk runs and its record is fresh."""
    light = read_light_state(state_dir)
    return light if kiosk_up and light is not None and light.fresh else None


def _proof(settings: Settings) -> str:
    """`[sync] proof`; a `[sync]` table with a problem counts as the default (receipt)."""
    try:
        return sync_settings(settings).proof
    except ConfigError:
        return RECEIPT


def upload_queue(
    spool: Spool,
    entries: list[SessionEntry],
    state_dir: Path,
    now: float,
    proof: str = RECEIPT,
) -> UploadQueue | None:
    """The queue as the sync agent sees it: the spool's finished sessions against the upload
    store's records and holds (read-only; the agent may be writing)."""
    try:
        scan = scan_spool(spool)
        records = {}
        holds = {}
        last_success = None
        if (state_dir / STORE_FILE).exists():
            store = UploadStore(state_dir, read_only=True)
            try:
                records = store.records()
                holds = store.holds()
                event = store.last("success")
                last_success = event.at if event else None
            finally:
                store.close()
    except (sqlite3.Error, OSError) as err:
        log.warning("metrics: cannot read the upload queue: %s", err)
        return None
    summary = summarize(scan.finished, records)
    ended = {
        str(e.manifest.get("session_id") or e.dir.name): _finished_at(e)
        for e in entries
        if is_finished(e.manifest)
    }
    oldest = 0.0
    for session in scan.finished:
        mine = {f.name: records[(session.session_id, f.name)] for f in session.files
                if (session.session_id, f.name) in records}  # fmt: skip
        at = ended.get(session.session_id)
        if at is not None and session_state(session, mine) != CONFIRMED:
            oldest = max(oldest, now - at)
    present = {(s.session_id, f.name) for s in scan.finished for f in s.files}
    held = [h for key, h in holds.items() if key in present and h.active(now)]
    unconfirmed = [state for state in summary.files if state != CONFIRMED]
    waiting = (
        waiting_for_receipts(scan.finished, records, ReceiptBook(state_dir))
        if proof == RECEIPT
        else []
    )
    return UploadQueue(
        files=sum(summary.files[state] for state in unconfirmed),
        bytes=max(0, sum(summary.bytes[state] for state in unconfirmed) - summary.sent_bytes),
        oldest_pending_seconds=oldest,
        last_success=last_success,
        held={kind: sum(h.kind == kind for h in held) for kind in (SET_ASIDE, DAMAGED)},
        unreadable_sessions=len(scan.unreadable),
        unsealed_sessions=scan.sealing,
        awaiting_receipt=len(waiting),
        oldest_awaiting_receipt_seconds=max(0.0, now - waiting[0].since) if waiting else 0.0,
    )


def session_budget(settings: Settings) -> int | None:
    """The kiosk's disk guard: the most one session of an installed interview can need."""
    if not settings.paths.interviews.is_dir():
        return None
    interviews, _ = load_interviews(settings.paths.interviews)
    rec = settings.recording
    budgets = [
        worst_case_bytes(
            [(q.answer_seconds, q.max_takes) for q in iv.questions],
            rec.bitrate_bps,
            rec.audio_rate,
            1,
            rec.disk_margin_bytes,
        )
        for iv in interviews
    ]
    return max(budgets, default=None)


def _fault_id(detail: str | None) -> str:
    """The fault's id from its words, for records written before they carried `fault_id`."""
    head = (detail or "").partition(":")[0]
    if head in ("camera", "microphone"):
        return head
    return "disk" if "free in" in (detail or "") else "unknown"


def _finished_at(entry: SessionEntry) -> float | None:
    """When a session finished (its manifest's `finished`), else the manifest's mtime."""
    text = (entry.manifest or {}).get("finished")
    try:
        moment = datetime.fromisoformat(str(text))
        return (moment if moment.tzinfo else moment.astimezone()).timestamp()
    except ValueError:
        pass
    try:
        return (entry.dir / "manifest.json").stat().st_mtime
    except OSError:
        return None


def _unix(iso_time: str | None) -> float | None:
    """Unix seconds of an ISO 8601 time with offset, as the kiosk writes them (None: none)."""
    if iso_time is None:
        return None
    try:
        return datetime.fromisoformat(iso_time).timestamp()
    except ValueError:
        return None
