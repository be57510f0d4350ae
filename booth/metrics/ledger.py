"""Counters that outlive what they count: `<state>/metrics-ledger.json`.

Prometheus counters must never go down, but the spool does: the sync agent deletes a session
once the server has confirmed it. So each finished session is counted once, when it is first
seen, into totals kept here (by status, and its recovered takes), and its id is remembered
while it is still in the spool so that it is not counted again. Ids of deleted sessions are
dropped, so the file stays as small as the spool.

Only booth-metrics.service writes it; `booth metrics` computes the same totals in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from booth.config.reader import DamagedFile, move_aside, read_json_object
from booth.media.takefiles import write_json_atomic

log = logging.getLogger(__name__)

LEDGER_FILE = "metrics-ledger.json"
LEDGER_MAX_BYTES = 16 << 20
"""The ledger names every session still in the spool (about 40 bytes each)."""


@dataclass(frozen=True)
class FinishedRecord:
    """What a finished session adds to the totals."""

    session_id: str
    status: str
    recovered_takes: int


@dataclass
class Ledger:
    """sessions: finished sessions counted, by status. takes_recovered: takes rebuilt after a
    crash or power cut. seen: ids counted that are still in the spool. under_voltage_events:
    onsets of under-voltage seen; under_voltage_now: whether the last look saw one.
    code_lockouts: pauses of code entry counted; wrong_codes / last_wrong: the waits in the
    kiosk's wrong-code record and its last wrong code, as last seen."""

    sessions: dict[str, int] = field(default_factory=dict)
    takes_recovered: int = 0
    seen: set[str] = field(default_factory=set)
    under_voltage_events: int = 0
    under_voltage_now: bool = False
    code_lockouts: int = 0
    wrong_codes: int = 0
    last_wrong: float = 0.0

    def saw_wrong_codes(self, waits: int, last_wrong: float) -> bool:
        """Count the code lockouts in the kiosk's wrong-code record (`waits` started since its
        bucket was last empty, the last wrong code at `last_wrong`); True when the ledger
        changed. A record whose count went down is a new run: the bucket emptied between."""
        if last_wrong == self.last_wrong and waits == self.wrong_codes:
            return False
        before = self.wrong_codes if waits >= self.wrong_codes else 0
        self.code_lockouts += waits - before
        self.wrong_codes, self.last_wrong = waits, last_wrong
        return True

    def saw_under_voltage(self, now: bool | None) -> bool:
        """Count an under-voltage that starts now; True when the ledger changed. The writer
        looks every second, and the Pi's sensor holds its alarm for at least 2 s, so even a dip
        that Prometheus's scrapes would miss is counted."""
        if now is None or now == self.under_voltage_now:
            return False
        self.under_voltage_now = now
        self.under_voltage_events += int(now)
        return True

    def count(self, finished: Iterable[FinishedRecord]) -> bool:
        """Count the sessions not counted yet and forget the ones gone; True when it changed."""
        finished = list(finished)
        changed = False
        for record in finished:
            if record.session_id in self.seen:
                continue
            self.sessions[record.status] = self.sessions.get(record.status, 0) + 1
            self.takes_recovered += record.recovered_takes
            self.seen.add(record.session_id)
            changed = True
        present = {r.session_id for r in finished}
        if not self.seen <= present:
            self.seen &= present
            changed = True
        return changed

    def to_json(self) -> dict:
        return {
            "sessions": dict(sorted(self.sessions.items())),
            "takes_recovered": self.takes_recovered,
            "seen": sorted(self.seen),
            "under_voltage_events": self.under_voltage_events,
            "under_voltage_now": self.under_voltage_now,
            "code_lockouts": self.code_lockouts,
            "wrong_codes": self.wrong_codes,
            "last_wrong": self.last_wrong,
        }


def load_ledger(state_dir: Path, repair: bool = False) -> Ledger:
    """The ledger in `state_dir`; an empty one when there is none or it is unreadable (the
    counters then start again from the sessions in the spool, which Prometheus's rate() and
    increase() read as a counter reset). With `repair` (booth-metrics.service, which writes
    it), an unreadable ledger is moved aside for staff first."""
    path = Path(state_dir) / LEDGER_FILE
    try:
        data = read_json_object(path, max_bytes=LEDGER_MAX_BYTES)
        return Ledger(
            sessions={str(k): int(v) for k, v in data["sessions"].items()},
            takes_recovered=int(data["takes_recovered"]),
            seen={str(s) for s in data["seen"]},
            under_voltage_events=int(data.get("under_voltage_events", 0)),
            under_voltage_now=bool(data.get("under_voltage_now", False)),
            code_lockouts=int(data.get("code_lockouts", 0)),
            wrong_codes=int(data.get("wrong_codes", 0)),
            last_wrong=float(data.get("last_wrong", 0.0)),
        )
    except FileNotFoundError:
        return Ledger()
    except (OSError, ValueError, KeyError, TypeError, AttributeError, OverflowError) as err:
        why = err.why if isinstance(err, DamagedFile) else f"{type(err).__name__}: {err}"[:200]
        fallback = "counting from the spool again"
        if not repair or move_aside(path, why, fallback) is None:
            log.warning("metrics: %s is unreadable (%s); %s", path, why, fallback)
        return Ledger()


def save_ledger(state_dir: Path, ledger: Ledger) -> None:
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    write_json_atomic(Path(state_dir) / LEDGER_FILE, ledger.to_json())
