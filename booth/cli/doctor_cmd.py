"""`booth doctor`: check a booth's parts (pass, warn or fail, each with its fix); `--record` is
the acceptance recording."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from booth.cli.main import UserError, add_config_option, load_booth_settings
from booth.config.settings import Settings

if TYPE_CHECKING:  # imported when used: `booth --help` stays fast
    from booth.devices.world import Rig, World
    from booth.doctor.record import Acceptance


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check every part of the booth, each with its fix (--record: A/V recording)",
        description=(
            "Check the booth's camera, microphone, ring light, display, buttons, disk, "
            "privacy, where running sessions go (RAM, or the card when RAM is short), swap "
            "(fails with [privacy] recipients when it is on a disk), clock, "
            "upload server and token, under-voltage and temperature. Each check passes, warns "
            "or fails, with a one-line fix, or is skipped (SKIP, never PASS) when it could "
            "not be checked: a simulated screen, a Pi's temperature and throttling off a Pi. "
            "Exit 0 when none fails (warnings and skips do not), 1 otherwise, 2 on bad "
            "settings. While the kiosk runs it holds the camera, microphone and pins: the "
            "camera and microphone are then reported as the kiosk sees them, the light's "
            "driver and the buttons are skipped. "
            "With --record: record 10 s as a candidate would be recorded while the screen "
            "flashes white and the speaker beeps every 2 s, then measure the MP4: "
            "audio/video offset and drift, frame rate, dropped frames, plus the camera, "
            "encoder, microphone and overruns. Run it after building a booth, with the kiosk "
            "stopped, sitting where a candidate sits. Exit 0 when every figure is within its "
            "target, 1 otherwise, 2 on bad settings or missing devices. Off a Pi "
            '(devices.backend = "sim") it records the simulated booth.'
        ),
    )
    add_config_option(parser)
    parser.add_argument(
        "--record", action="store_true", help="make the acceptance recording and measure it"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help=(
            "print JSON: a list of {check, result, detail, fix}, result one of pass, warn, "
            "fail, skip (with --record: the report)"
        ),
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        help="where to keep the recording (default: a new directory under /tmp)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load(args.config)
    if not args.record:
        return check(settings, args.json)
    out = args.out or Path(tempfile.mkdtemp(prefix="booth-doctor-"))
    result = record(settings, out)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        from booth.doctor.report import format_report

        print(format_report(result))
    return 0 if result.passed else 1


def check(settings: Settings, as_json: bool) -> int:
    """Run every check, print the verdicts; 0 when none failed, else 1."""
    from booth.cli.world import world_for
    from booth.doctor.checkup import exit_code, format_checks, run_checks

    with world_for(settings) as world:
        results = run_checks(settings, world)
    if as_json:
        print(json.dumps([c.to_dict() for c in results], indent=2, ensure_ascii=False))
    else:
        print(format_checks(results))
    return exit_code(results)


def load(config: str) -> Settings:
    """The booth settings of --config (built-in defaults when the default file is missing)."""
    return load_booth_settings(config)


def record(settings: Settings, out: Path) -> Acceptance:
    """Open the rig for the settings' backend, make the recording, close the rig."""
    from booth.cli.world import world_for
    from booth.devices.ports.camera import CameraError
    from booth.devices.ports.microphone import MicrophoneError
    from booth.devices.ports.speaker import SpeakerError
    from booth.doctor.record import record_acceptance
    from booth.media.analyze import TakeUnreadable
    from booth.media.mux import TakeUnusable

    with world_for(settings) as world:
        try:
            rig = _open_rig(world)
        except (CameraError, MicrophoneError, SpeakerError) as error:
            raise UserError(str(error)) from None
        try:
            return record_acceptance(rig, out, sample_rate=settings.recording.audio_rate)
        except (TakeUnusable, TakeUnreadable) as error:
            raise UserError(f"the recording could not be measured: {error}", exit_code=1) from None
        finally:
            rig.close()


def _open_rig(world: World) -> Rig:
    return world.record_rig()
