"""`booth doctor`: check a booth's hardware; `--record` is the acceptance recording."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from booth.cli.main import UserError, add_config_option
from booth.config.errors import ConfigError
from booth.config.settings import Settings, load_settings

if TYPE_CHECKING:  # imported when used: `booth --help` stays fast
    from booth.doctor.record import Acceptance, Rig


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check the booth's hardware (--record: the acceptance recording)",
        description=(
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
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        help="where to keep the recording (default: a new directory under /tmp)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.record:
        raise UserError(
            "nothing to check yet without --record: run `booth doctor --record` "
            "(10 s acceptance recording; see `booth doctor --help`)"
        )
    settings = load(args.config)
    out = args.out or Path(tempfile.mkdtemp(prefix="booth-doctor-"))
    result = record(settings, out)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        from booth.doctor.report import format_report

        print(format_report(result))
    return 0 if result.passed else 1


def load(config: str) -> Settings:
    """The booth settings (built-in defaults when the file does not exist)."""
    path = Path(config)
    try:
        return load_settings(path if path.exists() else None)
    except ConfigError as err:
        raise UserError("\n".join(str(p) for p in err.problems)) from None


def record(settings: Settings, out: Path) -> Acceptance:
    """Open the rig for the settings' backend, make the recording, close the rig."""
    from booth.devices.camera import CameraError
    from booth.devices.microphone import MicrophoneError
    from booth.doctor.record import record_acceptance
    from booth.media.analyze import TakeUnreadable
    from booth.media.mux import TakeUnusable

    try:
        rig = _open_rig(settings, out)
    except (CameraError, MicrophoneError) as error:
        raise UserError(str(error)) from None
    try:
        return record_acceptance(rig, out, sample_rate=settings.recording.audio_rate)
    except (TakeUnusable, TakeUnreadable) as error:
        raise UserError(f"the recording could not be measured: {error}", exit_code=1) from None
    finally:
        rig.close()


def _open_rig(settings: Settings, out: Path) -> Rig:
    if settings.devices.backend == "pi":
        from booth.doctor.pi_rig import build_pi_rig

        return build_pi_rig(settings, out)
    from booth.doctor.sim_rig import SimRig

    return SimRig(settings, out)
