"""The `booth` command: one entry point, one subcommand per job.

Each subcommand lives in its own module under booth/cli/ and exposes
`register(subparsers)`, which adds its parser and sets `func(args) -> int`.
Errors meant for staff are raised as `UserError` and printed as one calm line,
never as a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from booth import __version__
from booth.privacy.files import private_umask

if TYPE_CHECKING:
    # Only for the annotation: `booth status` must not pay for importing the settings.
    from booth.config.settings import Settings

DEFAULT_CONFIG = "/etc/booth/booth.toml"


class UserError(Exception):
    """An error a staff member can fix; the message names the file, the field and the fix."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def config_error(err: Exception) -> UserError:
    """A settings problem as one line per problem: FILE:LINE: key: what is wrong (fix)."""
    problems = getattr(err, "problems", None)
    return UserError("\n".join(str(p) for p in problems) if problems else str(err))


def load_booth_settings(config: str | Path | None) -> Settings:
    """The settings of `--config`: built-in defaults when the default file does not exist.

    A file named on the command line that does not exist is an error (a typo must not run
    the booth on defaults); the default /etc/booth/booth.toml may be missing on a new booth.
    """
    from booth.config.errors import ConfigError
    from booth.config.settings import load_settings

    path = Path(config) if config is not None else Path(DEFAULT_CONFIG)
    if not path.exists():
        if str(path) != DEFAULT_CONFIG:
            raise UserError(f"{path}: no such settings file (check the --config path)")
        return load_settings(None)
    try:
        return load_settings(path)
    except ConfigError as err:
        raise config_error(err) from None


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=DEFAULT_CONFIG,
        help=f"booth settings (default {DEFAULT_CONFIG}; built-in defaults when it does not exist)",
    )


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `booth` command's parser: with every subcommand, or with `command` alone (only its
    module is imported, see booth.cli.commands)."""
    parser = argparse.ArgumentParser(
        prog="booth",
        description="Run, check and look after a video interview booth.",
    )
    parser.add_argument("--version", action="version", version=f"booth {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    from booth.cli import commands

    for name in commands.NAMES if command is None else (command,):
        commands.module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from booth.cli.commands import NAMES

    argv = list(sys.argv[1:] if argv is None else argv)
    # A known subcommand first: only its module is loaded. Anything else (--help, a typo)
    # gets the whole parser, and its list of subcommands.
    parser = build_parser(argv[0] if argv and argv[0] in NAMES else None)
    args = parser.parse_args(argv)
    # Candidate video and manifests: whoever runs booth, with whatever umask, writes them for
    # its own user only (booth.privacy.files). Restored after, for callers in the same process.
    umask = private_umask()
    try:
        return int(args.func(args) or 0)
    except UserError as err:
        print(f"booth: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130
    finally:
        os.umask(umask)


if __name__ == "__main__":
    sys.exit(main())
