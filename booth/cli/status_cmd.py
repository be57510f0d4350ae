"""`booth status`: what the booth is doing and whether anything needs staff, at a glance."""

from __future__ import annotations

import argparse
import json
import shutil
import time
from typing import Any

from booth import __version__
from booth.cli.main import add_config_option, load_booth_settings
from booth.config.interview import load_interviews
from booth.config.settings import Settings
from booth.kiosk.health import clear_session_bytes, session_budget_bytes
from booth.media.spool import Spool
from booth.privacy.scratch import choose_scratch
from booth.privacy.seal import Sealing
from booth.state import describe_lockout, occupancy, read_lockout, read_state
from booth.sync.status import status_lines, sync_status
from booth.timesync import WAITING_FOR_CLOCK, clock_state


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "status",
        help="what the booth is doing, its interviews, disk and upload queue",
        description=(
            "Show the kiosk's state and screen, the installed interviews, free disk, the "
            "sessions waiting in the spool, where running sessions are kept (RAM or the card) and "
            "the last error. --json for scripts."
        ),
    )
    add_config_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=run)


def gather(settings: Settings) -> dict[str, Any]:
    """Everything `booth status` shows, as plain data."""
    paths = settings.paths
    state = read_state(paths.state)
    kiosk: dict[str, Any] | None = None
    if state is not None:
        running = state.running  # its process is alive and its heartbeat fresh
        kiosk = {
            "running": running,
            "activity": state.activity if running else "stopped",
            "pid": state.pid,
            "screen": state.screen,
            "fault": state.fault,
            "updated": state.updated,
            "idle_since": state.idle_since,
            "heartbeat": state.heartbeat,
        }
    interviews, problems = (
        load_interviews(paths.interviews) if paths.interviews.is_dir() else ([], [])
    )
    rec = settings.recording
    listed = [
        {
            "id": iv.id,
            "employer": iv.employer,
            "deadline": iv.deadline.isoformat(),
            "questions": len(iv.questions),
            "invitations": len(iv.codes),
            "session_budget_bytes": session_budget_bytes(
                iv, rec.bitrate_bps, rec.audio_rate, rec.disk_margin_bytes
            ),
        }
        for iv in interviews
    ]
    disk: dict[str, Any] = {"path": str(paths.spool)}
    probe = paths.spool
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    disk.update(free_bytes=usage.free, total_bytes=usage.total)
    need = clear_session_bytes(interviews, rec.bitrate_bps, rec.audio_rate)
    scratch = choose_scratch(settings, need)
    # Running sessions in the scratch folder count too (Sealing only says where to look).
    spool = Spool(paths.spool, Sealing(scratch=scratch.folder))
    sessions = spool.sessions() if paths.spool.is_dir() else []
    by_status: dict[str, int] = {}
    for entry in sessions:
        status = (entry.manifest or {}).get("status", "unreadable")
        by_status[status] = by_status.get(status, 0) + 1
    uploads = sync_status(settings)
    occ = occupancy(state, time.time())
    lockout = read_lockout(paths.state).current(time.time(), settings.timing)
    clock = clock_state()
    return {
        "version": __version__,
        "booth_id": settings.booth_id,
        "kiosk": kiosk,
        "interviews": listed,
        "interview_problems": [str(p) for p in problems],
        "disk": disk,
        "spool": {"sessions": len(sessions), "by_status": by_status},
        # Where running sessions and practice takes, in clear, go: RAM, or the card and why.
        "scratch": {
            "folder": str(scratch.folder) if scratch.folder is not None else None,
            "in_ram": scratch.running_in_ram,
            "on_card": scratch.on_card,
            "detail": scratch.detail,
            "fix": scratch.fix,
        },
        "code_entry": {
            "wrong_codes": round(lockout.level(time.time()), 2),
            "locked_seconds": round(lockout.seconds_left(time.time(), settings.timing)),
            "text": describe_lockout(lockout, time.time(), settings.timing),
        },
        "uploads": uploads,
        "occupancy": {
            "occupied": occ.occupied,
            "since": occ.since,
            "recording": occ.recording,
            "light_pin": settings.devices.occupied_pin,
        },
        # Uploads wait for NTP (booth-sync.service starts after time-sync.target): https with
        # a clock in the past fails ("certificate is not yet valid").
        "clock": {
            "synchronized": clock.synchronized,
            "source": clock.source,
            "uploads": WAITING_FOR_CLOCK if clock.waiting else None,
        },
        "last_error": (kiosk["fault"] if kiosk and kiosk["fault"] else None)
        or (uploads.get("last_error") or {}).get("message")
        or uploads.get("problem"),
    }


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB"


def occupancy_line(occ: dict[str, Any]) -> str:
    """ "booth: OCCUPIED since …" or "booth: free since …", and what the door's light shows."""
    since = f" since {occ['since']}" if occ["since"] else ""
    what = "OCCUPIED" + (", recording a take" if occ["recording"] else "")
    line = f"booth: {what if occ['occupied'] else 'free'}{since}"
    if occ["light_pin"] is None:
        return line + " (no occupied light: [devices] occupied_pin not set)"
    shows = "on" if occ["occupied"] else "off"
    return line + f" (occupied light on GPIO{occ['light_pin']}: {shows})"


def render(status: dict[str, Any]) -> str:
    lines = [f"booth {status['booth_id']}  (software {status['version']})"]
    kiosk = status["kiosk"]
    if kiosk is None:
        lines.append("kiosk: never started on this booth (no state record)")
    elif not kiosk["running"]:
        lines.append(f"kiosk: NOT RUNNING (last seen {kiosk['updated']} on {kiosk['screen']})")
    else:
        lines.append(f"kiosk: {kiosk['activity']}, screen {kiosk['screen']} ({kiosk['updated']})")
    if kiosk and kiosk["fault"]:
        lines.append(f"OUT OF ORDER: {kiosk['fault']}")
    lines.append(occupancy_line(status["occupancy"]))
    lines.append(f"interviews: {len(status['interviews'])}")
    for iv in status["interviews"]:
        lines.append(
            f"  {iv['id']}: {iv['employer']}, {iv['questions']} questions, "
            f"{iv['invitations']} invitations, deadline {iv['deadline']}"
        )
    for problem in status["interview_problems"]:
        lines.append(f"  problem: {problem}")
    if status["code_entry"]["text"]:
        lines.append(f"codes: {status['code_entry']['text']}")
    disk = status["disk"]
    lines.append(f"disk: {_gb(disk['free_bytes'])} free of {_gb(disk['total_bytes'])}")
    spool = status["spool"]
    counts = ", ".join(f"{n} {s}" for s, n in sorted(spool["by_status"].items())) or "empty"
    lines.append(f"spool: {spool['sessions']} sessions ({counts})")
    lines.append(f"running sessions: {status['scratch']['detail']}")
    if status["scratch"]["fix"]:
        lines.append(f"  fix: {status['scratch']['fix']}")
    lines.extend(status_lines(status["uploads"]))
    if status["clock"]["uploads"]:
        source = status["clock"]["source"]
        lines.append(
            f"  {WAITING_FOR_CLOCK}: the clock is not synchronised yet ({source}); uploads "
            "start once NTP answers (timedatectl timesync-status)"
        )
    if status["last_error"]:
        lines.append(f"last error: {status['last_error']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    status = gather(load_booth_settings(args.config))
    print(json.dumps(status, indent=2, ensure_ascii=False) if args.json else render(status))
    return 0
