"""Reading the spool for upload: the finished sessions, and manifests that cannot be read.

The kiosk writes each manifest atomically, so an unreadable one means the disk damaged it (a
power cut on a worn SD card). Such a session must not vanish from the queue while `booth sync
--once` reports everything confirmed: the agent rebuilds its manifest from what is left (the
take files beside it, and the identity fields still legible in the damaged text), keeps the
damaged original beside it as `manifest.json.corrupt-<UTC time>`, and uploads the session. A
manifest that cannot be rebuilt (the interview or the candidate reference is lost, so the
recruiter could not tell whose answers these are) leaves the session where it is, named in
`booth status`, and makes `booth sync --once` exit non-zero until staff deal with it.

A sealed session (booth.privacy.seal) keeps who and what in `manifest.json.age`, which the disk
did not damage if it is there: its clear manifest is rebuilt from the encrypted files beside it
(name, size, sha256 of each) and the booth and interview ids still legible, and the
organisation's identity opens the session as ever.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from booth.config.reader import move_aside, parse_json
from booth.media.spool import FINAL_STATUSES, MANIFEST, SEALING, TAKE_DIR_PREFIX, Spool
from booth.media.takefiles import write_json_atomic
from booth.privacy.age import SUFFIX
from booth.privacy.seal import SEALED_MANIFEST, clear_manifest
from booth.sync.queue import FinishedSession, finished_session, is_finished

log = logging.getLogger(__name__)

CORRUPT_SUFFIX = ".corrupt-"
"""The damaged manifest is kept for staff as `manifest.json.corrupt-<UTC time>`."""
REBUILT_STATUS = "ended-early"
"""A rebuilt session cannot know whether the candidate finished: it says ended early."""
_TAKE_FILE = re.compile(
    r"^(?P<question>[A-Za-z0-9][A-Za-z0-9_.-]{0,63})-take(?P<take>\d{1,4})\.mp4$"
)
_IDENTITY = ("booth_id", "interview_id", "candidate_ref", "session_id", "started", "finished")


@dataclass
class SpoolScan:
    """The spool as the uploader sees it.

    finished: sessions the kiosk closed, oldest first. still_open: sessions being recorded.
    sealing: ended sessions not sealed yet (being sealed, or waiting after a seal that failed),
    in clear and not uploaded. unreadable: session directories whose manifest cannot be read
    (nor rebuilt, if asked).
    """

    finished: list[FinishedSession] = field(default_factory=list)
    still_open: int = 0
    sealing: int = 0
    unreadable: list[Path] = field(default_factory=list)


def scan_spool(spool: Spool) -> SpoolScan:
    """The finished sessions in the spool, how many are still open, and which are unreadable.

    Reads only: `rebuild_manifest` is the agent's to call."""
    scan = SpoolScan()
    for entry in spool.sessions():
        if entry.manifest is None:
            scan.unreadable.append(entry.dir)
            continue
        if entry.manifest.get("status") == SEALING:
            scan.sealing += 1
            continue
        if not is_finished(entry.manifest):
            scan.still_open += 1
            continue
        try:
            raw = (entry.dir / MANIFEST).read_bytes()
            sha256 = hashlib.sha256(raw).hexdigest()
            scan.finished.append(finished_session(entry.dir, entry.manifest, len(raw), sha256))
        except (OSError, KeyError, TypeError, ValueError) as err:
            log.warning("sync: %s: manifest not usable for upload: %s", entry.dir, err)
            scan.unreadable.append(entry.dir)
    return scan


def rebuild_manifest(session_dir: Path) -> dict[str, Any] | None:
    """Write a new manifest for `session_dir` from its take files and whatever identity the
    damaged manifest still shows; returns it, or None when that is not possible (the interview
    id or the candidate reference cannot be read, or a take is still being recorded).

    The damaged manifest is kept as `manifest.json.corrupt-<UTC time>`. Each take's sha256 and
    size are those of its file now: whatever the disk did to a take before this point cannot be
    told.
    """
    path = session_dir / MANIFEST
    try:
        text = path.read_bytes().decode("utf-8", "replace") if path.exists() else ""
        names = sorted(p.name for p in session_dir.iterdir())
    except OSError as err:
        log.warning(
            "sync: %s: cannot read the session to rebuild its manifest: %s", session_dir, err
        )
        return None
    found = _legible_fields(text)
    if SEALED_MANIFEST in names:
        return _rebuild_sealed(session_dir, names, found)
    if not found.get("interview_id") or not found.get("candidate_ref"):
        return None
    if any(name.startswith(TAKE_DIR_PREFIX) for name in names) and found.get("status") not in (
        FINAL_STATUSES
    ):
        return None  # raw takes of a session that may still be open: the kiosk recovers those
    takes = []
    files = [session_dir / n for n in names if _TAKE_FILE.match(n)]
    for take_path in sorted(files, key=lambda p: (p.stat().st_mtime, p.name)):
        m = _TAKE_FILE.match(take_path.name)
        assert m is not None
        takes.append(
            {
                "question_id": m.group("question"),
                "take": int(m.group("take")),
                "file": take_path.name,
                "bytes": take_path.stat().st_size,
                "sha256": _sha256(take_path),
                "duration_s": None,
                "recovered": False,
            }
        )
    status = found.get("status")
    manifest = {
        "booth_id": found.get("booth_id", ""),
        "interview_id": found["interview_id"],
        "candidate_ref": found["candidate_ref"],
        "session_id": session_dir.name,
        "started": found.get("started"),
        "finished": found.get("finished"),
        "status": status if status in FINAL_STATUSES else REBUILT_STATUS,
        "takes": takes,
        "rebuilt": "from the take files: the original manifest could not be read",
    }
    _replace_damaged(session_dir, manifest, len(takes))
    return manifest


def _rebuild_sealed(session_dir: Path, names: list[str], found: dict[str, str]) -> dict[str, Any]:
    """The clear manifest of a sealed session: its encrypted takes (oldest first), then its
    encrypted manifest, each with its size and sha256 now."""
    takes = [session_dir / n for n in names if n.endswith(SUFFIX) and n != SEALED_MANIFEST]
    ordered = sorted(takes, key=lambda p: (p.stat().st_mtime, p.name))
    files = [
        {"file": p.name, "bytes": p.stat().st_size, "sha256": _sha256(p)}
        for p in [*ordered, session_dir / SEALED_MANIFEST]
    ]
    status = found.get("status")
    identity = {
        "booth_id": found.get("booth_id", ""),
        "session_id": session_dir.name,
        "interview_id": found.get("interview_id", ""),
        "status": status if status in FINAL_STATUSES else REBUILT_STATUS,
    }
    manifest = clear_manifest(identity, files)
    manifest["rebuilt"] = "from the encrypted files: the clear manifest could not be read"
    _replace_damaged(session_dir, manifest, len(takes))
    return manifest


def _replace_damaged(session_dir: Path, manifest: dict[str, Any], takes: int) -> None:
    """Move the damaged manifest aside (`manifest.json.corrupt-<UTC time>`, as every damaged
    file the booth owns) and write the rebuilt one."""
    path = session_dir / MANIFEST
    if path.exists():
        move_aside(
            path,
            "it could not be read",
            f"rebuilt from {takes} take file(s) and what could be read of it",
        )
    write_json_atomic(path, manifest)


def _legible_fields(text: str) -> dict[str, str]:
    """The manifest's top-level string fields that can still be read in damaged JSON."""
    try:
        whole = parse_json(text, Path(MANIFEST))
    except ValueError:  # DamagedFile: too deep, numbers too long, not JSON
        whole = None
    if isinstance(whole, dict):
        return {k: v for k, v in whole.items() if isinstance(v, str)}
    found = {}
    for key in (*_IDENTITY, "status"):
        m = re.search(rf'"{key}"\s*:\s*"((?:[^"\\\x00-\x1f]|\\.){{0,500}})"', text)
        if m:
            try:
                value = json.loads(f'"{m.group(1)}"')
            except ValueError:
                continue
            if isinstance(value, str) and "\ufffd" not in value:
                found[key] = value
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while piece := file.read(1 << 20):
            digest.update(piece)
    return digest.hexdigest()
