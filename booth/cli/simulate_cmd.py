"""`booth simulate`: the booth on simulated hardware, scripted and headless, or in a window."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from booth.cli.main import UserError, add_config_option, load_booth_settings
from booth.config.errors import ConfigError
from booth.config.settings import Settings, load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run the booth on simulated hardware (scripted, headless)",
        description=(
            "Run the whole booth with a simulated camera, light, buttons and microphone. "
            "With --headless --script FILE it runs in virtual time as fast as it can and "
            "writes OUT/screens/*.png, OUT/events.jsonl and OUT/spool/. The screens are drawn "
            "as the settings' [display] shows them: its size, turned by its rotation (a "
            "panel 800x480 with rotation = 90 gives 480x800 portrait screens). Exit 0 when the "
            "script completes, 1 when an `expect` fails, 2 on bad arguments or config. "
            "Script commands: press ACTION [VALUE], type TEXT, wait SECONDS, expect SCREEN, "
            "screenshot NAME, clap, ambient LUX; # starts a comment."
        ),
    )
    add_config_option(parser)
    # With --interviews and no --config the simulator uses the built-in defaults.
    parser.set_defaults(config=None)
    parser.add_argument(
        "--interviews",
        metavar="DIR",
        type=Path,
        help="interviews to offer (default: the settings' paths.interviews)",
    )
    parser.add_argument(
        "--start",
        metavar="ISO-DATETIME",
        help="virtual time to start at, e.g. 2026-12-01T09:00+01:00 (default: now)",
    )
    parser.add_argument("--headless", action="store_true", help="no window; needs --script")
    parser.add_argument("--script", metavar="FILE", type=Path, help="the script to run")
    parser.add_argument(
        "--out", metavar="DIR", type=Path, required=True, help="where screens, events and spool go"
    )
    parser.set_defaults(func=run)


def parse_start(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"--start: {text!r} is not an ISO date and time (e.g. 2026-12-01T09:00+01:00)"
        ) from None
    return start if start.tzinfo else start.astimezone()


def settings_for(config: str | None, interviews: Path | None) -> tuple[Settings, Path]:
    """The settings and the interviews directory.

    No --config: the booth's own settings file, or the built-in defaults when --interviews
    is given (a simulation on a staff laptop should not pick up /etc/booth by accident).
    A --config that does not exist is an error, not a silent fall-back to defaults.
    """
    if config is None and interviews is not None:
        settings = load_settings(None)
    else:
        settings = load_booth_settings(config)
    interviews_dir = interviews or settings.paths.interviews
    if not interviews_dir.is_dir():
        raise UserError(
            f"{interviews_dir}: no such interviews directory "
            "(give --interviews DIR, or set paths.interviews in the settings)"
        )
    return settings, interviews_dir


def run(args: argparse.Namespace) -> int:
    from booth.sim.script import ScriptError, load_script
    from booth.sim.simulate import simulate
    from booth.sim.world import SimulationStuck

    start = parse_start(args.start)
    settings, interviews_dir = settings_for(args.config, args.interviews)
    if not args.headless:
        raise UserError("a window needs a display: use `booth demo`, or --headless --script FILE")
    if args.script is None:
        raise UserError("--headless needs --script FILE (the presses and waits to run)")
    try:
        commands = load_script(args.script)
    except ScriptError as err:
        raise UserError(str(err)) from None
    try:
        outcome = simulate(settings, interviews_dir, args.out, commands, str(args.script), start)
    except ConfigError as err:
        raise UserError("\n".join(str(p) for p in err.problems)) from None
    except SimulationStuck as err:
        raise UserError(f"the simulation stopped: {err}", exit_code=1) from None
    print(outcome.message, file=sys.stderr if outcome.exit_code else sys.stdout)
    return outcome.exit_code
