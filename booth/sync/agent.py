"""The sync agent: uploads finished sessions while the booth is idle, then deletes them.

It shares only the spool and the kiosk's state record with the kiosk. It uploads when the kiosk
has been idle for `idle_seconds` (or is not running at all: its process is gone, or its record's
heartbeat is stale, so a kiosk that crashed never holds uploads back) inside the upload
windows, and looks at the state record between 64 KiB pieces so that it stops within a second
of a candidate starting a session.

Requests go only to sync.url's origin (`TusClient.check_origin`). Each file is sent by a
`FileSender` (booth.sync.sender), which trusts the server only as far as it can check it and
sets a file aside when it gets nowhere; the agent waits after every failure (exponential,
jittered, capped), moves on past files set aside, rebuilds unreadable manifests
(booth.sync.manifests), reads each file's sha256 again before deleting it, deletes a session
only when the server's receipt proves that its store holds every file (`Prover`,
booth.sync.receipts; `[sync] proof`), and keeps `booth sync --once` within `once_seconds`.
"""

from __future__ import annotations

import logging
import random
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from booth.media.spool import DELETING_PREFIX, Spool
from booth.state import KioskState, read_state
from booth.sync.config import SyncSettings, describe_windows, in_window
from booth.sync.manifests import SpoolScan, rebuild_manifest, scan_spool
from booth.sync.queue import (
    FinishedSession,
    SpoolFile,
    due_for_deletion,
    upload_order,
)
from booth.sync.receipts import RECEIPT, Prover, ReceiptBook, waiting_for_receipts
from booth.sync.sender import FileSender, Progress, SetAside
from booth.sync.store import Hold, UploadRecord, UploadStore
from booth.sync.tus import (
    Misconfigured,
    OffOrigin,
    OutOfTime,
    RateLimit,
    Refused,
    ServerInfo,
    Stopped,
    TusClient,
    TusError,
)

log = logging.getLogger(__name__)

# How often, at most, the state record is read while bytes are going out.
_BUSY_CHECK_SECONDS = 0.2
# `--once` gives up after this many failures in a row that are no file's own (no answer:
# the link) and bring no progress.
ONCE_ATTEMPTS = 5
# After a refused token, try again at most this often even if the token file is unchanged.
REFUSED_RETRY_SECONDS = 3600.0
# The longest single wait of the long-running agent between watchdog pings.
_WAIT_SLICE_SECONDS = 5.0


def upload_gate(
    state: KioskState | None, running: bool, sync: SyncSettings, now: datetime
) -> str | None:
    """Why uploading must wait right now, or None when it may go ahead.

    `state` is the kiosk's record and `running` whether that kiosk still runs (its process is
    alive and its heartbeat fresh: `KioskState.running`); `now` is an aware local time. No
    running kiosk counts as idle, so staff can upload from a stopped booth. A booth that is
    closed or out of order has no candidate either.
    """
    if sync.windows and not in_window(sync.windows, now):
        return f"outside the upload windows ({describe_windows(sync.windows)})"
    if state is None or not running:
        return None
    if state.activity == "session":
        return "a candidate session is in progress"
    if state.activity == "idle":
        since = _parse(state.idle_since) or _parse(state.updated)
        idle = (now - since).total_seconds() if since else 0.0
        if idle < sync.idle_seconds:
            return f"the booth has been idle for {idle:.0f} s of {sync.idle_seconds:g} s"
    return None


def backoff_seconds(failures: int, sync: SyncSettings, rng: Callable[[], float]) -> float:
    """The wait after `failures` failed attempts in a row: doubling from backoff_seconds up to
    backoff_max_seconds, then jittered to between half and all of it, so a fleet of booths
    behind one flaky link do not retry in step, and never zero, so a server is never hammered."""
    ceiling = min(sync.backoff_max_seconds, sync.backoff_seconds * 2 ** max(0, failures - 1))
    return ceiling / 2 + rng() * ceiling / 2


@dataclass(frozen=True)
class OnceResult:
    """The outcome of `booth sync --once`: everything confirmed (ok), or why not."""

    ok: bool
    reason: str
    deleted: tuple[str, ...] = ()


class SyncAgent:
    """Uploads the finished sessions in `spool_dir`, remembering progress in `state_dir`.

    Clocks and sleep are injectable: `now` gives aware local time, `clock` Unix seconds,
    `sleep(seconds)` waits (interrupted by `stop` in `run`). `heartbeat` is called when a chunk
    is acknowledged and while the agent deliberately waits (the gate, the poll, a backoff),
    never for a request as such: the service's watchdog is fed on progress, not on attempts.
    """

    def __init__(  # noqa: PLR0913 (settings and two folders, then keyword-only seams)
        self,
        sync: SyncSettings,
        spool_dir: Path,
        state_dir: Path,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC).astimezone(),
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
        progress: Progress | None = None,
        heartbeat: Callable[[], object] | None = None,
    ) -> None:
        if not sync.url:
            raise ValueError("sync.url is not set")
        self.sync = sync
        self.spool = Spool(spool_dir)
        self.state_dir = Path(state_dir)
        self.store = UploadStore(self.state_dir)
        self.rng = rng
        self.rate = RateLimit(sync.max_bytes_per_second)
        self.sender = FileSender(
            sync,
            self.store,
            clock=clock,
            now=now,
            should_stop=self._should_stop,
            heartbeat=heartbeat or (lambda: None),
            progress=progress,
        )
        self._busy_checked = 0.0
        self._busy = False
        self._reported: set[Path] = set()  # unreadable manifests already logged

    def close(self) -> None:
        self.store.close()

    # The clocks and callbacks live in the sender, which uses them most; tests swap them here.
    @property
    def clock(self) -> Callable[[], float]:
        return self.sender.clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self.sender.clock = clock

    @property
    def now(self) -> Callable[[], datetime]:
        return self.sender.now

    @now.setter
    def now(self, now: Callable[[], datetime]) -> None:
        self.sender.now = now

    @property
    def progress(self) -> Progress | None:
        return self.sender.progress

    @progress.setter
    def progress(self, progress: Progress | None) -> None:
        self.sender.progress = progress

    @property
    def heartbeat(self) -> Callable[[], object]:
        return self.sender.heartbeat

    # -- when ----------------------------------------------------------------------------

    def blocked(self) -> str | None:
        """Why uploading must wait right now (see `upload_gate`), or None."""
        state = read_state(self.state_dir)
        return upload_gate(state, state is not None and state.running, self.sync, self.now())

    def _should_stop(self) -> bool:
        now = time.monotonic()
        if now - self._busy_checked >= _BUSY_CHECK_SECONDS:
            self._busy_checked = now
            state = read_state(self.state_dir)
            self._busy = state is not None and state.activity == "session" and state.running
        return self._busy

    # -- what ----------------------------------------------------------------------------

    def scan(self) -> SpoolScan:
        """The spool, with every unreadable manifest rebuilt where possible (see
        booth.sync.manifests); open sessions are never touched."""
        scan = scan_spool(self.spool)
        rebuilt = False
        for session_dir in scan.unreadable:
            try:
                manifest = rebuild_manifest(session_dir)
            except OSError as err:
                log.warning("sync: %s: could not rebuild the manifest: %s", session_dir, err)
                manifest = None
            if manifest is not None:
                rebuilt = True
                self.store.note(
                    "error", self.clock(), f"{session_dir.name}: manifest unreadable, rebuilt"
                )
            elif session_dir not in self._reported:
                self._reported.add(session_dir)
                self._note_error(f"{session_dir}: {UNREADABLE}")
        return scan_spool(self.spool) if rebuilt else scan

    def finished_sessions(self) -> list[FinishedSession]:
        """Every finished session in the spool, oldest first."""
        return self.scan().finished

    def active_holds(self) -> dict[tuple[str, str], Hold]:
        """Files held back now, by (session_id, name). A set-aside whose time has come is
        released here, with a fresh budget of requests, creations and restarts."""
        now = self.clock()
        active = {}
        for key, hold in self.store.holds().items():
            if not (self.spool.root / key[0]).is_dir():
                self.store.forget(key[0])  # staff removed the session: nothing to hold
            elif hold.active(now):
                active[key] = hold
            else:
                self.store.release(*key)
                self.sender.stalled.pop(key, None)
                log.info("sync: trying %s/%s again (set aside: %s)", *key, hold.reason)
        return active

    # -- how -----------------------------------------------------------------------------

    def client(self) -> TusClient:
        """A client for the endpoint with the token read now (raises ConfigError if unsafe)."""
        return TusClient(
            self.sync.url or "",
            token=self.sync.read_token(),
            timeout_seconds=self.sync.timeout_seconds,
            ca_file=self.sync.ca_file,
            rate=self.rate,
        )

    def upload_pending(self, client: TusClient) -> int:
        """Upload every pending file that is not held back, in order; returns how many were
        confirmed. A session's manifest waits while one of its takes is held back, so the
        server never sees an incomplete session as complete.

        Raises TusError (Stopped when a session started) on the first failure.
        """
        sessions = self.finished_sessions()
        holds = self.active_holds()
        held_sessions = {session_id for session_id, _ in holds}
        todo = [
            f
            for f in upload_order(sessions, self.store.records())
            if (f.session_id, f.name) not in holds
            and not (f.is_manifest and f.session_id in held_sessions)
        ]
        if not todo:
            return 0  # nothing to send: the server is not asked anything
        info = client.server_info()
        self._busy_checked = 0.0  # read the state record afresh
        done = 0
        for file in todo:
            if file.is_manifest and file.session_id in held_sessions:
                continue
            if reason := self.blocked():
                raise Stopped(reason)
            try:
                confirmed = self.sender.attempt(client, info, file)
            except Stopped:
                raise Stopped("a candidate session started") from None
            if confirmed:
                done += 1
            else:
                held_sessions.add(file.session_id)
        return done

    def upload_file(self, client: TusClient, info: ServerInfo, file: SpoolFile) -> bool:
        """Bring one file to the server (see `FileSender.upload_file`)."""
        return self.sender.upload_file(client, info, file)

    def outstanding(self) -> list[str]:
        """What keeps the queue from being done, in words for staff: files held back and
        sessions whose manifest could not be read or rebuilt."""
        problems = [
            f"{s}/{n} {h.kind}: {h.reason}" for (s, n), h in sorted(self.active_holds().items())
        ]
        problems += [f"{d}: {UNREADABLE}" for d in scan_spool(self.spool).unreadable]
        return problems

    def unproven(self) -> list[str]:
        """Sessions the server took whole that no receipt proves yet, in words for staff
        (none with `proof = "upload"`)."""
        if self.sync.proof != RECEIPT:
            return []
        waiting = waiting_for_receipts(
            self.finished_sessions(), self.store.records(), ReceiptBook(self.state_dir)
        )
        return [f"{w.session_id} waits for the server's receipt: {w.problem}" for w in waiting]

    def delete_confirmed(self) -> list[str]:
        """Delete sessions the server confirmed whole at least retention_hours ago, and (with
        `proof = "receipt"`) whose receipt proves that the server's store holds every file;
        returns their ids. Files the server has not confirmed are never deleted, and neither
        is a session with a file that no longer matches its manifest (it is marked damaged)."""
        deleted = []
        records = self.store.records()
        holds = self.active_holds()
        sessions = self.finished_sessions()
        prover = (
            Prover(self.state_dir, self.sync.url or "", self.client, self.clock)
            if self.sync.proof == RECEIPT
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
        if not due_for_deletion(session, mine, self.clock(), self.sync.retention_hours):
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
        self.store.forget(session.session_id)
        log.info("sync: deleted confirmed session %s", session.session_id)
        return True

    # -- loops ---------------------------------------------------------------------------

    def run_once(self, sleep: Callable[[float], None] = time.sleep) -> OnceResult:
        """Upload everything pending now, retrying failures, then delete what is due.

        Returns within `once_seconds` plus one network wait (`timeout_seconds`): no request
        starts after the limit and one in flight is cut off at it. Before that, a file's own
        failures end with the file set aside (STALL_REQUESTS), and it gives up after
        ONCE_ATTEMPTS other failures in a row (no answer: the link) without progress.
        Not ok while any file is held back or a manifest is unreadable.
        Raises ConfigError when the token file is unsafe.
        """
        reason = self.blocked()
        if reason:
            return OnceResult(False, f"not uploading: {reason}")
        client = self.client()
        deadline = time.monotonic() + self.sync.once_seconds
        client.deadline = deadline
        failures = other = 0
        seen = self.sender.progressed
        counted = self.sender.file_failures
        try:
            while True:
                try:
                    self.upload_pending(client)
                    break
                except Stopped as err:
                    return self._fail(f"paused: {err}")
                except OutOfTime:
                    return self._fail(f"stopped at the time limit (once_seconds = "
                                      f"{self.sync.once_seconds:g} s)")  # fmt: skip
                except (Refused, OffOrigin, Misconfigured) as err:
                    return self._fail(str(err))
                except (TusError, OSError) as err:
                    moved = self.sender.progressed != seen
                    failures = 1 if moved else failures + 1
                    seen = self.sender.progressed
                    if moved or self.sender.file_failures != counted:
                        other = 0
                    else:
                        other += 1
                    counted = self.sender.file_failures
                    if not isinstance(err, SetAside):
                        self._note_error(str(err))
                    if other >= ONCE_ATTEMPTS:
                        return OnceResult(False, f"{err} (gave up after {other} attempts)")
                    wait = backoff_seconds(failures, self.sync, self.rng)
                    if time.monotonic() + wait >= deadline:
                        return self._fail(f"{err} (stopped at the time limit, once_seconds = "
                                          f"{self.sync.once_seconds:g} s)")  # fmt: skip
                    sleep(wait)
        finally:
            client.close()
        deleted = tuple(self.delete_confirmed())
        if problems := self.outstanding() + self.unproven():
            return OnceResult(False, "; ".join(problems), deleted)
        return OnceResult(True, "every finished session is confirmed by the server", deleted)

    def run(self, stop: threading.Event) -> None:
        """Upload whenever allowed until `stop` is set (the long-running `booth sync`)."""
        failures = 0
        seen = self.sender.progressed
        refused: tuple[float, float] | None = None  # (token file mtime, when refused)
        while not stop.is_set():
            wait = self.sync.poll_seconds
            if refused and not self._token_changed(refused):
                self._wait(stop, wait)
                continue
            if reason := self.blocked():
                log.debug("sync: waiting: %s", reason)
                self._wait(stop, wait)
                continue
            try:
                wait, failures, seen, refused = self._pass(wait, failures, seen, refused)
            except sqlite3.DatabaseError as err:  # the store went bad under the agent
                self._reopen_store(err)
                wait = backoff_seconds(1, self.sync, self.rng)
            self._wait(stop, wait)

    def _pass(
        self,
        wait: float,
        failures: int,
        seen: int,
        refused: tuple[float, float] | None,
    ) -> tuple[float, int, int, tuple[float, float] | None]:
        """One turn of `run`: upload what may go, delete what is due; returns the next wait
        and the loop's counters."""
        try:
            client = self.client()
        except Exception as err:  # ConfigError: an unsafe or missing token file
            self._note_error(str(err))
            return max(wait, 60.0), failures, seen, refused
        try:
            self.upload_pending(client)
            failures = 0
            refused = None
        except Stopped:
            log.info("sync: paused: a candidate session started")
        except Refused as err:
            self._note_error(str(err))
            refused = (self._token_mtime(), time.monotonic())
        except (TusError, OSError) as err:
            failures = 1 if self.sender.progressed != seen else failures + 1
            if not isinstance(err, SetAside):
                self._note_error(str(err))
            wait = backoff_seconds(failures, self.sync, self.rng)
        finally:
            seen = self.sender.progressed
            client.close()
        self.delete_confirmed()
        return wait, failures, seen, refused

    def _reopen_store(self, err: sqlite3.DatabaseError) -> None:
        """Open the store again after an error from SQLite: one it cannot read is moved aside
        and started afresh (see UploadStore), so a bad store never becomes a crash loop."""
        log.warning("sync: the upload store failed (%s); opening it again", err)
        try:
            self.store.close()
        except sqlite3.Error:
            pass  # it is being replaced anyway
        self.store = UploadStore(self.state_dir)
        self.sender.store = self.store

    def _wait(self, stop: threading.Event, seconds: float) -> None:
        """Wait deliberately (the gate, the poll, a backoff), feeding the watchdog meanwhile."""
        end = time.monotonic() + seconds
        while not stop.is_set():
            self.heartbeat()
            left = end - time.monotonic()
            if left <= 0 or stop.wait(min(left, _WAIT_SLICE_SECONDS)):
                return

    def _fail(self, reason: str) -> OnceResult:
        self._note_error(reason)
        return OnceResult(False, reason)

    def _note_error(self, message: str) -> None:
        log.warning("sync: %s", message)
        self.store.note("error", self.clock(), message)

    def _token_mtime(self) -> float:
        try:
            return self.sync.token_file.stat().st_mtime if self.sync.token_file else 0.0
        except OSError:
            return 0.0

    def _token_changed(self, refused: tuple[float, float]) -> bool:
        mtime, when = refused
        return self._token_mtime() != mtime or time.monotonic() - when > REFUSED_RETRY_SECONDS


UNREADABLE = (
    "the manifest cannot be read and the session cannot be rebuilt from its files (the "
    "interview or candidate reference is lost): left in the spool for staff"
)


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.astimezone()
