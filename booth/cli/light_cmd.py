"""`booth light`: hold the ring light at a level, hand it back, or calibrate it.

`set` and `auto` write the override into the state directory, where the running kiosk picks it
up within a frame or two. `calibrate` drives the light and the camera itself, so the kiosk must
not be running (on a booth: `systemctl stop booth-kiosk` first).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from booth.cli.main import UserError, add_config_option, load_booth_settings
from booth.config.settings import Settings
from booth.light.calibrate import CalibrationError, calibrate
from booth.light.curve import CurvePoint, LightCurve
from booth.light.override import write_override
from booth.light.record import MISSING_WARN, curve_missing_light, missing_light_text
from booth.light.settings import LightSettings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "light",
        help="set the ring light by hand, hand it back to the booth, or calibrate it",
        description=(
            "`booth light set 0.4` holds the ring light at a lightness from 0 (off) to 1 "
            "(full; 0.5 looks half as bright) until `booth light auto` hands it back to the "
            "booth, which follows the camera's exposure. `booth light calibrate` steps the "
            "light and records the camera's exposure × gain at each step into the state "
            "directory; stop the kiosk first, and keep the room's light as it is meanwhile."
        ),
    )
    sub = parser.add_subparsers(dest="light_command", metavar="ACTION")
    sub.required = True
    set_parser = sub.add_parser("set", help="hold the light at LEVEL (0..1 lightness)")
    set_parser.add_argument("level", metavar="LEVEL", help="0 (off) to 1 (full), or 0%%..100%%")
    set_parser.set_defaults(func=run_set)
    auto = sub.add_parser("auto", help="let the booth drive the light again")
    auto.set_defaults(func=run_auto)
    cal = sub.add_parser("calibrate", help="measure the light curve (the kiosk must be stopped)")
    cal.add_argument("--json", action="store_true", help="print the curve as JSON")
    cal.set_defaults(func=run_calibrate)
    for p in (set_parser, auto, cal):
        add_config_option(p)


def parse_level(text: str) -> float:
    """`0.4` or `40%` → 0.4; UserError for anything else."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
    except ValueError:
        raise UserError(f"LEVEL: {text!r} is not a number; give 0 to 1, e.g. 0.4, or 40%") from None
    if not 0.0 <= value <= 1.0:
        raise UserError(f"LEVEL: {text} is out of range; give 0 (off) to 1 (full)")
    return value


def _settings(config: str) -> Settings:
    return load_booth_settings(config)


def _light_settings(settings: Settings) -> LightSettings:
    """The `[light]` settings, once the settings carry them; defaults until then."""
    light = getattr(settings, "light", None)
    return light if isinstance(light, LightSettings) else LightSettings()


def run_set(args: argparse.Namespace) -> int:
    level = parse_level(args.level)
    state = _settings(args.config).paths.state
    path = _write(state, level)
    print(f"light held at {level:g} ({path}); `booth light auto` hands it back")
    return 0


def run_auto(args: argparse.Namespace) -> int:
    state = _settings(args.config).paths.state
    path = _write(state, None)
    print(f"light follows the camera again ({path})")
    return 0


def _write(state: Path, level: float | None) -> Path:
    try:
        return write_override(state, level, datetime.now().astimezone())
    except OSError as err:
        raise UserError(
            f"{state}: cannot write the light override ({err.strerror or err}); "
            "run as the booth user, or check paths.state"
        ) from None


def run_calibrate(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    light_settings = _light_settings(settings)

    def progress(output: float, point: CurvePoint) -> None:
        if not args.json:
            print(
                f"  output {output:4.2f}: exposure × gain {point.exposure_gain:9.0f} µs, "
                f"{point.lux:7.1f} lux",
                file=sys.stderr,
            )

    try:
        curve = calibrate_booth(settings, progress)
    except CalibrationError as err:
        raise UserError(f"calibration failed: {err}", exit_code=1) from None
    try:
        path = curve.save(settings.paths.state)
    except OSError as err:
        raise UserError(
            f"{settings.paths.state}: cannot store the light curve ({err.strerror or err})"
        ) from None
    missing = curve_missing_light(curve, light_settings)
    if args.json:
        pct = None if missing is None else round(100.0 * missing, 1)
        print(
            json.dumps({"file": str(path), **curve.to_json(), "missing_light_pct": pct}, indent=2)
        )
    else:
        print(
            f"light curve stored in {path}: the ring adds up to {curve.full_ring_lux:.0f} lux "
            "to the camera's reading"
        )
        if missing is not None and missing > MISSING_WARN:
            print(f"warning: {missing_light_text(missing)}")
        elif missing is not None:
            print("the ring light can light the face enough in this room")
    return 0


def calibrate_booth(
    settings: Settings, progress: Callable[[float, CurvePoint], None] | None = None
) -> LightCurve:
    """Calibrate this booth's light with its camera (metering as `[light]` aims it), in the
    world of `[devices] backend`."""
    from booth.cli.world import world_for

    with world_for(settings) as world:
        ring = world.ring_light()
        try:
            with world.exposure_meter(ring) as next_metadata:
                return calibrate(
                    ring.set,
                    next_metadata,
                    measured=datetime.now().astimezone(),
                    progress=progress,
                )
        finally:
            ring.close()
