"""`booth takes list|recover|open|forget`: the recorded sessions, and the candidates' rights.

`open` runs on the organisation's computer (it needs the age identity, which never goes on a
booth); `forget` erases one candidate's sessions from the upload server (booth.sync.erasure)
and from this booth, and says what remains where the server could not erase.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from booth.cli.main import UserError, add_config_option, load_booth_settings
from booth.config.errors import ConfigError, one_line
from booth.config.settings import Settings
from booth.media.spool import RECORDING, Spool
from booth.privacy.files import private_dir
from booth.privacy.refs import RefIndex
from booth.privacy.seal import Sealing, is_sealed
from booth.state import InvitationStore, read_state
from booth.sync.erasure import ServerErasure


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "takes",
        help="list, recover, open (decrypt) or forget recorded sessions",
        description="Work with the recorded sessions in the spool.",
    )
    sub = parser.add_subparsers(dest="takes_command", metavar="COMMAND")
    sub.required = True
    listing = sub.add_parser(
        "list",
        help="sessions in the spool, their status and takes",
        description="List every session in the spool with its status and kept takes "
        "(for a sealed session: its encrypted files), and the takes recovery deleted because "
        "the candidate had not kept them.",
    )
    recover = sub.add_parser(
        "recover",
        help="turn takes cut off by a crash or power cut into MP4s",
        description=(
            "Turn every unfinished take into a playable MP4 (all but at most its last second), "
            "mark it recovered in the manifest and close its session as ended-early (a take "
            "the candidate had not kept, on a question that sends only kept takes, is deleted "
            "instead, and said so); with "
            "[privacy] recipients, seal it (and any finished session still in clear). Finished "
            "sessions are never otherwise touched. The kiosk does this by itself when it "
            "starts; refused while a kiosk is running."
        ),
    )
    forget = sub.add_parser(
        "forget",
        help="erase every trace of one candidate's sessions from this booth",
        description=(
            "Erase the sessions recorded for candidate reference REF from this booth: their "
            "spool folders, upload records and index entries, and first ask the upload server "
            '(deploy/receiver, [sync] proof = "receipt") to erase them there: their files, '
            "upload state and quarantined copies; it keeps an erasure record with no personal "
            "data. Prints what was removed here, what the server erased, and what remains "
            "where the server could not erase (a plain tus server, or one not reached: run "
            "this again). Refused while that candidate is recording."
        ),
    )
    forget.add_argument("ref", metavar="REF", help="the candidate reference, as in codes.csv")
    for p in (listing, recover, forget):
        add_config_option(p)
        p.add_argument(
            "--spool", metavar="DIR", type=Path, help="the spool (default: settings paths.spool)"
        )
        p.add_argument(
            "--state", metavar="DIR", type=Path, help="the state (default: settings paths.state)"
        )
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
    opener = sub.add_parser(
        "open",
        help="decrypt a received sealed session (on the organisation's computer)",
        description=(
            "Decrypt a sealed session folder as received from a booth: check every file's "
            "sha256, decrypt the manifest and the takes with the age identity, check each "
            "take against the manifest, and write the MP4s and manifest.json to OUT."
        ),
    )
    opener.add_argument("folder", metavar="DIR", type=Path, help="the received session folder")
    opener.add_argument(
        "--identity",
        "-i",
        metavar="FILE",
        type=Path,
        required=True,
        help="the age identity file (age-keygen's key.txt); never copy it to a booth",
    )
    opener.add_argument("--out", metavar="DIR", type=Path, required=True, help="where to write")
    opener.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.set_defaults(func=run_list)
    recover.set_defaults(func=run_recover)
    forget.set_defaults(func=run_forget)
    opener.set_defaults(func=run_open)


def _settings(config: str) -> Settings:
    return load_booth_settings(config)


def _state_dir(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.state or settings.paths.state)


def _spool(args: argparse.Namespace, settings: Settings) -> Spool:
    root = args.spool or settings.paths.spool
    if not root.is_dir():
        raise UserError(f"{root}: no such spool directory (give --spool DIR, or check paths.spool)")
    try:
        sealing = Sealing.for_settings(settings, _state_dir(args, settings))
    except ValueError as error:
        raise UserError(f"[privacy] recipients: {error}") from None
    return Spool(root, sealing)


def run_list(args: argparse.Namespace) -> int:
    spool = _spool(args, _settings(args.config))
    rows = []
    for entry in spool.sessions():
        manifest = entry.manifest or {}
        row = {
            "session": entry.dir.name,
            "status": manifest.get("status", "unreadable manifest"),
            "interview": manifest.get("interview_id"),
            "sealed": is_sealed(manifest),
            "started": manifest.get("started"),
            "takes": [
                {k: t.get(k) for k in ("question_id", "take", "file", "bytes", "recovered")}
                for t in manifest.get("takes", [])
            ],
            "not_kept": [
                {k: t.get(k) for k in ("question_id", "take")}
                for t in manifest.get("not_kept", [])
                if isinstance(t, dict)
            ],
        }
        if row["sealed"]:
            row["files"] = [
                {"file": f.get("file"), "bytes": f.get("bytes")} for f in manifest["files"]
            ]
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print(f"no sessions in {spool.root}")
    for row in rows:
        if row["sealed"]:
            what = f"sealed: {len(row['files'])} encrypted files"
        else:
            what = ", ".join(
                f"{t['question_id']} take {t['take']}" + (" (recovered)" if t["recovered"] else "")
                for t in row["takes"]
            )
            gone = [f"{t['question_id']} take {t['take']}" for t in row["not_kept"]]
            if gone:
                what += f"{'; ' * bool(what)}deleted at recovery, not kept: {', '.join(gone)}"
        print(f"{row['session']}  {row['status']:<11}  {row['interview']}  {what or 'no takes'}")
    return 0


def _refuse_another_users_spool(root: Path) -> None:
    """Files are private to whoever writes them: root writing in the booth user's spool would
    leave files the kiosk and the sync agent cannot read."""
    try:
        owner = root.stat().st_uid
    except OSError:
        return
    if os.geteuid() != owner:
        try:
            name = pwd.getpwuid(owner).pw_name
        except KeyError:
            name = str(owner)
        raise UserError(
            f"{root} belongs to user {name}: run this as that user "
            f"(sudo -u {name} booth takes ...), so what it writes stays readable by the "
            "kiosk and the sync agent"
        )


def _refuse_while_kiosk_runs(args: argparse.Namespace, settings: Settings) -> None:
    state = read_state(_state_dir(args, settings))
    if args.spool is None and state is not None and state.running:
        raise UserError(
            f"the kiosk is running (pid {state.pid}) and recovers takes itself when it starts; "
            "to recover by hand, stop it first: systemctl stop booth-kiosk"
        )


def run_recover(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    spool = _spool(args, settings)
    _refuse_while_kiosk_runs(args, settings)
    _refuse_another_users_spool(spool.root)
    reports = spool.recover(datetime.now().astimezone())
    result: list[dict[str, Any]] = [
        {
            "session": r.session_id,
            "recovered": [
                {"file": t.path.name, "duration_s": round(t.duration_s, 2)} for t in r.takes
            ],
            "unusable": [str(p) for p in r.unusable],
            "not_kept": [{"question_id": q, "take": t} for q, t in r.not_kept],
        }
        for r in reports
    ]
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    elif not result:
        print(f"nothing to recover in {spool.root}")
    else:
        for r in result:
            files = ", ".join(f"{t['file']} ({t['duration_s']} s)" for t in r["recovered"])
            print(f"{r['session']}: closed as ended-early; recovered {files or 'no takes'}")
            for path in r["unusable"]:
                print(f"  left as it was (nothing playable): {path}")
            for t in r["not_kept"]:
                print(
                    f"  deleted {t['question_id']} take {t['take']}: the candidate had not kept "
                    "it, and this question sends only kept takes"
                )
    return 0


# ------------------------------------------------------------------------------ open
def run_open(args: argparse.Namespace) -> int:
    from booth.privacy.age import load_identities
    from booth.privacy.opening import OpenError, open_sealed

    try:
        identities = load_identities(args.identity)
    except (OSError, ValueError) as error:
        raise UserError(f"--identity: {error}") from None
    try:
        opened = open_sealed(args.folder, identities, args.out)
    except (OpenError, OSError, ValueError) as error:
        raise UserError(str(error), exit_code=1) from None
    m = opened.manifest
    if args.json:
        print(
            json.dumps(
                {
                    "session": m.get("session_id"),
                    "candidate_ref": m.get("candidate_ref"),
                    "status": m.get("status"),
                    "out": str(opened.out),
                    "takes": [str(p) for p in opened.takes],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        # What a booth wrote, on the organisation's own terminal: no escape is obeyed.
        shown = ", ".join(
            one_line(str(m.get(key))) for key in ("candidate_ref", "interview_id", "status")
        )
        print(
            f"{one_line(str(m.get('session_id')))}: {shown}; {len(opened.takes)} "
            f"take{'s' * (len(opened.takes) != 1)} checked and written to {opened.out}"
        )
    return 0


# ---------------------------------------------------------------------------- forget
@dataclass
class Forgotten:
    """One erased session: where it was, and what the server has of it."""

    session: str
    status: str | None
    removed: list[str] = field(default_factory=list)
    uploaded: str = "no"  # "no", "partly", "yes", or "yes, deleted from the booth after upload"
    upload_urls: list[str] = field(default_factory=list)
    server_erased: list[str] = field(default_factory=list)
    server_record: str | None = None
    server_problem: str | None = None  # why the server did not erase it (None: it did)


Eraser = Callable[[list[str]], list[ServerErasure]]


def forget(ref: str, spool: Spool, state_dir: Path, erase: Eraser | None = None) -> list[Forgotten]:
    """Erase `ref`'s sessions from the booth (see `booth takes forget --help`), and first,
    with `erase` (booth.sync.erasure), from the server. A session the server could not be
    asked to erase keeps its index entry, so that `forget REF` again finds it."""
    from booth.sync.store import STORE_FILE, UploadStore

    refs = RefIndex(state_dir)
    by_index = refs.sessions_of(ref) if refs.key_path.exists() else []
    entries = {e.dir.name: e for e in spool.sessions()}
    in_clear = [sid for sid, e in entries.items() if _names(e.manifest, ref, refs)]
    session_ids = list(dict.fromkeys(by_index + in_clear))
    store = UploadStore(state_dir) if (state_dir / STORE_FILE).exists() else None
    server = {e.session: e for e in (erase(session_ids) if erase is not None else [])}
    done = []
    try:
        for sid in session_ids:
            entry = entries.get(sid)
            manifest = entry.manifest if entry is not None and entry.manifest else {}
            item = Forgotten(sid, manifest.get("status"))
            records = store.records_of(sid) if store is not None else {}
            if records:
                confirmed = [r for r in records.values() if r.confirmed]
                expected = len(manifest.get("files", manifest.get("takes", []))) + 1
                item.uploaded = "yes" if len(confirmed) >= expected else "partly"
                item.upload_urls = sorted(r.url for r in records.values())
            elif entry is None:
                # Only the sync agent deletes a session, and only after the server confirmed it.
                item.uploaded = "yes, deleted from the booth after upload"
            item.removed += [str(path) for path in spool.erase(sid)]
            if store is not None and records:
                store.forget(sid)
                item.removed.append(f"upload records of {sid}")
            erased = server.get(sid)
            if erased is not None:
                item.server_erased = erased.erased
                item.server_record = erased.record
                item.server_problem = erased.problem
            # Kept so that `forget REF` again, when the server answers, finds the session.
            unreached = erased is not None and erased.retry
            if not unreached and refs.remove(sid):
                item.removed.append(f"index entry of {sid}")
            done.append(item)
    finally:
        if store is not None:
            store.close()
    return done


def _names(manifest: dict | None, ref: str, refs: RefIndex) -> bool:
    """Whether a manifest in clear (a running session's, or any without recipients) is ref's:
    it names ref, or holds ref sealed."""
    return manifest is not None and refs.names(str(manifest.get("candidate_ref", "")), ref)


def run_forget(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    root = args.spool or settings.paths.spool
    state_dir = _state_dir(args, settings)
    spool = _spool(args, settings) if root.is_dir() else Spool(root)
    state = read_state(state_dir)
    if state is not None and state.running:
        # It may be recording this candidate, and it keeps the invitation records in memory
        # (it would write this candidate's back).
        recording = [
            e.dir.name
            for e in spool.sessions()
            if e.manifest is not None
            and _names(e.manifest, args.ref, RefIndex(state_dir))
            and e.manifest.get("status") == RECORDING
        ]
        now = f"; session {recording[0]} of this candidate is being recorded now" * bool(recording)
        raise UserError(
            f"the kiosk is running (pid {state.pid}){now}: stop it first "
            "(sudo systemctl stop booth-kiosk), run booth takes forget, then start it again"
        )
    if root.is_dir():
        _refuse_another_users_spool(root)
    private_dir(state_dir)
    result = forget(args.ref, spool, state_dir, _eraser(settings))
    invitations = InvitationStore(state_dir).forget(args.ref)
    if args.json:
        print(
            json.dumps(
                {"sessions": [asdict(r) for r in result], "invitation_records": invitations},
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    if not result:
        print("no session of this candidate on this booth")
    for r in result:
        print(f"{r.session} ({r.status or 'gone'}): removed {', '.join(r.removed) or 'nothing'}")
        if r.server_problem is None and r.server_record is not None:
            print(
                f"  the server erased: {', '.join(r.server_erased) or 'nothing (it held none)'}"
                f"; its record (no personal data): {r.server_record}"
            )
        elif r.uploaded != "no" or r.server_problem is not None:
            print(f"  uploaded: {r.uploaded}; NOT erased on the server: {r.server_problem}")
            print("  erase it on the server too (or run this again when the server answers)")
            for url in r.upload_urls:
                print(f"    {url}")
    if invitations:
        print(
            "removed the record of this candidate's invitation in "
            + ", ".join(invitations)
            + ": it counts as unused again (booth interviews codes to withdraw it)"
        )
    uploaded = [r.session for r in result if r.uploaded != "no" and r.server_problem is not None]
    if uploaded:
        print("still on the server: " + ", ".join(uploaded))
    if any(r.server_record for r in result):
        print(
            "copies the recruiters' systems already took from the server are theirs to erase "
            "(README: Erasure)"
        )
    return 0


def _eraser(settings: Settings) -> Eraser | None:
    """Erasure on the server this booth uploads to (None: the [sync] settings are unusable,
    and forget says so for every session)."""
    from booth.sync.config import sync_settings
    from booth.sync.erasure import erase_on_server

    try:
        sync = sync_settings(settings)
    except ConfigError as err:
        problem = f"not asked: the [sync] settings have a problem ({one_line(str(err))})"
        return lambda ids: [ServerErasure(s, problem=problem) for s in ids]
    return lambda ids: erase_on_server(sync, settings.booth_id, ids)
