"""What the sync agent remembers across reboots: `<state>/uploads.sqlite3`.

One row per file of a session: its tus upload URL, its length and sha256, the offset the
server last acknowledged, and whether the server has confirmed it whole. The URL is written
the moment the server creates the upload, before any byte is sent, so a power cut never leads
to a second upload of the same file; after a reboot the agent asks the server (HEAD) for the
real offset and goes on from there. SQLite in WAL mode lets `booth status` read while the agent
writes. Creating and confirming an upload are committed with `synchronous=FULL`, so they survive
a power cut; the offset after each chunk is not fsynced (an fsync per chunk costs more than the
chunk on an SD card; see `FileSender.upload_file` for what a lost offset costs).

Beside the uploads, the store keeps what needs staff or patience: files set aside (no progress
within a bounded number of requests, or restarted from zero too often: tried again from the
next upload window) and files found damaged (their bytes no longer match the manifest's sha256:
kept, never deleted automatically), and per file how many times its upload was created or
restarted, so neither can repeat without bound.

An upload URL that no longer passes the client's checks (`booth.sync.tus.url_problem`: a store
written before them, or damaged) is dropped when the store is opened, so its file starts again
from a new upload instead of crashing every request made with it.

A store that SQLite cannot read (a power cut on a bad SD card) is moved aside to
`uploads.sqlite3.corrupt-<time>` and a fresh one started: every file then counts as not
uploaded and is sent again (a duplicate on the server at worst, never a loss).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from booth.sync.tus import shown, url_problem

log = logging.getLogger(__name__)

STORE_FILE = "uploads.sqlite3"
UPLOADING = "uploading"
CONFIRMED = "confirmed"
SET_ASIDE = "set-aside"
DAMAGED = "damaged"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    session_id TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    length INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    offset INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    confirmed_at REAL,
    sent INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, name)
);
CREATE TABLE IF NOT EXISTS holds (
    session_id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    at REAL NOT NULL,
    until REAL,
    PRIMARY KEY (session_id, name)
);
CREATE TABLE IF NOT EXISTS attempts (
    session_id TEXT NOT NULL,
    name TEXT NOT NULL,
    upload_key TEXT NOT NULL,
    creates INTEGER NOT NULL DEFAULT 0,
    restarts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, name)
);
CREATE TABLE IF NOT EXISTS events (
    kind TEXT PRIMARY KEY,
    at REAL NOT NULL,
    message TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class UploadRecord:
    """One file's upload as the agent last saw it.

    url: the tus upload resource. length: the file's size in bytes. offset: bytes the server
    has acknowledged. status: "uploading" or "confirmed" (the server holds every byte).
    confirmed_at: when it was confirmed (Unix seconds), else None. sent: the end of the
    furthest chunk this booth began to send (a server may hold more than `offset` after a
    PATCH whose answer was lost, but never more than this).
    """

    session_id: str
    name: str
    url: str
    length: int
    sha256: str
    offset: int
    status: str
    confirmed_at: float | None
    sent: int = 0

    @property
    def confirmed(self) -> bool:
        return self.status == CONFIRMED


@dataclass(frozen=True)
class Hold:
    """A file the agent does not upload for now.

    kind: "set-aside" (tried again once `until`, Unix seconds, has passed: the next upload
    window) or "damaged" (its bytes differ from its manifest's sha256: kept for staff, never
    uploaded or deleted automatically; until is None). reason: why, in words for staff.
    at: when it was held (Unix seconds).
    """

    session_id: str
    name: str
    kind: str
    reason: str
    at: float
    until: float | None

    def active(self, now: float) -> bool:
        return self.kind == DAMAGED or (self.until is not None and now < self.until)


@dataclass(frozen=True)
class Attempts:
    """How often a file's upload was created (POSTs, answered or not) and restarted from zero
    since the file last made progress, and the random key its creations carry in their
    metadata (`upload_key`), so the receiver can tell that two uploads are the same file."""

    upload_key: str
    creates: int
    restarts: int


@dataclass(frozen=True)
class Event:
    """The last success or error: when (Unix seconds) and what, in words for staff."""

    at: float
    message: str


_COLUMNS = "session_id, name, url, length, sha256, offset, status, confirmed_at, sent"


class UploadStore:
    """The upload records in `state_dir`. `read_only` opens an existing store for status."""

    def __init__(self, state_dir: Path, read_only: bool = False) -> None:
        path = Path(state_dir) / STORE_FILE
        self.moved_aside: Path | None = None
        """Where a corrupt store was moved to when this one was opened (None: it was fine)."""
        self.dropped: list[tuple[str, str]] = []
        if read_only:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open(path)
        except sqlite3.DatabaseError as err:
            if isinstance(err, sqlite3.OperationalError) and "locked" in str(err):
                raise  # busy, not broken: another process holds it
            self.moved_aside = _move_aside(path, err)
            self._db = self._open(path)
            self.note(
                "error",
                time.time(),
                f"the upload store {path} could not be read ({err}); moved aside to "
                f"{self.moved_aside.name} and started afresh: unconfirmed files are sent again",
            )
        self.dropped = self._drop_unusable_urls()  # (session_id, file name) of each

    def _drop_unusable_urls(self) -> list[tuple[str, str]]:
        dropped = []
        for session_id, name, url in self._db.execute(
            "SELECT session_id, name, url FROM uploads WHERE status != ?", (CONFIRMED,)
        ).fetchall():
            problem = url_problem(url) if isinstance(url, str) else "is not text"
            if problem is None:
                continue
            self._db.execute(
                "DELETE FROM uploads WHERE session_id = ? AND name = ?", (session_id, name)
            )
            message = (
                f"the stored upload URL of {session_id}/{name}, {shown(str(url))}, {problem}: "
                "dropped, the file is uploaded again from a new upload"
            )
            log.warning("sync: %s", message)
            self.note("error", time.time(), message)
            dropped.append((session_id, name))
        return dropped

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            names = [c[1] for c in db.execute("PRAGMA table_info(uploads)").fetchall()]
            if "sent" not in names:  # a store from before issue 11
                db.execute("ALTER TABLE uploads ADD COLUMN sent INTEGER NOT NULL DEFAULT 0")
            check = db.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {check[0] if check else 'no answer'}")
            _columns_match(db)
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        self._db.close()

    def records(self) -> dict[tuple[str, str], UploadRecord]:
        """Every record, by (session_id, file name)."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM uploads").fetchall()
        return {(r[0], r[1]): UploadRecord(*r) for r in rows}

    def get(self, session_id: str, name: str) -> UploadRecord | None:
        return self.records_of(session_id).get(name)

    def records_of(self, session_id: str) -> dict[str, UploadRecord]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM uploads WHERE session_id = ?",
            (session_id,),
        ).fetchall()
        return {r[1]: UploadRecord(*r) for r in rows}

    def created(self, session_id: str, name: str, url: str, length: int, sha256: str) -> None:
        """The server created an upload for this file at `url` (replaces an older record)."""
        self._durably(
            f"INSERT OR REPLACE INTO uploads ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, 0, ?, NULL, 0)",
            (session_id, name, url, length, sha256, UPLOADING),
        )

    def acknowledged(self, session_id: str, name: str, offset: int) -> None:
        """The server holds the first `offset` bytes."""
        self._db.execute(
            "UPDATE uploads SET offset = ? WHERE session_id = ? AND name = ?",
            (offset, session_id, name),
        )

    def sending(self, session_id: str, name: str, end: int) -> None:
        """A chunk ending at byte `end` is about to go out."""
        self._db.execute(
            "UPDATE uploads SET sent = MAX(sent, ?) WHERE session_id = ? AND name = ?",
            (end, session_id, name),
        )

    def confirm(self, session_id: str, name: str, at: float) -> None:
        """The server holds the whole file, verified."""
        self._durably(
            "UPDATE uploads SET offset = length, status = ?, confirmed_at = ? "
            "WHERE session_id = ? AND name = ?",
            (CONFIRMED, at, session_id, name),
        )

    def forget(self, session_id: str, name: str | None = None) -> None:
        """Drop the upload record of one file (the server lost it: its holds and attempts
        stay), or everything about a whole session (deleted)."""
        if name is None:
            for table in ("uploads", "holds", "attempts"):
                self._db.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))
        else:
            self._db.execute(
                "DELETE FROM uploads WHERE session_id = ? AND name = ?", (session_id, name)
            )

    # -- files held back -----------------------------------------------------------------

    def hold(
        self, session_id: str, name: str, kind: str, reason: str, at: float, until: float | None
    ) -> None:
        """Hold a file back: set aside until `until`, or damaged (see `Hold`)."""
        self._durably(
            "INSERT OR REPLACE INTO holds VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, name, kind, reason, at, until),
        )

    def release(self, session_id: str, name: str) -> None:
        """The file may be uploaded again (its set-aside ended, or staff fixed it), with a
        fresh budget of creations and restarts."""
        self._db.execute("DELETE FROM holds WHERE session_id = ? AND name = ?", (session_id, name))
        self._db.execute(
            "UPDATE attempts SET creates = 0, restarts = 0 WHERE session_id = ? AND name = ?",
            (session_id, name),
        )

    def holds(self) -> dict[tuple[str, str], Hold]:
        """Every hold, by (session_id, file name), expired set-asides included."""
        rows = self._db.execute(
            "SELECT session_id, name, kind, reason, at, until FROM holds"
        ).fetchall()
        return {(r[0], r[1]): Hold(*r) for r in rows}

    def attempts(self, session_id: str, name: str, new_key: str) -> Attempts:
        """The file's attempts; a first call stores `new_key` as its upload_key."""
        self._db.execute(
            "INSERT OR IGNORE INTO attempts VALUES (?, ?, ?, 0, 0)", (session_id, name, new_key)
        )
        row = self._db.execute(
            "SELECT upload_key, creates, restarts FROM attempts WHERE session_id = ? AND name = ?",
            (session_id, name),
        ).fetchone()
        return Attempts(*row)

    def count(self, session_id: str, name: str, what: str) -> None:
        """One more "creates" or "restarts" for this file (durable: it bounds repeats)."""
        column = {"creates": "creates", "restarts": "restarts"}[what]
        self._durably(
            f"UPDATE attempts SET {column} = {column} + 1 WHERE session_id = ? AND name = ?",
            (session_id, name),
        )

    def _durably(self, sql: str, parameters: tuple) -> None:
        self._db.execute("PRAGMA synchronous=FULL")
        try:
            self._db.execute(sql, parameters)
        finally:
            self._db.execute("PRAGMA synchronous=NORMAL")

    def note(self, kind: str, at: float, message: str) -> None:
        """Remember the last "success" or "error"."""
        self._db.execute("INSERT OR REPLACE INTO events VALUES (?, ?, ?)", (kind, at, message))

    def last(self, kind: str) -> Event | None:
        row = self._db.execute("SELECT at, message FROM events WHERE kind = ?", (kind,)).fetchone()
        return Event(*row) if row else None


def _columns_match(db: sqlite3.Connection) -> None:
    """A table from another schema (not ours, or an old one) counts as unreadable."""
    for table, width in (("uploads", 9), ("holds", 6), ("attempts", 5), ("events", 3)):
        columns = db.execute(f"PRAGMA table_info({table})").fetchall()
        if len(columns) != width:
            raise sqlite3.DatabaseError(f"table {table} has {len(columns)} columns, not {width}")


def _move_aside(path: Path, err: sqlite3.DatabaseError) -> Path:
    """Rename a store SQLite cannot read (and its WAL and shared memory) out of the way."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            part.rename(target.with_name(target.name + suffix))
    log.warning(
        "sync: the upload store %s cannot be read (%s); moved aside to %s, starting afresh: "
        "files not confirmed are uploaded again",
        path, err, target.name,
    )  # fmt: skip
    return target
