"""Sending one file to the tus server, trusting the server only as far as it can be checked.

`FileSender.attempt` brings one file of the spool to the server and is the whole of issue 11's
rules for a single file:
- every PATCH must move the offset by exactly the bytes sent (BadAnswer if not);
- a resume goes on from the server's offset only when that offset is one this booth sent;
  a server claiming more, or holding less than it acknowledged, starts the file again from
  zero, at most MAX_RESTARTS times, and so does a server's answer that the upload it stored is
  damaged (`Damaged`, 422: deploy/receiver reads every finished upload back and checks it);
- a file with no progress in STALL_REQUESTS answered requests is set aside until the next
  upload window; a POST whose answer is lost is repeated with the same `upload_key` in the
  metadata, at most MAX_UNANSWERED_CREATES times;
- the file's sha256 is read again while it is sent (on a worker thread) and must match before
  it counts as confirmed; a mismatch marks it damaged (kept, never deleted automatically).
Waiting between attempts is the agent's business (booth.sync.agent).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from booth.sync.config import next_window_start
from booth.sync.parts import SyncParts
from booth.sync.queue import SpoolFile
from booth.sync.store import DAMAGED, SET_ASIDE, UploadRecord, UploadStore
from booth.sync.tus import (
    BadAnswer,
    ChecksumMismatch,
    ChunkSha1,
    Damaged,
    Gone,
    Misconfigured,
    NoAnswer,
    OffOrigin,
    OffsetConflict,
    OutOfTime,
    Refused,
    ServerInfo,
    ServerUnavailable,
    Stopped,
    TusClient,
    TusError,
    Unavailable,
    lower_priority,
)

log = logging.getLogger(__name__)

# A chunk damaged this many times in a row is not a line glitch: back off instead.
_CHECKSUM_RETRIES = 3
# A file with no progress after this many requests (answered ones: a dead link is not the
# file's fault) is set aside until the next upload window.
STALL_REQUESTS = 8
# A file whose upload had to start again from zero this many times is set aside.
MAX_RESTARTS = 3
# A file whose creation (POST) went unanswered this many times is set aside: each may have
# left an empty upload on the server (they carry the same upload_key in their metadata).
MAX_UNANSWERED_CREATES = 3
# Without upload windows, a set-aside file is tried again after this long.
SET_ASIDE_SECONDS = 3600.0

# The name of the threads that read a file's sha256 while it is sent.
SHA256_THREAD = "booth-sync-sha256"


class SetAside(TusError):
    """A file was set aside until the next upload window (the message says why)."""


class FileSender:
    """Sends files of the spool to the server one at a time, remembering in `parts.store`.

    `should_stop` is asked between 64 KiB pieces (a candidate arrived); the hooks' `heartbeat`
    and `progress(file, offset)` are called when a chunk is acknowledged.
    """

    def __init__(self, parts: SyncParts, should_stop: Callable[[], bool]) -> None:
        self.parts = parts
        self.sync = parts.sync
        self.hooks = parts.hooks
        self.should_stop = should_stop
        self.progressed = 0
        """Chunks acknowledged and files set aside so far: what resets the agent's backoff."""
        self.file_failures = 0
        """Failures counted against a file (bounded per file by STALL_REQUESTS)."""
        self.stalled: dict[tuple[str, str], int] = {}
        """Requests since each file's last progress."""
        self._mark = 0  # the client's request count at the current file's last progress

    @property
    def store(self) -> UploadStore:
        return self.parts.store

    def attempt(self, client: TusClient, info: ServerInfo, file: SpoolFile) -> bool:
        """`upload_file`, counting the requests that brought no progress; a file that reaches
        STALL_REQUESTS is set aside. Failures are raised for the caller to back off."""
        key = (file.session_id, file.name)
        self._mark = client.requests
        try:
            return self.upload_file(client, info, file)
        except (
            Stopped,
            OutOfTime,
            Refused,
            OffOrigin,
            Misconfigured,
            SetAside,
            NoAnswer,
            ServerUnavailable,
        ):
            raise  # not this file's doing: the candidate, the clock, the settings, the link,
            # the server's own outage (503: the receiver's object store)
        except (TusError, OSError) as err:
            self.file_failures += 1
            wasted = max(1, client.requests - self._mark)
            stalled = self.stalled[key] = self.stalled.get(key, 0) + wasted
            if stalled >= STALL_REQUESTS:
                self.stalled.pop(key, None)
                raise self._set_aside(
                    file, f"no progress in {stalled} requests (the last: {_brief(err)})"
                ) from None
            raise

    def upload_file(self, client: TusClient, info: ServerInfo, file: SpoolFile) -> bool:
        """Bring one file to the server: resume from the server's offset if it has the upload
        and that offset is one this booth sent, else create it; send it chunk by chunk, each
        acknowledged with exactly its length; confirm it with a final HEAD. Returns False, with
        the file marked damaged, when its bytes no longer match its manifest: its size is
        checked first, its sha256 read on a worker while it goes out (`FileDigest`), and it is
        confirmed only when that matches."""
        if problem := self._size_problem(file):
            self.mark_damaged(file, problem)
            return False
        check = FileDigest(file.path)
        try:
            return self._send_file(client, info, file, check)
        finally:
            check.cancel()

    def _send_file(
        self, client: TusClient, info: ServerInfo, file: SpoolFile, check: FileDigest
    ) -> bool:
        record = self.store.get(file.session_id, file.name)
        url = None
        offset = 0
        if record is not None and record.length == file.length and record.sha256 == file.sha256:
            url, offset = self._resume(client, file, record)
        if url is None:
            try:
                url = self._create(client, file)
            except OffsetConflict:
                if self.sync.proof != "receipt":
                    raise
                # deploy/receiver answers 409 to a file it holds verified already (this booth's
                # record of the upload was lost, e.g. a store moved aside): nothing to send.
                # Only the session's receipt, checked before deletion, proves it is this file.
                self.store.created(file.session_id, file.name, client.endpoint, file.length,
                                   file.sha256)  # fmt: skip
                self.store.confirm(file.session_id, file.name, self.hooks.clock())
                self.store.note("success", self.hooks.clock(), f"already on the server: "
                                f"{file.session_id}/{file.name}")  # fmt: skip
                log.info("sync: the server holds %s verified already", file.path)
                return True
        sha1 = ChunkSha1(file.path, file.length, self.sync.chunk_bytes) if info.sha1 else None
        try:
            self._send_chunks(client, file, url, offset, sha1)
        finally:
            if sha1 is not None:
                sha1.close()
        final, length = client.offset(url)
        if final > file.length or length not in (None, file.length):
            raise BadAnswer(
                f"HEAD {url}: after this booth sent all {file.length} bytes, the server reports "
                f"{final} bytes of an upload of {length}"
            )
        if final < file.length:
            raise self.restart_from_zero(
                file, f"HEAD {url}: the server holds {final} of the {file.length} bytes it took"
            )
        if problem := check.problem(file.sha256, self.should_stop):
            self.mark_damaged(file, problem)  # the server got what is on disk: not the take
            return False
        self.store.confirm(file.session_id, file.name, self.hooks.clock())
        self.store.note("success", self.hooks.clock(), f"uploaded {file.session_id}/{file.name}")
        self.stalled.pop((file.session_id, file.name), None)
        log.info("sync: uploaded %s (%d bytes)", file.path, file.length)
        return True

    def _resume(
        self, client: TusClient, file: SpoolFile, record: UploadRecord
    ) -> tuple[str | None, int]:
        """The stored upload and the offset to go on from, or (None, 0) to start afresh."""
        try:
            client.check_origin(record.url, "the stored upload URL")
        except OffOrigin as err:  # sync.url changed, or a store from before this check
            log.warning("sync: %s: %s; starting a new upload", file.path, err)
            self.store.forget(file.session_id, file.name)
            return None, 0
        try:
            offset, length = client.offset(record.url)
        except Gone:
            log.info("sync: the server forgot %s; uploading it again", file.path)
            self.store.forget(file.session_id, file.name)
            self._count_restart(file, "the server forgot its upload")
            return None, 0
        if length not in (None, file.length):
            raise self.restart_from_zero(
                file, f"HEAD {record.url}: an upload of {length} bytes, not {file.length}"
            )
        # Bytes this booth sent: those the server acknowledged, and those of a PATCH whose
        # answer was lost (a tus server keeps what it received of it). Anything more, the
        # server cannot have got from this booth.
        sent = max(record.offset, record.sent)
        if offset > sent:
            raise self.restart_from_zero(
                file,
                f"HEAD {record.url}: the server claims {offset} bytes of {file.length}, "
                f"but this booth sent it only {sent}",
            )
        return record.url, offset

    def _create(self, client: TusClient, file: SpoolFile) -> str:
        """POST a new upload. A POST whose answer is lost may still have created one on the
        server; the booth cannot find it again (tus has no lookup), so it creates another, with
        the same `upload_key` in the metadata so the receiver can tell they are one file, at
        most MAX_UNANSWERED_CREATES times before setting the file aside."""
        attempts = self.store.attempts(file.session_id, file.name, secrets.token_hex(8))
        if attempts.creates >= MAX_UNANSWERED_CREATES:
            raise self._set_aside(
                file, f"{attempts.creates} attempts to create its upload went unanswered"
            )
        metadata = {**file.metadata, "upload_key": attempts.upload_key}
        try:
            url = client.create(file.length, metadata)
        except NoAnswer:
            self.store.count(file.session_id, file.name, "creates")
            raise
        self.store.created(file.session_id, file.name, url, file.length, file.sha256)
        return url

    def _send_chunks(
        self, client: TusClient, file: SpoolFile, url: str, offset: int, sha1: ChunkSha1 | None
    ) -> None:
        """Send `file` from `offset` chunk by chunk, each with its sha1 when `sha1` is given.
        Each answer must move the offset by exactly the chunk's length (BadAnswer if not)."""
        damaged = 0
        while offset < file.length:
            size = min(self.sync.chunk_bytes, file.length - offset)
            self.store.sending(file.session_id, file.name, offset + size)
            try:
                answered = client.send_chunk(url, file.path, offset, size, self.should_stop, sha1)
            except Damaged as err:  # the receiver checked the stored object: not this file
                raise self.restart_from_zero(file, str(err)) from None
            except ChecksumMismatch:
                damaged += 1
                if damaged >= _CHECKSUM_RETRIES:
                    raise Unavailable(
                        f"{file.path}: the chunk at byte {offset} arrived damaged {damaged} times"
                    ) from None
                continue
            if answered != offset + size:
                what = "more than it was sent" if answered > offset + size else "not all of it"
                raise BadAnswer(
                    f"PATCH {url}: sent bytes {offset}-{offset + size} of {file.length}, the "
                    f"server answered Upload-Offset {answered} ({what})"
                )
            offset = answered
            damaged = 0
            self.store.acknowledged(file.session_id, file.name, offset)
            self.stalled[(file.session_id, file.name)] = 0
            self._mark = client.requests
            self.progressed += 1
            self.hooks.heartbeat()
            if progress := self.hooks.progress:
                progress(file, offset)

    # -- when a file is in trouble ---------------------------------------------------------

    def damage(self, file: SpoolFile) -> str | None:
        """Why the file on disk is not the one its manifest describes (size or sha256), or
        None. Asked before a file is deleted."""
        if problem := self._size_problem(file):
            return problem
        check = FileDigest(file.path)
        try:
            return check.problem(file.sha256, self.should_stop)
        finally:
            check.cancel()

    @staticmethod
    def _size_problem(file: SpoolFile) -> str | None:
        try:
            size = file.path.stat().st_size
        except OSError as err:
            return f"it cannot be read ({err.strerror or err})"
        if size != file.length:
            return f"it is {size} bytes, its manifest says {file.length}"
        return None

    def mark_damaged(self, file: SpoolFile, problem: str) -> None:
        reason = f"{problem}: kept on the booth, never confirmed and never deleted automatically"
        self.store.hold(file.session_id, file.name, DAMAGED, reason, self.hooks.clock(), None)
        self.parts.note_error(f"{file.session_id}/{file.name} is damaged: {reason}")

    def _set_aside(self, file: SpoolFile, why: str) -> SetAside:
        """Hold the file back until the next upload window; returns the error to raise."""
        until = self._next_window()
        self.store.hold(file.session_id, file.name, SET_ASIDE, why, self.hooks.clock(), until)
        self.progressed += 1  # the queue moves on: the next file starts with a short wait
        when = datetime.fromtimestamp(until, UTC).astimezone().isoformat(timespec="minutes")
        message = f"{file.session_id}/{file.name} set aside until {when}: {why}"
        self.parts.note_error(message)
        return SetAside(message)

    def _count_restart(self, file: SpoolFile, why: str) -> None:
        """One more start from zero; the MAX_RESTARTS-th sets the file aside (raises)."""
        self.store.attempts(file.session_id, file.name, secrets.token_hex(8))
        self.store.count(file.session_id, file.name, "restarts")
        restarts = self.store.attempts(file.session_id, file.name, "").restarts
        if restarts >= MAX_RESTARTS:
            raise self._set_aside(file, f"started from zero {restarts} times (the last: {why})")

    def restart_from_zero(self, file: SpoolFile, why: str) -> TusError:
        """The server's copy cannot be trusted: forget it, so the next attempt starts the
        file from zero; the MAX_RESTARTS-th time sets the file aside instead (raises SetAside).
        Returns the error to raise. A server's answer that an upload is damaged belongs here."""
        self.store.forget(file.session_id, file.name)
        self._count_restart(file, why)
        return BadAnswer(f"{why}: starting this file again from zero")

    def _next_window(self) -> float:
        """When a set-aside file is tried again (Unix seconds): the next upload window's start,
        or SET_ASIDE_SECONDS from now without windows."""
        if not self.sync.windows:
            return self.hooks.clock() + SET_ASIDE_SECONDS
        now = self.hooks.now()
        return (
            self.hooks.clock() + (next_window_start(self.sync.windows, now) - now).total_seconds()
        )


class FileDigest:
    """The sha256 of a whole file, read on its own thread while the file goes out.

    The thread runs 10 steps nicer (like the sha1 worker of booth.sync.tus) and stops at its
    next 1 MiB piece when cancelled. On a booth the uplink is slower than the SD card, so the
    check costs no time, and the sender then reads the file from the page cache.
    """

    def __init__(self, path: Path) -> None:
        self._cancelled = threading.Event()
        self._done = threading.Event()
        self._hex = ""
        self._error: str | None = None
        self._thread = threading.Thread(
            target=self._run, args=(path,), name=SHA256_THREAD, daemon=True
        )
        self._thread.start()

    def _run(self, path: Path) -> None:
        lower_priority()
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as data:
                while piece := data.read(1 << 20):
                    if self._cancelled.is_set():
                        return
                    digest.update(piece)
            self._hex = digest.hexdigest()
        except OSError as err:
            self._error = f"it cannot be read ({err.strerror or err})"
        finally:
            self._done.set()

    def problem(self, expected: str, should_stop: Callable[[], bool]) -> str | None:
        """Why the file's sha256 is not `expected`, or None; waits for the thread, asking
        `should_stop` meanwhile (Stopped when it says yes)."""
        while not self._done.wait(0.05):
            if should_stop():
                self.cancel()
                raise Stopped("stopped while checking a file")
        if self._error is not None:
            return self._error
        if self._hex != expected:
            return f"its sha256 is {self._hex[:16]}…, its manifest says {expected[:16]}…"
        return None

    def cancel(self) -> None:
        self._cancelled.set()
        self._thread.join()


def _brief(err: BaseException) -> str:
    return str(err)[:300]
