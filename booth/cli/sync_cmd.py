"""`booth sync`: upload finished sessions to the tus server while the booth is idle."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from booth import service
from booth.cli.main import UserError, add_config_option, config_error, load_booth_settings
from booth.config.errors import ConfigError
from booth.config.settings import Settings
from booth.sync.agent import SyncAgent
from booth.sync.config import SyncSettings, sync_settings
from booth.sync.parts import Hooks
from booth.sync.queue import SpoolFile


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="upload finished sessions to the server",
        description=(
            "Upload finished sessions to the tus server in [sync] url while the booth is idle, "
            "takes first and the manifest last, and delete them after the server has confirmed "
            "every byte, its receipt lists every file with the same sha256, verified ([sync] "
            'proof = "receipt"; "upload" deletes on a plain tus server\'s word), and '
            "retention_hours have passed. Runs until stopped; with --once, uploads what is "
            "pending now and exits 0 when everything is confirmed, 1 (with the reason) when "
            "something is still pending, waiting for its receipt, set aside, damaged or "
            "unreadable, 2 on a settings problem. --once returns within [sync] once_seconds + "
            "timeout_seconds."
        ),
    )
    add_config_option(parser)
    parser.add_argument("--once", action="store_true", help="upload what is pending now, then exit")
    parser.set_defaults(func=run)


def load(config: Path) -> tuple[Settings, SyncSettings]:
    """The booth settings and their checked [sync] table; staff-readable UserError if bad."""
    settings = load_booth_settings(config)
    try:
        sync = sync_settings(settings)
    except ConfigError as err:
        raise config_error(err) from None
    if not sync.url:
        where = settings.source or config
        raise UserError(
            f"{where}: sync.url: not set (the tus endpoint, e.g. url = "
            '"https://example.org/files/" in a [sync] table)'
        )
    return settings, sync


def run(args: argparse.Namespace) -> int:
    settings, sync = load(Path(args.config))
    if args.once:
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    else:
        service.setup_logging("booth-sync")
    progress = _terminal_progress if sys.stdout.isatty() else _line_progress
    # Under systemd (booth-sync.service, Type=notify), the watchdog is fed by the agent when a
    # chunk is acknowledged and while it waits on purpose, never per request: an agent that
    # only fails is restarted, not kept alive by its own attempts.
    watchdog = service.Watchdog.from_environment()
    agent = SyncAgent(
        sync,
        settings.paths.spool,
        settings.paths.state,
        hooks=Hooks(progress=progress, heartbeat=watchdog.tick),
    )
    try:
        if args.once:
            result = agent.run_once()
            for session_id in result.deleted:
                print(f"deleted confirmed session {session_id}")
            print(("booth sync: " if result.ok else "booth sync: still pending: ") + result.reason)
            return 0 if result.ok else 1
        service.serve(f"uploading to {sync.url} when the booth is idle", agent.run)
        return 0
    except ConfigError as err:
        raise UserError("\n".join(str(p) for p in err.problems)) from None
    finally:
        agent.close()


def _terminal_progress(file: SpoolFile, offset: int) -> None:
    percent = 100 * offset // max(1, file.length)
    end = "\n" if offset >= file.length else ""
    print(f"\r{file.session_id}/{file.name}: {percent:3d}% of {file.length} bytes", end=end)
    sys.stdout.flush()


def _line_progress(file: SpoolFile, offset: int) -> None:
    if offset >= file.length:
        print(f"uploaded {file.session_id}/{file.name} ({file.length} bytes)", flush=True)
