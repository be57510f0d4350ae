"""`booth logs`: the recent journal lines of the kiosk and the sync agent, interleaved by time.

Both services log to journald (booth.service); `journalctl` shows them. Where there is no
journal (a container, a desktop without systemd, `booth simulate`), the booth's processes log to
their standard error instead, and this command says so rather than printing nothing.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

from booth.cli.main import UserError

UNITS = ("booth-kiosk", "booth-sync")
NO_JOURNAL = "No journal files were found"
"""What journalctl prints (on stderr, exiting 0) when there is no journal at all."""
ELSEWHERE = (
    "without journald the booth's processes log to their standard error: run `booth kiosk` or "
    "`booth sync` in a terminal to see it, or redirect it to a file"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "logs",
        help="recent journal lines of the kiosk and sync services",
        description=(
            "Show the last N lines that booth-kiosk.service and booth-sync.service wrote to "
            "the journal, interleaved by time (journalctl -u booth-kiosk -u booth-sync). "
            "--follow keeps printing new lines until Ctrl-C. Exit 2 when there is no journal "
            "to read. Staff not in the systemd-journal or adm group see only their own lines: "
            "use sudo."
        ),
    )
    parser.add_argument(
        "-n", "--lines", type=int, default=50, metavar="N", help="how many lines (default 50)"
    )
    parser.add_argument(
        "-f", "--follow", action="store_true", help="keep showing new lines until Ctrl-C"
    )
    parser.set_defaults(func=run)


def journal_command(lines: int, follow: bool, journalctl: str = "journalctl") -> list[str]:
    """The journalctl command line for both services' last `lines` lines."""
    command = [journalctl]
    for unit in UNITS:
        command += ["-u", unit]
    command += ["-n", str(lines), "--no-pager"]
    return command + (["-f"] if follow else [])


def journal_problem(journalctl: str | None) -> str | None:
    """Why the journal cannot be shown (None when it can): no journalctl, or no journal."""
    if journalctl is None:
        return f"journalctl is not installed here, so there is no journal to show; {ELSEWHERE}"
    try:
        probe = subprocess.run(
            [journalctl, "--disk-usage"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError) as error:
        return f"journalctl does not run ({error}); {ELSEWHERE}"
    if NO_JOURNAL in probe.stderr:
        return f"there is no journal on this machine (journald is not running); {ELSEWHERE}"
    return None


def run(args: argparse.Namespace) -> int:
    if args.lines < 0:
        raise UserError(f"-n {args.lines}: give a number of lines, 0 or more")
    journalctl = shutil.which("journalctl")
    problem = journal_problem(journalctl)
    if problem:
        raise UserError(problem)
    assert journalctl is not None
    sys.stdout.flush()
    try:
        # journalctl writes straight to our stdout: --follow streams without buffering here.
        return subprocess.run(journal_command(args.lines, args.follow, journalctl)).returncode
    except KeyboardInterrupt:
        return 0
