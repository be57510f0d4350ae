"""The sync agent: uploads finished sessions while the booth is idle, then deletes them.

It shares only the spool and the kiosk's state record with the kiosk. It uploads when the kiosk
has been idle for `idle_seconds` (or is not running at all: its process is gone, or its record's
heartbeat is stale, so a kiosk that crashed never holds uploads back) inside the upload
windows, and looks at the state record between 64 KiB pieces so that it stops within a second
of a candidate starting a session. Failed requests are retried after an exponentially growing,
jittered wait; a refused token stops uploading until the token file changes.
"""

from __future__ import annotations

import hashlib
import logging
import random
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from booth.media.spool import MANIFEST, Spool
from booth.state import KioskState, read_state
from booth.sync.config import SyncSettings, describe_windows, in_window
from booth.sync.queue import (
    FinishedSession,
    SpoolFile,
    due_for_deletion,
    finished_session,
    is_finished,
    upload_order,
)
from booth.sync.store import UploadStore
from booth.sync.tus import (
    ChecksumMismatch,
    ChunkSha1,
    Gone,
    OffsetConflict,
    RateLimit,
    Refused,
    Rejected,
    ServerInfo,
    Stopped,
    TusClient,
    TusError,
    Unavailable,
)

log = logging.getLogger(__name__)

# How often, at most, the state record is read while bytes are going out.
_BUSY_CHECK_SECONDS = 0.2
# A chunk damaged this many times in a row is not a line glitch: back off instead.
_CHECKSUM_RETRIES = 3
# `--once` gives up after this many failed attempts in a row without progress.
ONCE_ATTEMPTS = 5
# After a refused token, try again at most this often even if the token file is unchanged.
REFUSED_RETRY_SECONDS = 3600.0

Progress = Callable[[SpoolFile, int], None]


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
    `sleep(seconds)` waits (interrupted by `stop` in `run`).
    """

    def __init__(
        self,
        sync: SyncSettings,
        spool_dir: Path,
        state_dir: Path,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC).astimezone(),
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
        progress: Progress | None = None,
    ) -> None:
        if not sync.url:
            raise ValueError("sync.url is not set")
        self.sync = sync
        self.spool = Spool(spool_dir)
        self.state_dir = Path(state_dir)
        self.store = UploadStore(self.state_dir)
        self.now = now
        self.clock = clock
        self.rng = rng
        self.progress = progress
        self.rate = RateLimit(sync.max_bytes_per_second)
        self._busy_checked = 0.0
        self._busy = False

    def close(self) -> None:
        self.store.close()

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

    def finished_sessions(self) -> list[FinishedSession]:
        """Every finished session in the spool, oldest first (open ones are never touched)."""
        return scan_spool(self.spool)[0]

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
        """Upload every pending file in order; returns how many were confirmed.

        Raises TusError (Stopped when a session started) on the first failure.
        """
        info = client.server_info()
        self._busy_checked = 0.0  # read the state record afresh
        done = 0
        for file in upload_order(self.finished_sessions(), self.store.records()):
            if reason := self.blocked():
                raise Stopped(reason)
            try:
                self.upload_file(client, info, file)
            except Stopped:
                raise Stopped("a candidate session started") from None
            done += 1
        return done

    def upload_file(self, client: TusClient, info: ServerInfo, file: SpoolFile) -> None:
        """Bring one file to the server: resume from the server's offset if it has the upload,
        else create it; send it chunk by chunk; confirm it whole with a final HEAD."""
        size = file.path.stat().st_size
        if size != file.length:
            raise Rejected(f"{file.path}: is {size} bytes but its manifest says {file.length}")
        record = self.store.get(file.session_id, file.name)
        offset = 0
        url = None
        if record is not None and record.length == file.length and record.sha256 == file.sha256:
            try:
                offset, length = client.offset(record.url)
                url = record.url if length in (None, file.length) else None
            except Gone:
                log.info("sync: the server forgot %s; uploading it again", file.path)
        if url is None:
            url = client.create(file.length, file.metadata)
            self.store.created(file.session_id, file.name, url, file.length, file.sha256)
            offset = 0
        sha1 = ChunkSha1(file.path, file.length, self.sync.chunk_bytes) if info.sha1 else None
        try:
            self._send_chunks(client, file, url, offset, sha1)
        finally:
            if sha1 is not None:
                sha1.close()
        final, length = client.offset(url)
        if final != file.length or length not in (None, file.length):
            raise Unavailable(f"{url}: the server holds {final} of {file.length} bytes")
        self.store.confirm(file.session_id, file.name, self.clock())
        self.store.note("success", self.clock(), f"uploaded {file.session_id}/{file.name}")
        log.info("sync: uploaded %s (%d bytes)", file.path, file.length)

    def _send_chunks(
        self, client: TusClient, file: SpoolFile, url: str, offset: int, sha1: ChunkSha1 | None
    ) -> None:
        """Send `file` from `offset` chunk by chunk, each with its sha1 when `sha1` is given."""
        damaged = 0
        while offset < file.length:
            size = min(self.sync.chunk_bytes, file.length - offset)
            try:
                offset = client.send_chunk(
                    url, file.path, offset, size, sha1 is not None, self._should_stop, sha1
                )
            except ChecksumMismatch:
                damaged += 1
                if damaged >= _CHECKSUM_RETRIES:
                    raise Unavailable(
                        f"{file.path}: the chunk at byte {offset} arrived damaged {damaged} times"
                    ) from None
                continue
            except OffsetConflict:
                offset, _ = client.offset(url)
            damaged = 0
            self.store.acknowledged(file.session_id, file.name, offset)
            if self.progress:
                self.progress(file, offset)

    def delete_confirmed(self) -> list[str]:
        """Delete sessions the server confirmed whole at least retention_hours ago; returns
        their ids. Files the server has not confirmed are never deleted."""
        deleted = []
        records = self.store.records()
        for session in self.finished_sessions():
            mine = {n: r for (s, n), r in records.items() if s == session.session_id}
            if not due_for_deletion(session, mine, self.clock(), self.sync.retention_hours):
                continue
            uploaded = {f.name for f in session.files}
            others = [p.name for p in session.dir.iterdir() if p.name not in uploaded]
            if others:
                # Raw takes recovery could not use stay for staff, and so does the manifest.
                for f in session.files:
                    if not f.is_manifest:
                        f.path.unlink(missing_ok=True)
                log.warning("sync: %s: left %s for staff", session.dir, ", ".join(others))
                continue
            # Hidden first (the spool skips dot-names), so a half-deleted session is never seen.
            hidden = session.dir.with_name(f".deleting-{session.dir.name}")
            session.dir.rename(hidden)
            shutil.rmtree(hidden)
            self.store.forget(session.session_id)
            deleted.append(session.session_id)
            log.info("sync: deleted confirmed session %s", session.session_id)
        return deleted

    # -- loops ---------------------------------------------------------------------------

    def run_once(self, sleep: Callable[[float], None] = time.sleep) -> OnceResult:
        """Upload everything pending now, retrying failures, then delete what is due.

        Raises ConfigError when the token file is unsafe.
        """
        reason = self.blocked()
        if reason:
            return OnceResult(False, f"not uploading: {reason}")
        client = self.client()
        failures = 0
        try:
            while True:
                try:
                    self.upload_pending(client)
                    break
                except Stopped as err:
                    return self._fail(f"paused: {err}")
                except (Refused, Rejected) as err:
                    return self._fail(str(err))
                except (TusError, OSError) as err:
                    failures += 1
                    self._note_error(str(err))
                    if failures >= ONCE_ATTEMPTS:
                        return OnceResult(False, f"{err} (gave up after {failures} attempts)")
                    sleep(backoff_seconds(failures, self.sync, self.rng))
        finally:
            client.close()
        deleted = tuple(self.delete_confirmed())
        return OnceResult(True, "every finished session is confirmed by the server", deleted)

    def run(self, stop: threading.Event) -> None:
        """Upload whenever allowed until `stop` is set (the long-running `booth sync`)."""
        failures = 0
        refused: tuple[float, float] | None = None  # (token file mtime, when refused)
        while not stop.is_set():
            wait = self.sync.poll_seconds
            if refused and not self._token_changed(refused):
                stop.wait(wait)
                continue
            if reason := self.blocked():
                log.debug("sync: waiting: %s", reason)
                stop.wait(wait)
                continue
            try:
                client = self.client()
            except Exception as err:  # ConfigError: an unsafe or missing token file
                self._note_error(str(err))
                stop.wait(max(wait, 60.0))
                continue
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
                failures += 1
                self._note_error(str(err))
                wait = backoff_seconds(failures, self.sync, self.rng)
            finally:
                client.close()
            self.delete_confirmed()
            stop.wait(wait)

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


def scan_spool(spool: Spool) -> tuple[list[FinishedSession], int]:
    """The finished sessions in the spool, oldest first, and how many are still open."""
    found = []
    still_open = 0
    for entry in spool.sessions():
        if not is_finished(entry.manifest):
            still_open += entry.manifest is not None
            continue
        try:
            raw = (entry.dir / MANIFEST).read_bytes()
            sha256 = hashlib.sha256(raw).hexdigest()
            found.append(finished_session(entry.dir, entry.manifest, len(raw), sha256))
        except (OSError, KeyError, TypeError, ValueError) as err:
            log.warning("sync: skipping %s: %s", entry.dir, err)
    return found, still_open


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.astimezone()
