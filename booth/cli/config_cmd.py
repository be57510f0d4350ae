"""`booth config check`: validate the booth settings and the installed interviews."""

from __future__ import annotations

import argparse
from pathlib import Path

from booth.cli.main import add_config_option
from booth.config.check import check_config
from booth.config.errors import ConfigProblem
from booth.config.settings import Settings
from booth.sync.config import check_sync


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "config",
        help="check the booth settings and interviews",
        description="Work with the booth's settings and interview definitions.",
    )
    sub = parser.add_subparsers(dest="config_command", metavar="COMMAND")
    sub.required = True
    check = sub.add_parser(
        "check",
        help="validate settings and every interview",
        description=(
            "Validate the settings file (the [sync] table too, as booth sync reads it) and every "
            "interview (interview.toml, media, codes.csv, no code shared between interviews), "
            "as booth kiosk reads them. "
            "Exit 0 when all is valid; otherwise exit 2 and print one line per problem: "
            "FILE:LINE: key: what is wrong (what is expected). Warnings follow, as "
            "'warning: FILE: key: ...' (a booth without [help], whose candidates are told no "
            "way to reach staff); they do not change the exit code."
        ),
    )
    add_config_option(check)
    check.add_argument(
        "--interviews",
        metavar="DIR",
        type=Path,
        help="check the interviews in DIR instead of the settings' paths.interviews",
    )
    check.set_defaults(func=run_check)


def sync_problems(settings: Settings) -> list[ConfigProblem]:
    """The `[sync]` table's problems as `booth sync` finds them (booth.config cannot read it:
    the upload side sits above it in the layers): see booth.sync.config.check_sync."""
    return check_sync(settings)


def run_check(args: argparse.Namespace) -> int:
    report = check_config(Path(args.config), args.interviews)
    if report.settings is not None:
        report.problems.extend(sync_problems(report.settings))
    if report.ok:
        print(report.summary())
    for problem in report.problems:
        print(problem)
    for warning in report.warnings:
        print(f"warning: {warning}")
    return 0 if report.ok else 2
