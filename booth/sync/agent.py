"""The sync agent: uploads finished sessions while the booth is idle, then deletes them.

It shares only the spool and the kiosk's state record with the kiosk. It uploads when the kiosk
has been idle for `idle_seconds` (or is not running at all: its process is gone, or its record's
heartbeat is stale, so a kiosk that crashed never holds uploads back) inside the upload
windows, and looks at the state record between 64 KiB pieces so that it stops within a second
of a candidate starting a session.

Requests go only to sync.url's origin (`TusClient.check_origin`). The agent is its loops
around a few parts (booth.sync.parts): the gate says when uploads may go (booth.sync.gate);
each file is sent by a `FileSender` (booth.sync.sender), which trusts the server only as far as
it can check it and sets a file aside when it gets nowhere; the backlog (booth.sync.backlog)
finds the finished sessions, rebuilds unreadable manifests (booth.sync.manifests) and says what
is held back; the deletion (booth.sync.deletion) reads each file's sha256 again and deletes a
session only when the server's receipt proves that its store holds every file (`Prover`,
booth.sync.receipts; `[sync] proof`). The agent waits after every failure (exponential,
jittered, capped), moves on past files set aside, and keeps `booth sync --once` within
`once_seconds`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from booth.media.spool import Spool
from booth.sync.backlog import Backlog
from booth.sync.config import SyncSettings
from booth.sync.deletion import Deletion
from booth.sync.gate import UploadGate
from booth.sync.parts import Hooks, SyncParts
from booth.sync.queue import upload_order
from booth.sync.sender import FileSender, SetAside
from booth.sync.store import UploadStore
from booth.sync.tus import (
    Misconfigured,
    OffOrigin,
    OutOfTime,
    RateLimit,
    Refused,
    Stopped,
    TusClient,
    TusError,
)

log = logging.getLogger(__name__)

# `--once` gives up after this many failures in a row that are no file's own (no answer:
# the link) and bring no progress.
ONCE_ATTEMPTS = 5
# After a refused token, try again at most this often even if the token file is unchanged.
REFUSED_RETRY_SECONDS = 3600.0
# The longest single wait of the long-running agent between watchdog pings.
_WAIT_SLICE_SECONDS = 5.0


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

    `hooks` (booth.sync.parts) holds the clocks and callbacks: the CLI's progress and watchdog,
    the tests' clocks. `sleep(seconds)` of `run_once` waits between attempts; `run` waits on
    its `stop`.
    """

    def __init__(
        self, sync: SyncSettings, spool_dir: Path, state_dir: Path, *, hooks: Hooks | None = None
    ) -> None:
        if not sync.url:
            raise ValueError("sync.url is not set")
        state_dir = Path(state_dir)
        self.parts = SyncParts(
            sync, Spool(spool_dir), state_dir, UploadStore(state_dir), hooks or Hooks()
        )
        self.sync = sync
        self.hooks = self.parts.hooks
        self.rate = RateLimit(sync.max_bytes_per_second)
        self.gate = UploadGate(self.parts)
        self.sender = FileSender(self.parts, self.gate.candidate_arrived)
        self.backlog = Backlog(self.parts, self.sender)
        self.deletion = Deletion(self.parts, self.backlog, self.sender, self.client)

    @property
    def store(self) -> UploadStore:
        return self.parts.store

    def close(self) -> None:
        self.store.close()

    def blocked(self) -> str | None:
        """Why uploading must wait right now (see `upload_gate`), or None."""
        return self.gate.blocked()

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
        sessions = self.backlog.finished_sessions()
        holds = self.backlog.active_holds()
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
        self.gate.look_again()
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

    def delete_confirmed(self) -> list[str]:
        """Delete the sessions that are due (see `Deletion.delete_confirmed`); their ids."""
        return self.deletion.delete_confirmed()

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
                        self.parts.note_error(str(err))
                    if other >= ONCE_ATTEMPTS:
                        return OnceResult(False, f"{err} (gave up after {other} attempts)")
                    wait = backoff_seconds(failures, self.sync, self.hooks.rng)
                    if time.monotonic() + wait >= deadline:
                        return self._fail(f"{err} (stopped at the time limit, once_seconds = "
                                          f"{self.sync.once_seconds:g} s)")  # fmt: skip
                    sleep(wait)
        finally:
            client.close()
        deleted = tuple(self.delete_confirmed())
        if problems := self.backlog.outstanding() + self.backlog.unproven():
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
                wait = backoff_seconds(1, self.sync, self.hooks.rng)
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
            self.parts.note_error(str(err))
            return max(wait, 60.0), failures, seen, refused
        try:
            self.upload_pending(client)
            failures = 0
            refused = None
        except Stopped:
            log.info("sync: paused: a candidate session started")
        except Refused as err:
            self.parts.note_error(str(err))
            refused = (self._token_mtime(), time.monotonic())
        except (TusError, OSError) as err:
            failures = 1 if self.sender.progressed != seen else failures + 1
            if not isinstance(err, SetAside):
                self.parts.note_error(str(err))
            wait = backoff_seconds(failures, self.sync, self.hooks.rng)
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
        # Every part reaches the store through `parts`: this replaces it for all of them.
        self.parts.store = UploadStore(self.parts.state_dir)

    def _wait(self, stop: threading.Event, seconds: float) -> None:
        """Wait deliberately (the gate, the poll, a backoff), feeding the watchdog meanwhile."""
        end = time.monotonic() + seconds
        while not stop.is_set():
            self.hooks.heartbeat()
            left = end - time.monotonic()
            if left <= 0 or stop.wait(min(left, _WAIT_SLICE_SECONDS)):
                return

    def _fail(self, reason: str) -> OnceResult:
        self.parts.note_error(reason)
        return OnceResult(False, reason)

    def _token_mtime(self) -> float:
        try:
            return self.sync.token_file.stat().st_mtime if self.sync.token_file else 0.0
        except OSError:
            return 0.0

    def _token_changed(self, refused: tuple[float, float]) -> bool:
        mtime, when = refused
        return self._token_mtime() != mtime or time.monotonic() - when > REFUSED_RETRY_SECONDS
