"""Keeping `booth.prom` fresh: rewritten at least every interval, and at once on a change.

Once a second the writer looks at a cheap fingerprint of what the metrics come from: the
kiosk's activity, fault and liveness, the clock's state, the Pi's under-voltage alarm, the
wrong-code record, the spool's sessions and manifests, and the upload store's files. When
it differs from the last one written, or the interval has passed, it takes a full reading,
saves the ledger and rewrites the textfile. So a booth that goes out of order shows within
about a second, and a writer that stops is seen by the stale-metrics alert
(node_textfile_mtime_seconds), since the file is otherwise never older than the interval.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from booth.config.settings import Settings
from booth.media.spool import MANIFEST
from booth.metrics.board import under_voltage
from booth.metrics.exposition import write_textfile
from booth.metrics.ledger import load_ledger, save_ledger
from booth.metrics.reading import Board, Reading, read_booth
from booth.state import LOCKOUT_FILE, read_state
from booth.sync.store import STORE_FILE

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


class MetricsWriter:
    """Writes the metrics of the booth `settings` describe into `[metrics] textfile_dir`.

    `clock` gives Unix seconds (ages, the kiosk's heartbeat), `monotonic` the interval's time.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        board: Board | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.monotonic = monotonic
        self.board = board or Board()
        self.directory = settings.metrics.textfile_dir
        self._written: tuple | None = None
        self._written_at = float("-inf")

    def fingerprint(self) -> tuple:
        """What changes when a metric may change other than by time passing."""
        paths = self.settings.paths
        state = read_state(paths.state)
        kiosk = None
        if state is not None:
            kiosk = (state.activity, state.fault, state.running_at(self.clock()))
        spool = []
        if paths.spool.is_dir():
            for entry in sorted(paths.spool.iterdir()):
                spool.append((entry.name, _stamp(entry / MANIFEST)))
        store = tuple(_stamp(paths.state / f"{STORE_FILE}{tail}") for tail in ("", "-wal"))
        codes = _stamp(paths.state / LOCKOUT_FILE)
        clock = self.board.clock().synchronized
        low_voltage = under_voltage(self.board.hwmon)
        return (kiosk, clock, low_voltage, codes, tuple(spool), store)

    def write(self) -> Reading:
        """Take a reading, save the ledger, rewrite the textfile."""
        state_dir = self.settings.paths.state
        ledger = load_ledger(state_dir, repair=True)
        before = ledger.to_json()
        reading = read_booth(self.settings, ledger, self.clock(), self.board)
        if ledger.to_json() != before:
            save_ledger(state_dir, ledger)
        write_textfile(reading, self.directory)
        return reading

    def step(self) -> Reading | None:
        """Rewrite when something changed or the interval passed; the reading, if written."""
        now = self.monotonic()
        fingerprint = self.fingerprint()
        due = now - self._written_at >= self.settings.metrics.interval_seconds
        if fingerprint == self._written and not due:
            return None
        reading = self.write()
        self._written, self._written_at = fingerprint, now
        return reading

    def run(
        self,
        stop: threading.Event,
        poll_seconds: float = POLL_SECONDS,
        tick: Callable[[], object] = lambda: None,
    ) -> None:
        """Keep the textfile fresh until `stop` is set; `tick` is called every poll (systemd's
        watchdog). A failed write (a full disk, a missing directory) is logged and tried again
        at the next poll, never fatal."""
        failing = ""
        while not stop.is_set():
            tick()
            try:
                self.step()
                failing = ""
            except OSError as err:
                if str(err) != failing:
                    log.error("metrics: cannot write %s: %s", self.directory, err)
                failing = str(err)
            stop.wait(poll_seconds)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)
