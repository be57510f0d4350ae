"""The spool: one directory per candidate session, holding its kept takes and a manifest.

``<root>/<session_id>/`` holds one MP4 per kept take (``<question_id>-take<k>.mp4``), the
hidden crash-safe directories of takes being recorded or reviewed (``.take-<qid>-<k>/``), and
``manifest.json``. The manifest is rewritten atomically after every change, so the sync agent,
which shares only this directory with the kiosk, always reads a whole one. A session whose
manifest still says ``recording`` was cut off by a crash; ``Spool.recover`` closes it.

With a ``Sealing`` (booth.privacy.seal) that encrypts, a session is in clear only while it
runs: ``finish`` (and ``recover``, for a session a crash cut off) seals it, and what stays in
the spool is its encrypted files and a clear manifest naming nobody. Its plaintext manifest
never says it is finished (``sealing`` until the seal is committed), so the sync agent never
uploads a plaintext session. With ``[paths] scratch`` running sessions live there instead of
in the spool. Every file and folder is its user's only (0600/0700).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from booth.config.reader import DamagedFile, read_json_object
from booth.media.recover import recover_take, sent_without_keeping
from booth.media.take_result import TakeResult
from booth.media.takefiles import TakeFiles, write_json_atomic
from booth.privacy.files import private_dir
from booth.privacy.seal import PLAIN, STAGING, Sealing, finish_interrupted, is_sealed, seal_session

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
RECORDING = "recording"
SEALING = "sealing"
"""A finished session being sealed: its plaintext manifest's status, with ``ended_as``."""
FINAL_STATUSES = ("complete", "ended-early", "declined")
TAKE_DIR_PREFIX = ".take-"
DELETING_PREFIX = ".deleting-"
"""A confirmed session being deleted: hidden first (the spool skips dot-names), so that a
half-deleted session is never seen."""
UNLIMITED_TAKES_BUDGET = 3
"""Takes a question with unlimited takes (max_takes 0) is budgeted for by the disk guard."""
AAC_BPS_PER_CHANNEL = 64_000

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def new_session_id(started: datetime) -> str:
    """A sortable, unique id that says nothing about the candidate: UTC start + 8 hex digits."""
    return f"{started.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class SessionEntry:
    """A session directory as found in the spool; ``manifest`` is None when unreadable."""

    dir: Path
    manifest: dict | None


@dataclass
class RecoveredSession:
    """What ``Spool.recover`` did to one session cut off by a crash."""

    dir: Path
    session_id: str
    takes: list[TakeResult] = field(default_factory=list)
    unusable: list[Path] = field(default_factory=list)
    # (question_id, take) of takes deleted because the candidate had not kept them yet
    not_kept: list[tuple[str, int]] = field(default_factory=list)


class SpoolSession:
    """One candidate session's directory and manifest. Methods are safe to call from a
    muxing thread and the flow thread alike."""

    def __init__(
        self,
        dir: Path,
        manifest: dict,
        sealing: Sealing | None = None,
        spool_root: Path | None = None,
    ) -> None:
        self.dir = dir
        self._manifest = manifest
        self._lock = threading.RLock()
        self.sealing = sealing
        self.spool_root = spool_root if spool_root is not None else dir.parent

    @classmethod
    def load(cls, dir: Path) -> SpoolSession:
        """Reopen an existing session directory (raises OSError, or ValueError when the
        manifest is damaged: see `check_manifest`)."""
        path = dir / MANIFEST
        manifest = read_json_object(path)
        check_manifest(path, manifest)
        return cls(dir, manifest)

    @property
    def manifest(self) -> dict:
        """A copy of the manifest as last written."""
        with self._lock:
            return json.loads(json.dumps(self._manifest))

    @property
    def session_id(self) -> str:
        return self._manifest["session_id"]

    def take_path(self, question_id: str, take: int) -> Path:
        """Where the MP4 of a take goes: ``<dir>/<question_id>-take<k>.mp4``."""
        return self.dir / f"{_checked_question_id(question_id)}-take{int(take)}.mp4"

    def take_dir(self, question_id: str, take: int) -> Path:
        """The hidden directory of a take's crash-safe files."""
        return self.dir / f"{TAKE_DIR_PREFIX}{_checked_question_id(question_id)}-{int(take)}"

    def new_take(self, question_id: str, take: int, **take_json_fields: object) -> TakeFiles:
        """Create the hidden directory for a take about to be recorded, with its take.json
        (``width``, ``height``, ``fps``, ``sample_rate``, ``channels``, ``started``...)."""
        fields = {"question_id": question_id, "take": int(take), **take_json_fields}
        return TakeFiles(self.take_dir(question_id, take)).create(**fields)

    def mux_take(self, question_id: str, take: int, max_seconds: float | None = None) -> TakeResult:
        """Mux a recorded take's files to its MP4 (see ``mux_take``); keeps the raw files until
        the take is kept or discarded, so a crash during review still recovers it."""
        files = TakeFiles(self.take_dir(question_id, take))
        from booth.media.mux import mux_take  # PyAV and numpy only where takes are muxed

        return mux_take(files, self.take_path(question_id, take), max_seconds=max_seconds)

    def keep_take(self, question_id: str, take: int, result: TakeResult) -> None:
        """Record ``result`` as the kept take of ``question_id``; earlier takes of that
        question (MP4, manifest entry and raw files) are deleted at once."""
        if result.path.parent.resolve() != self.dir.resolve():
            raise ValueError(f"{result.path} is not in session directory {self.dir}")
        entry = {
            "question_id": question_id,
            "take": int(take),
            "file": result.path.name,
            "bytes": result.bytes,
            "sha256": result.sha256,
            "duration_s": result.duration_s,
            "recovered": result.recovered,
        }
        with self._lock:
            takes = self._manifest["takes"]
            replaced = [t for t in takes if t["question_id"] == question_id]
            self._manifest["takes"] = [t for t in takes if t["question_id"] != question_id]
            self._manifest["takes"].append(entry)
            self._save()
            for old in replaced:
                if old["file"] != entry["file"]:
                    (self.dir / old["file"]).unlink(missing_ok=True)
            for raw in self._take_dirs(question_id):
                if raw[1] <= take:
                    shutil.rmtree(raw[2], ignore_errors=True)

    def discard_take(self, question_id: str, take: int) -> None:
        """Delete a take the candidate chose to retake: its MP4 and its raw files."""
        with self._lock:
            before = self._manifest["takes"]
            after = [
                t for t in before if not (t["question_id"] == question_id and t["take"] == take)
            ]
            if len(after) != len(before):
                self._manifest["takes"] = after
                self._save()
            self.take_path(question_id, take).unlink(missing_ok=True)
            shutil.rmtree(self.take_dir(question_id, take), ignore_errors=True)

    def finish(self, status: str, finished: datetime) -> None:
        """Close the session as ``complete``, ``ended-early`` or ``declined`` at ``finished``.

        Takes never kept (recorded, then the session ended during review) are deleted: only
        what the candidate kept leaves the booth.
        """
        if status not in FINAL_STATUSES:
            raise ValueError(f"session status {status!r} is not one of {FINAL_STATUSES}")
        with self._lock:
            self._manifest["finished"] = _iso(finished)
            self._close(status)
            self._remove_unkept()
            self._seal()

    def _close(self, status: str) -> None:
        """Write the final status; a session about to be sealed says ``sealing`` instead, so
        nobody takes its plaintext for a finished session."""
        if self.sealing is not None and self.sealing.moves:
            self._manifest["status"] = SEALING
            self._manifest["ended_as"] = status
        else:
            self._manifest["status"] = status
        self._save()

    def _seal(self) -> None:
        """Seal a finished session (see booth.privacy.seal); from then on this object is the
        sealed session in the spool."""
        if self.sealing is None or not self.sealing.moves:
            return
        manifest = dict(self._manifest)
        manifest["status"] = manifest.pop("ended_as", None) or manifest["status"]
        self.dir = seal_session(self.dir, manifest, self.spool_root, self.sealing.recipients)
        self._manifest = SpoolSession.load(self.dir)._manifest
        log.info("spool: sealed session %s", self.dir.name)

    def _save(self) -> None:
        write_json_atomic(self.dir / MANIFEST, self._manifest)

    def _take_dirs(self, question_id: str | None = None) -> list[tuple[str, int, Path]]:
        """(question_id, take, path) of the hidden take directories, oldest take first."""
        found = []
        for path in self.dir.glob(f"{TAKE_DIR_PREFIX}*"):
            meta = TakeFiles(path).read_meta()
            qid, _, number = path.name[len(TAKE_DIR_PREFIX) :].rpartition("-")
            # take.json is trusted only where it is what the recorder wrote; the folder's own
            # name says the same (a damaged record used to stop the kiosk's start).
            if isinstance(meta.get("question_id"), str) and _SAFE_NAME.match(meta["question_id"]):
                qid = meta["question_id"]
            if type(meta.get("take")) is int and 0 < meta["take"] < 10_000:
                number = str(meta["take"])
            if not _SAFE_NAME.match(qid) or not number.isascii() or not number.isdigit():
                log.warning("spool: %s is not a take folder the booth made: left alone", path)
                continue
            take = int(number)
            if question_id is None or qid == question_id:
                found.append((qid, take, path))
        return sorted(found, key=lambda t: (t[0], t[1]))

    def _remove_unkept(self) -> None:
        kept = {t["file"] for t in self._manifest["takes"]}
        for path in self.dir.iterdir():
            if path.name.startswith(TAKE_DIR_PREFIX):
                shutil.rmtree(path, ignore_errors=True)
            elif path.suffix in (".mp4", ".tmp") and path.name not in kept:
                path.unlink(missing_ok=True)

    def _recover(self, now: datetime) -> RecoveredSession:
        report = RecoveredSession(self.dir, self.session_id)
        with self._lock:
            for qid, take, path in self._take_dirs():
                entries = [t for t in self._manifest["takes"] if t["question_id"] == qid]
                if any(t["take"] == take for t in entries) and self._file_ok(entries):
                    continue  # kept before the crash; only its raw files were left
                if any(t["take"] > take for t in entries):
                    continue  # a later take of this question was kept: this one was not
                if not sent_without_keeping(path):
                    # Waiting for review (or cut off mid-take) on a question where only a take
                    # the candidate keeps is sent: deleted below, and said so in the manifest.
                    self._manifest.setdefault("not_kept", []).append(
                        {"question_id": qid, "take": take, "reason": "not kept by the candidate"}
                    )
                    report.not_kept.append((qid, take))
                    continue
                result = recover_take(path, self.take_path(qid, take))
                if result is None:
                    report.unusable.append(path)
                    continue
                self.keep_take(qid, take, result)
                report.takes.append(result)
            self._manifest["finished"] = _iso(now)
            self._close("ended-early")
            # Leave unusable raw files for staff to look at; everything else not kept goes.
            # A sealed session keeps nothing in clear: there, they go too.
            sealed = self.sealing is not None and self.sealing.encrypts
            kept = {t["file"] for t in self._manifest["takes"]}
            for path in self.dir.iterdir():
                if path.name.startswith(TAKE_DIR_PREFIX) and (
                    sealed or path not in report.unusable
                ):
                    shutil.rmtree(path, ignore_errors=True)
                elif path.suffix in (".mp4", ".tmp") and path.name not in kept:
                    path.unlink(missing_ok=True)
            if sealed and report.unusable:
                log.warning(
                    "spool: %s: deleted %d take(s) with nothing playable (nothing stays in clear)",
                    self.dir.name,
                    len(report.unusable),
                )
                report.unusable.clear()
        return report

    def _file_ok(self, entries: list[dict]) -> bool:
        return all((self.dir / t["file"]).exists() for t in entries)


class Spool:
    """The spool directory ``root`` (``/var/lib/booth/spool`` on a booth).

    ``sealing`` says how finished sessions are kept (encrypted or in clear, where running
    sessions live); None keeps them in clear in the spool, as without ``[privacy]``.
    """

    def __init__(self, root: Path, sealing: Sealing | None = None) -> None:
        self.root = Path(root)
        self.sealing = sealing

    @property
    def running_root(self) -> Path:
        """Where a session starting now goes: the scratch directory, else (also when it has no
        room for one now) the spool."""
        sealing = self.sealing
        if sealing is None or sealing.scratch is None:
            return self.root
        if sealing.room is not None and not sealing.room():
            return self.root
        return sealing.scratch

    @property
    def scratch_root(self) -> Path:
        """Where running sessions may be: the scratch directory, else the spool."""
        scratch = self.sealing.scratch if self.sealing is not None else None
        return scratch if scratch is not None else self.root

    def places_of(self, session_id: str) -> list[Path]:
        """Everywhere the booth may hold a session: its directory in the spool and among the
        running sessions, and its hidden forms (being sealed, its plaintext while sealing,
        being deleted)."""
        places = [self.root / session_id, self.scratch_root / session_id]
        places += [self.root / f"{p}{session_id}" for p in (STAGING, PLAIN, DELETING_PREFIX)]
        return list(dict.fromkeys(places))

    def erase(self, session_id: str) -> list[Path]:
        """Remove every place of the session (`places_of`); returns those that existed."""
        removed = [path for path in self.places_of(session_id) if path.exists()]
        for path in removed:
            shutil.rmtree(path)
        return removed

    def open_session(
        self,
        booth_id: str,
        interview_id: str,
        candidate_ref: str,
        session_id: str | None = None,
        started: datetime | None = None,
        resumes: str | None = None,
    ) -> SpoolSession:
        """Create a session directory and its manifest (status ``recording``).

        ``started`` is the session's start (the injected clock's time; now when omitted).
        ``resumes``: the earlier session of the same invitation that this one continues (it
        ended early); the manifest says so, and the recruiter joins the two by it.
        """
        started = _aware(started or datetime.now(UTC))
        session_id = session_id or new_session_id(started)
        if not _SAFE_NAME.match(session_id):
            raise ValueError(f"session id {session_id!r} is not a plain file name")
        running_root = self.running_root
        directory = running_root / session_id
        private_dir(self.root)
        private_dir(running_root)
        directory.mkdir(mode=0o700)
        os.chmod(directory, 0o700)
        if self.sealing is not None and self.sealing.refs is not None:
            self.sealing.refs.add(session_id, candidate_ref)
        manifest: dict[str, Any] = {
            "booth_id": booth_id,
            "interview_id": interview_id,
            "candidate_ref": candidate_ref,
            "session_id": session_id,
            "started": _iso(started),
            "finished": None,
            "status": RECORDING,
            "takes": [],
        }
        if resumes is not None:
            manifest["resumes"] = resumes
        session = SpoolSession(directory, manifest, self.sealing, self.root)
        session._save()
        return session

    def sessions(self) -> list[SessionEntry]:
        """Every session directory, oldest first, with its manifest (None if unreadable);
        running sessions in the scratch directory too."""
        roots = [r for r in dict.fromkeys((self.root, self.scratch_root)) if r.is_dir()]
        found = []
        for path in sorted((p for r in roots for p in r.iterdir()), key=lambda p: p.name):
            if not path.is_dir() or path.name.startswith("."):
                continue
            try:
                manifest = SpoolSession.load(path).manifest
            except (OSError, ValueError) as error:
                log.warning("spool: %s has no readable manifest: %s", path, error)
                manifest = None
            found.append(SessionEntry(path, manifest))
        return found

    def recover(self, now: datetime) -> list[RecoveredSession]:
        """Close every session a crash left ``recording``: each unfinished take becomes an MP4
        marked recovered (the latest take of a question wins) and the session ends as
        ``ended-early`` at ``now``. Finished sessions are never touched, except that with a
        ``Sealing`` every finished session is sealed: those a crash cut off mid-seal, and
        those finished in clear before recipients were set. A seal that fails (a full disk)
        leaves the session in clear, unfinished for the sync agent, until the next start or
        the next session's end (`seal_waiting`)."""
        reports = []
        if self.sealing is not None and self.sealing.moves:
            finish_interrupted(self.root, self.sealing.scratch)
        for entry in self.sessions():
            if entry.manifest is None:
                continue
            session = SpoolSession(entry.dir, entry.manifest, self.sealing, self.root)
            report = None
            if entry.manifest.get("status") == RECORDING:
                report = session._recover(now)
                reports.append(report)
                log.info("spool: recovered session %s", entry.dir.name)
            elif not self._needs_seal(entry.dir, entry.manifest):
                continue
            try:
                session._seal()
            except (OSError, ValueError) as error:
                log.error("spool: cannot seal %s: %s", entry.dir, error)
            if report is not None:
                report.dir = session.dir
        return reports

    def seal_waiting(self) -> list[str]:
        """Seal the finished sessions a failed seal left in clear (status ``sealing``: a full
        disk, no age command); returns the ids sealed. Run on the worker that finishes
        sessions, after a session's end sealed, so that none is being sealed meanwhile and a
        full disk is not tried again at every end."""
        if self.sealing is None or not self.sealing.moves:
            return []
        done = []
        for entry in self.sessions():
            if entry.manifest is None or entry.manifest.get("status") != SEALING:
                continue
            try:
                SpoolSession(entry.dir, entry.manifest, self.sealing, self.root)._seal()
            except (OSError, ValueError) as error:
                log.error("spool: cannot seal %s yet: %s", entry.dir, error)
                continue
            done.append(entry.dir.name)
        return done

    def _needs_seal(self, dir: Path, manifest: dict) -> bool:
        if self.sealing is None or is_sealed(manifest):
            return False
        if manifest.get("status") == SEALING:
            return True
        finished = manifest.get("status") in FINAL_STATUSES
        in_scratch = dir.parent != self.root
        return finished and (self.sealing.encrypts or in_scratch)


def disk_free_bytes(path: Path) -> int:
    """Bytes free for this user on the file system holding ``path`` (or its nearest parent)."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def worst_case_bytes(
    questions: Iterable[tuple[float, int]],
    bitrate_bps: int,
    sample_rate: int = 48_000,
    channels: int = 1,
    margin_bytes: int = 0,
    sealed: bool = False,
) -> int:
    """The most disk one session can need: the disk guard's budget.

    ``questions`` holds ``(answer_seconds, max_takes)`` per question (accommodations already
    added); ``max_takes`` 0 means unlimited and counts as ``UNLIMITED_TAKES_BUDGET`` takes.
    Every take counts in full as an MP4 (video at ``bitrate_bps`` plus AAC), although earlier
    takes are deleted when a later one is kept, plus the raw files (video and 16-bit PCM at
    ``sample_rate`` × ``channels``) of the longest take, which exist beside its MP4 until it
    is kept, plus ``margin_bytes``. A ``sealed`` session (``[privacy] recipients``) needs
    room for the encrypted copy of each question's kept take too: sealing writes it before the
    plaintext is deleted.
    """
    mp4_per_s = (bitrate_bps + AAC_BPS_PER_CHANNEL * channels) / 8
    raw_per_s = bitrate_bps / 8 + sample_rate * channels * 2
    total_s = 0.0
    longest_s = 0.0
    for answer_seconds, max_takes in questions:
        takes = max_takes if max_takes > 0 else UNLIMITED_TAKES_BUDGET
        total_s += answer_seconds * (takes + sealed)
        longest_s = max(longest_s, answer_seconds)
    return int(total_s * mp4_per_s + longest_s * raw_per_s) + int(margin_bytes)


def _checked_question_id(question_id: str) -> str:
    if not _SAFE_NAME.match(question_id):
        raise ValueError(f"question id {question_id!r} cannot be used in a file name")
    return question_id


def _aware(moment: datetime) -> datetime:
    """A naive datetime is taken as local time, as datetime.astimezone() does."""
    return moment if moment.tzinfo is not None else moment.astimezone()


def _iso(moment: datetime) -> str:
    return _aware(moment).isoformat(timespec="seconds")


def check_manifest(path: Path, manifest: dict) -> None:
    """Raise DamagedFile unless `manifest` has the shape every reader of the spool relies on:
    a string session_id and status, and takes (or, sealed, files) as lists of objects whose
    "file" is a plain name. A manifest without session_id used to raise KeyError at kiosk
    start."""
    for key in ("session_id", "status"):
        if not isinstance(manifest.get(key), str):
            raise DamagedFile(path, f'has no text "{key}"')
    for key in ("takes", "files"):
        entries = manifest.get(key, [])
        if not isinstance(entries, list):
            raise DamagedFile(path, f'"{key}" is not a list')
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
                raise DamagedFile(path, f'an entry of "{key}" has no file name')
            if Path(entry["file"]).name != entry["file"] or entry["file"] in ("", ".", ".."):
                raise DamagedFile(path, f'"{key}" names a file outside the session')
            if key == "takes" and not isinstance(entry.get("question_id"), str):
                raise DamagedFile(path, 'an entry of "takes" has no question_id')
