"""What the sync agent remembers across reboots: `<state>/uploads.sqlite3`.

One row per file of a session: its tus upload URL, its length and sha256, the offset the
server last acknowledged, and whether the server has confirmed it whole. The URL is written
the moment the server creates the upload, before any byte is sent, so a power cut never leads
to a second upload of the same file; after a reboot the agent asks the server (HEAD) for the
real offset and goes on from there. SQLite in WAL mode lets `booth status` read while the agent
writes. Creating and confirming an upload are committed with `synchronous=FULL`, so they survive
a power cut; the offset after each chunk is not fsynced (an fsync per chunk costs more than the
chunk on an SD card, and a lost offset costs nothing: HEAD tells the real one).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

STORE_FILE = "uploads.sqlite3"
UPLOADING = "uploading"
CONFIRMED = "confirmed"

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
    confirmed_at: when it was confirmed (Unix seconds), else None.
    """

    session_id: str
    name: str
    url: str
    length: int
    sha256: str
    offset: int
    status: str
    confirmed_at: float | None

    @property
    def confirmed(self) -> bool:
        return self.status == CONFIRMED


@dataclass(frozen=True)
class Event:
    """The last success or error: when (Unix seconds) and what, in words for staff."""

    at: float
    message: str


class UploadStore:
    """The upload records in `state_dir`. `read_only` opens an existing store for status."""

    def __init__(self, state_dir: Path, read_only: bool = False) -> None:
        path = Path(state_dir) / STORE_FILE
        if read_only:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=5.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def records(self) -> dict[tuple[str, str], UploadRecord]:
        """Every record, by (session_id, file name)."""
        rows = self._db.execute(
            "SELECT session_id, name, url, length, sha256, offset, status, confirmed_at "
            "FROM uploads"
        ).fetchall()
        return {(r[0], r[1]): UploadRecord(*r) for r in rows}

    def get(self, session_id: str, name: str) -> UploadRecord | None:
        return self.records_of(session_id).get(name)

    def records_of(self, session_id: str) -> dict[str, UploadRecord]:
        rows = self._db.execute(
            "SELECT session_id, name, url, length, sha256, offset, status, confirmed_at "
            "FROM uploads WHERE session_id = ?",
            (session_id,),
        ).fetchall()
        return {r[1]: UploadRecord(*r) for r in rows}

    def created(self, session_id: str, name: str, url: str, length: int, sha256: str) -> None:
        """The server created an upload for this file at `url` (replaces an older record)."""
        self._durably(
            "INSERT OR REPLACE INTO uploads VALUES (?, ?, ?, ?, ?, 0, ?, NULL)",
            (session_id, name, url, length, sha256, UPLOADING),
        )

    def acknowledged(self, session_id: str, name: str, offset: int) -> None:
        """The server holds the first `offset` bytes."""
        self._db.execute(
            "UPDATE uploads SET offset = ? WHERE session_id = ? AND name = ?",
            (offset, session_id, name),
        )

    def confirm(self, session_id: str, name: str, at: float) -> None:
        """The server holds the whole file, verified."""
        self._durably(
            "UPDATE uploads SET offset = length, status = ?, confirmed_at = ? "
            "WHERE session_id = ? AND name = ?",
            (CONFIRMED, at, session_id, name),
        )

    def forget(self, session_id: str, name: str | None = None) -> None:
        """Drop the record of one file (the server lost it), or of a whole session (deleted)."""
        if name is None:
            self._db.execute("DELETE FROM uploads WHERE session_id = ?", (session_id,))
        else:
            self._db.execute(
                "DELETE FROM uploads WHERE session_id = ? AND name = ?", (session_id, name)
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
