"""The kiosk's small state records, shared with the sync agent and `booth status`: what the
kiosk is doing (`kiosk.json`), the booth's wrong codes (`lockout.json`) and the invitations it
opened (`invitations.json`).

The kiosk rewrites `<state>/kiosk.json` atomically whenever its state changes
(and at least once a second while running). Readers never see a torn file.
The two processes share nothing else but the spool, so a crash of one never
stops the other.

Whether the kiosk still runs is judged by its heartbeat as well as its pid: a kiosk that
crashed leaves a record that says "session" for ever, and after a reboot its pid may belong to
another process. A record not rewritten for `STALE_SECONDS` counts as stopped, so it cannot
hold uploads back for ever.
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from booth.config.reader import DamagedFile, move_aside, read_bounded, read_json_object
from booth.media.spool import Spool
from booth.media.takefiles import write_json_atomic
from booth.privacy.refs import RefIndex
from booth.session.codes_entry import (
    COMPLETE,
    DECLINED,
    ENDED_EARLY,
    LEAK_SECONDS,
    OPEN,
    InvitationUse,
    Lockout,
)
from booth.session.timing import Timing

log = logging.getLogger("booth.state")
_HASHED = re.compile(r"[0-9a-f]{64}")

STATE_FILE = "kiosk.json"
WRITE_SECONDS = 1.0
"""The kiosk rewrites its record at least this often while it runs (its health check)."""
STALE_SECONDS = 10 * WRITE_SECONDS
"""A record whose heartbeat is further than this from now is a stopped kiosk's, whatever its
pid. Ten writes: a kiosk whose loop stalls for a few seconds (a slow disk; a simulated booth on
a busy machine, whose virtual second takes longer) still counts as running."""


@dataclass(frozen=True)
class KioskState:
    """What the kiosk is doing.

    activity: "idle" (no candidate: uploads may run), "session" (a candidate is in the booth),
    "closed" (outside opening hours), "out-of-order", or "stopped" (the kiosk shut down).
    screen: the screen id showing.
    fault: why the booth is out of order, in words for staff (None when healthy).
    updated: when this record was written (wall clock, ISO 8601 with offset).
    idle_since: when the booth last became idle (None while not idle).
    pid: the kiosk's process id, so readers can tell a stale record from a running kiosk.
    heartbeat: when the kiosk made this record to write it, in Unix seconds of the real clock
    (`time.time()`), also when the kiosk runs in virtual time and `updated` is virtual.
    fault_id: the fault's id ("camera", "microphone", "speaker", "light", "pins", "display",
    "device", "disk", "sealing", "software"), the
    reason label of the fleet metrics' booth_out_of_order (None when healthy, and in records of
    older kiosks).
    occupancy_since: when the booth last became occupied (activity "session": from the
    candidate's first action until the booth is idle again) or free (anything else); kiosk
    clock, ISO 8601. None in records of kiosks older than this field.
    """

    activity: str
    screen: str
    fault: str | None
    updated: str
    idle_since: str | None
    pid: int
    heartbeat: float = field(default_factory=time.time)
    fault_id: str | None = None
    occupancy_since: str | None = None

    def write(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(state_dir / STATE_FILE, asdict(self))

    @property
    def running(self) -> bool:
        """Whether the kiosk that wrote this record is still running (see `running_at`)."""
        return self.running_at(time.time())

    def running_at(self, now: float) -> bool:
        """Whether the kiosk that wrote this record still runs at `now` (Unix seconds): it did
        not stop, its heartbeat is fresh, and its process is alive.

        A heartbeat as far in the future counts as stale too: the wall clock was set back (a Pi
        has no clock battery), and a running kiosk rewrites its record within a second.
        """
        if self.activity == "stopped":
            return False
        if not abs(now - self.heartbeat) <= STALE_SECONDS:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def read_state(state_dir: Path) -> KioskState | None:
    """The last record the kiosk wrote, or None when there is none (or it is unreadable).

    A record written before records had a heartbeat has the file's modification time as its
    heartbeat: when it was written.
    """
    path = state_dir / STATE_FILE
    try:
        data = read_json_object(path)
        data.setdefault("heartbeat", path.stat().st_mtime)
        if type(data["heartbeat"]) not in (int, float) or type(data.get("pid")) is not int:
            return None
        texts = ("activity", "screen", "updated")
        maybe = ("fault", "idle_since", "fault_id", "occupancy_since")
        if not all(isinstance(data.get(k), str) for k in texts) or not all(
            data.get(k) is None or isinstance(data[k], str) for k in maybe
        ):
            return None
        return KioskState(**data)
    except (OSError, ValueError, TypeError):
        return None


@dataclass(frozen=True)
class Occupancy:
    """Whether someone is in the booth, as staff and the occupied light see it, and since when.

    occupied: a candidate's session is open in a running kiosk. A kiosk that stopped or crashed
    counts as free: nobody can be recording in it.
    since: when that became so, ISO 8601 in the kiosk's clock (for a kiosk that is not running:
    when it wrote its last record); None when not known.
    recording: a take is being recorded right now.
    """

    occupied: bool
    since: str | None
    recording: bool = False


def occupancy(state: KioskState | None, now: float) -> Occupancy:
    """The booth's occupancy at `now` (Unix seconds) from the kiosk's record (None: no record)."""
    if state is None:
        return Occupancy(False, None)
    if not state.running_at(now):
        return Occupancy(False, state.updated)
    occupied = state.activity == "session"
    return Occupancy(occupied, state.occupancy_since, occupied and state.screen == "recording")


def activity_of(screen: str) -> str:
    """The activity a screen stands for."""
    return screen if screen in ("idle", "closed", "out-of-order") else "session"


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


# --------------------------------------------------------------------------- code entry
LOCKOUT_FILE = "lockout.json"
INVITATIONS_FILE = "invitations.json"
COPY_SUFFIX = ".copy"
"""The invitations record's second copy: `invitations.json.copy`."""
SPENT_ANYWHERE = "*"
"""The invitations record's interview id for references spent in every interview (fail closed:
a session the reference index alone knows carries no interview id)."""


def read_lockout(state_dir: Path, repair: bool = False) -> Lockout:
    """The booth's wrong codes as the kiosk last kept them (none when there is no record).

    An unreadable record counts as a full wait (after the most wrong codes), not as none:
    spoiling the file must not be a way around the lockout. With `repair` (the kiosk, which
    owns the file), a damaged record is moved aside and the full wait written in its place, so
    that the next start does not find "no record" and forget the wait.
    """
    path = state_dir / LOCKOUT_FILE
    try:
        data = read_json_object(path)
        return lockout_from_json(path, data)
    except FileNotFoundError:
        return Lockout()
    except (OSError, ValueError, TypeError, KeyError) as err:
        lock = Lockout.full(time.time())
        fallback = "code entry waits as after many wrong codes"
        if not repair:
            log.error("%s is unreadable (%s): %s", path, _why(err), fallback)
            return lock
        if path.exists() and move_aside(path, _why(err), fallback) is not None:
            try:
                write_lockout(state_dir, lock)
            except OSError as write_err:
                log.error("%s: the full wait could not be written (%s)", path, write_err)
        return lock


def lockout_from_json(path: Path, data: dict) -> Lockout:
    """The record's fields, checked. A record from before the leaky bucket (no `waits`) reads
    as its wrong codes leaking from the last one."""
    numbers = [data["wrong"], data["last_wrong"], data["until"], data.get("waits", 0)]
    if not all(type(v) in (int, float) for v in numbers):
        raise DamagedFile(path, "wrong, last_wrong, until and waits are not all numbers")
    wrong, last_wrong, until, waits = (float(v) for v in numbers)
    if wrong < 0 or waits < 0:
        raise DamagedFile(path, "wrong and waits cannot be negative")
    return Lockout(wrong, last_wrong, until, int(waits))


def write_lockout(state_dir: Path, lockout: Lockout) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(state_dir / LOCKOUT_FILE, asdict(lockout))


def describe_lockout(lockout: Lockout, now: float, timing: Timing | None = None) -> str | None:
    """One line for `booth status` about wrong codes, or None when there are none."""
    timing = timing or Timing()
    lock = lockout.current(now, timing)
    counted = math.ceil(lock.level(now) - 1e-9)
    if not lock.wrong or not counted:
        return None
    since = datetime.fromtimestamp(lock.last_wrong).astimezone().isoformat(timespec="seconds")
    left = lock.seconds_left(now, timing)
    if left > 0:
        minutes, seconds = divmod(int(left + 0.999), 60)
        return (
            f"code entry LOCKED for {minutes} min {seconds:02d} s more "
            f"({counted} wrong codes still counted, the last at {since})"
        )
    leak = round(LEAK_SECONDS / 60)
    return (
        f"{counted} wrong codes still counted, the last at {since} "
        f"(one is forgotten every {leak} minutes)"
    )


class InvitationStore:
    """What this booth knows of each invitation it opened: spent, or resumable, and with which
    takes. Kept in `<state>/invitations.json`, by interview id and candidate reference (not by
    code: so it holds no code, and it outlives a reinstall of the interview, whose codes are
    hashed with a new salt). Rewritten atomically on every change.

    The reference is stored only as the booth's keyed hash of it (booth.privacy.refs), as the
    spool's index is: a stolen card shows no candidate's reference (issue 13).

    Spent stays spent, whatever happens to the file (issue 24). Every change is written twice,
    atomically: `invitations.json`, then its copy `invitations.json.copy`; a torn or damaged
    one is moved aside (`.corrupt-<time>`) and the other read. When neither can be read, the
    store fails closed: given the `spool`, every session found on the booth that the record
    does not list (in the spool, or in the keyed reference index of booth.privacy.refs, which
    outlives an uploaded session) makes its invitation spent, unless that session was declined
    before any take. A session the index alone knows carries no interview id: its reference is
    spent for every interview (`SPENT_ANYWHERE`). The upload store names no reference and holds
    only sessions still in the spool, so the spool covers it.
    """

    def __init__(self, state_dir: Path, spool: Spool | None = None) -> None:
        self.path = state_dir / INVITATIONS_FILE
        self.copy = state_dir / (INVITATIONS_FILE + COPY_SUFFIX)
        self._refs = RefIndex(state_dir)
        self._owner = spool is not None
        self._data: dict[str, dict[str, dict[str, Any]]] = self._read()
        if spool is not None and self._spend_unlisted(spool):
            self._save()

    def _read(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The record from the first copy that reads. Only the kiosk (`spool` given: the
        owner) moves a damaged copy aside and writes the good one back: a command run as
        root must not leave files the kiosk's user cannot read."""
        found: dict[Path, dict[str, dict[str, dict[str, Any]]] | None] = {}
        for path in (self.path, self.copy):
            try:
                found[path] = self._parse(path)
            except FileNotFoundError:
                found[path] = None
            except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
                found[path] = None
                fallback = "the other copy of the record is read"
                if self._owner:
                    move_aside(path, _why(err), fallback)
                else:
                    log.error("%s is unreadable (%s): %s", path, _why(err), fallback)
        primary, copy = found[self.path], found[self.copy]
        data = primary if primary is not None else copy or {}
        if self._owner and data and (primary is None or copy is None):
            if primary is None:
                log.warning("%s: restored from its copy %s", self.path, self.copy.name)
            self._data = data
            self._save()
        return data

    def _parse(self, path: Path) -> dict[str, dict[str, dict[str, Any]]]:
        data = read_json_object(path)
        interviews = data["interviews"]
        if not isinstance(interviews, dict):
            raise DamagedFile(path, '"interviews" is not an object')
        for records in interviews.values():
            for record in records.values():
                _use(record)
            for key in [k for k in records if not _HASHED.fullmatch(k)]:
                try:
                    records[self._refs.digest(key)] = records.pop(key)  # an older, clear one
                except ValueError as err:  # privacy.key damaged: the record is not
                    log.error("invitations: %s; a reference stays unhashed for now", err)
        return interviews

    def _spend_unlisted(self, spool: Spool) -> bool:
        """Mark spent every invitation with a session on the booth the record does not list
        (see the class); returns whether any was."""
        listed = {
            s for records in self._data.values() for r in records.values() for s in r["sessions"]
        }
        changed = False
        for entry in spool.sessions():
            manifest = entry.manifest
            if manifest is None or entry.dir.name in listed:
                continue
            interview_id, ref = manifest.get("interview_id"), manifest.get("candidate_ref")
            if manifest.get("status") == DECLINED and not manifest.get("takes"):
                listed.add(entry.dir.name)
                continue
            if not isinstance(interview_id, str) or not isinstance(ref, str):
                continue  # a sealed clear manifest names no one: the index below knows it
            try:
                key = self._refs.digest(ref)
            except ValueError as err:  # privacy.key damaged: code entry reports it
                log.error("invitations: %s: session %s not checked", err, entry.dir.name)
                continue
            self._spend(interview_id, key, entry.dir.name)
            listed.add(entry.dir.name)
            changed = True
        index = self._refs.dir
        for path in sorted(index.iterdir()) if index.is_dir() else []:
            if path.name.startswith(".") or path.name in listed:
                continue
            try:
                digest = read_bounded(path, 200).strip()
            except (OSError, ValueError):
                continue
            if _HASHED.fullmatch(digest):
                self._spend(SPENT_ANYWHERE, digest, path.name)
                changed = True
        return changed

    def _spend(self, interview_id: str, key: str, session_id: str) -> None:
        record = self._data.setdefault(interview_id, {}).setdefault(
            key, {"status": COMPLETE, "sessions": [], "takes": {}, "kept": []}
        )
        record["status"] = COMPLETE
        if session_id not in record["sessions"]:
            record["sessions"].append(session_id)
        log.warning(
            "invitations: session %s is on the booth but not in the record: its invitation "
            "counts as spent (fail closed; `booth takes forget` clears it)",
            session_id,
        )

    def get(self, interview_id: str, candidate_ref: str) -> InvitationUse | None:
        key = self._refs.lookup(candidate_ref)
        if key and key in self._data.get(SPENT_ANYWHERE, {}):
            return _use(self._data[SPENT_ANYWHERE][key])
        record = self._data.get(interview_id, {}).get(key) if key else None
        return _use(record) if record is not None else None

    def counts(self, interview_id: str, candidate_refs: list[str]) -> dict[str, int]:
        """How many of these invitations are spent, resumable, and unused."""
        records = {**self._data.get(interview_id, {}), **self._data.get(SPENT_ANYWHERE, {})}
        counts = {"complete": 0, "resumable": 0, "unused": 0}
        for ref in candidate_refs:
            key = self._refs.lookup(ref) if records else None
            use = _use(records[key]) if key in records else None
            if use is None or not (use.spent or use.resumable):
                counts["unused"] += 1
            else:
                counts["complete" if use.spent else "resumable"] += 1
        return counts

    def _record(self, interview_id: str, candidate_ref: str) -> dict[str, Any]:
        records = self._data.setdefault(interview_id, {})
        return records.setdefault(
            self._refs.digest(candidate_ref),
            {"status": OPEN, "sessions": [], "takes": {}, "kept": []},
        )

    def forget(self, candidate_ref: str) -> list[str]:
        """Drop every record of `candidate_ref` (`booth takes forget`); returns the ids of the
        interviews it had one in. The invitation then counts as unused again."""
        key = self._refs.lookup(candidate_ref)
        found = [iv for iv, records in self._data.items() if key and records.pop(key, None)]
        if found:
            self._save()
        return found

    def opened(self, interview_id: str, candidate_ref: str, session_id: str) -> None:
        record = self._record(interview_id, candidate_ref)
        record["status"] = OPEN
        record["sessions"].append(session_id)
        self._save()

    def take(self, interview_id: str, candidate_ref: str, question_id: str, take: int) -> None:
        record = self._record(interview_id, candidate_ref)
        record["takes"][question_id] = max(take, record["takes"].get(question_id, 0))
        self._save()

    def kept(self, interview_id: str, candidate_ref: str, question_id: str) -> None:
        record = self._record(interview_id, candidate_ref)
        if question_id not in record["kept"]:
            record["kept"].append(question_id)
        self._save()

    def finished(self, interview_id: str, candidate_ref: str, status: str) -> None:
        """The session ended: complete (spent), ended-early (resumable), or declined (a
        declined consent before any take leaves the invitation as good as new)."""
        record = self._record(interview_id, candidate_ref)
        if status == DECLINED and (record["takes"] or record["kept"]):
            status = ENDED_EARLY
        record["status"] = status
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One after the other, each atomically: a power cut or a bad block spoils at most one.
        for path in (self.path, self.copy):
            write_json_atomic(path, {"version": 1, "interviews": self._data})
            os.chmod(path, 0o600)


def _why(err: BaseException) -> str:
    """An error in a few words for the log, without its type's traceback."""
    return err.why if isinstance(err, DamagedFile) else f"{type(err).__name__}: {err}"[:200]


def _use(record: dict[str, Any]) -> InvitationUse:
    if not isinstance(record.get("sessions"), list) or not isinstance(record.get("kept"), list):
        raise TypeError("sessions and kept are not lists")
    takes = record["takes"]
    if not isinstance(takes, dict) or not all(type(n) is int for n in takes.values()):
        raise TypeError("takes is not a table of whole numbers")
    return InvitationUse(
        status=str(record["status"]),
        sessions=tuple(str(s) for s in record["sessions"]),
        takes=dict(takes),
        kept=tuple(str(q) for q in record["kept"]),
    )
