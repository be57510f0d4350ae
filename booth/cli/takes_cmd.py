"""`booth takes list|recover`: the recorded sessions waiting in the spool."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

from booth.cli.main import UserError, add_config_option, load_booth_settings
from booth.config.settings import Settings
from booth.media.spool import Spool
from booth.state import read_state


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "takes",
        help="list the recorded sessions, or recover takes cut off by a crash",
        description="Work with the recorded sessions in the spool.",
    )
    sub = parser.add_subparsers(dest="takes_command", metavar="COMMAND")
    sub.required = True
    listing = sub.add_parser(
        "list",
        help="sessions in the spool, their status and takes",
        description="List every session in the spool with its status and kept takes.",
    )
    recover = sub.add_parser(
        "recover",
        help="turn takes cut off by a crash or power cut into MP4s",
        description=(
            "Turn every unfinished take into a playable MP4 (all but at most its last second), "
            "mark it recovered in the manifest and close its session as ended-early. Finished "
            "sessions are never touched. The kiosk does this by itself when it starts; refused "
            "while a kiosk is running."
        ),
    )
    for p in (listing, recover):
        add_config_option(p)
        p.add_argument(
            "--spool", metavar="DIR", type=Path, help="the spool (default: settings paths.spool)"
        )
        p.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.set_defaults(func=run_list)
    recover.set_defaults(func=run_recover)


def _settings(config: str) -> Settings:
    return load_booth_settings(config)


def _spool(args: argparse.Namespace, settings: Settings) -> Spool:
    root = args.spool or settings.paths.spool
    if not root.is_dir():
        raise UserError(f"{root}: no such spool directory (give --spool DIR, or check paths.spool)")
    return Spool(root)


def run_list(args: argparse.Namespace) -> int:
    spool = _spool(args, _settings(args.config))
    rows = []
    for entry in spool.sessions():
        manifest = entry.manifest or {}
        rows.append(
            {
                "session": entry.dir.name,
                "status": manifest.get("status", "unreadable manifest"),
                "interview": manifest.get("interview_id"),
                "started": manifest.get("started"),
                "takes": [
                    {k: t.get(k) for k in ("question_id", "take", "file", "bytes", "recovered")}
                    for t in manifest.get("takes", [])
                ],
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print(f"no sessions in {spool.root}")
    for row in rows:
        takes = ", ".join(
            f"{t['question_id']} take {t['take']}" + (" (recovered)" if t["recovered"] else "")
            for t in row["takes"]
        )
        print(f"{row['session']}  {row['status']:<11}  {row['interview']}  {takes or 'no takes'}")
    return 0


def run_recover(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    spool = _spool(args, settings)
    state = read_state(settings.paths.state)
    if args.spool is None and state is not None and state.running:
        raise UserError(
            f"the kiosk is running (pid {state.pid}) and recovers takes itself when it starts; "
            "to recover by hand, stop it first: systemctl stop booth-kiosk"
        )
    reports = spool.recover(datetime.now().astimezone())
    result = [
        {
            "session": r.session_id,
            "recovered": [
                {"file": t.path.name, "duration_s": round(t.duration_s, 2)} for t in r.takes
            ],
            "unusable": [str(p) for p in r.unusable],
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
    return 0
