"""`booth metrics`: the booth's fleet metrics in Prometheus's text format."""

from __future__ import annotations

import argparse
import time

from booth import service
from booth.cli.main import UserError, add_config_option, load_booth_settings
from booth.metrics.exposition import TEXTFILE, render
from booth.metrics.ledger import load_ledger
from booth.metrics.reading import read_booth
from booth.metrics.writer import MetricsWriter


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "metrics",
        help="the booth's fleet metrics for Prometheus",
        description=(
            "Print the booth's metrics in Prometheus's text format: the same text "
            f"booth-metrics.service writes to {TEXTFILE} in [metrics] textfile_dir for "
            "node_exporter's textfile collector. --write writes that file once; --watch keeps "
            "it fresh (at least every [metrics] interval_seconds, and at once when the kiosk's "
            "state, the upload queue or the clock changes) until stopped."
        ),
    )
    add_config_option(parser)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write {TEXTFILE} once")
    mode.add_argument("--watch", action="store_true", help=f"keep {TEXTFILE} fresh (the service)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_booth_settings(args.config)
    if not (args.write or args.watch):
        # The ledger is read, not saved: only the service counts sessions into it.
        reading = read_booth(settings, load_ledger(settings.paths.state), time.time())
        print(render(reading), end="")
        return 0
    writer = MetricsWriter(settings)
    directory = settings.metrics.textfile_dir
    if args.write:
        if not directory.is_dir():
            raise UserError(
                f"{directory}: no such directory ([metrics] textfile_dir): install "
                "prometheus-node-exporter, or set textfile_dir to node_exporter's "
                "--collector.textfile.directory"
            )
        try:
            writer.write()
        except OSError as err:
            raise UserError(f"{directory / TEXTFILE}: cannot write: {err}") from None
        print(f"wrote {directory / TEXTFILE}")
        return 0
    service.setup_logging("booth-metrics")
    watchdog = service.Watchdog.from_environment()
    service.serve(
        f"writing {directory / TEXTFILE}", lambda stop: writer.run(stop, tick=watchdog.tick)
    )
    return 0
