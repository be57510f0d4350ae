"""`booth devices`: the screen, microphone, speaker, light and GPIO chip the booth uses, and why."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from booth.cli.main import UserError, add_config_option, load_booth_settings

log = logging.getLogger("booth.devices")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "devices",
        help="the screen, microphone, speaker, light and GPIO chip the booth uses, and why",
        description=(
            "Show the devices the booth chooses from what the kernel shows (/sys/class/drm, "
            "/proc/asound, /sys/class/pwm, the GPIO chips, the board model and kernel), with "
            "the settings' [display] connector, [devices] mic_device, speaker_device, "
            "light_pin and [light] driver. The kiosk, its unit and `booth doctor` use the same "
            "choice. The display is a DSI panel when there is one, else the HDMI port whose "
            "screen sent its EDID (a port forced on has none); the speaker a USB card, else "
            "HDMI audio on a port with a real screen, else the analogue output."
        ),
    )
    add_config_option(parser)
    parser.add_argument("--json", action="store_true", help="print the choice as JSON")
    parser.add_argument(
        "--root",
        metavar="DIR",
        default="/",
        help=(
            "read the kernel's files under DIR instead of / (a board profile or a capture: "
            "its root/ folder is taken)"
        ),
    )
    parser.add_argument(
        "--capture",
        metavar="DIR",
        help=(
            "copy the files the booth reads into the new directory DIR (under DIR/root, laid "
            "out as on this Pi), with the choice made (expected.json, choice.json) and a README "
            "to complete: a profile that reproduces this booth elsewhere (tests/boards/)"
        ),
    )
    parser.add_argument(
        "--sdl-env",
        metavar="FILE",
        help=(
            "write SDL_KMSDRM_DEVICE_INDEX=<card of the chosen screen> to FILE (the kiosk "
            "unit's ExecStartPre). Never fails: without a screen, or with settings that do not "
            "load, FILE is left empty and SDL chooses"
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from booth.devices.capture import profile_files
    from booth.devices.choice import DeviceChoice, choose_devices, for_settings

    root = profile_files(Path(args.root))
    if args.sdl_env:
        try:
            choice: DeviceChoice = for_settings(load_booth_settings(args.config), root)
        except (UserError, OSError) as err:
            print(f"booth devices: {err}; choosing with built-in settings", file=sys.stderr)
            choice = choose_devices(root)
        Path(args.sdl_env).write_text(choice.sdl_env())
        print(choice.lines()[1], file=sys.stderr)
        return 0
    if not root.is_dir():
        raise UserError(f"{root}: no such directory (--root names a board profile or /)")
    choice = for_settings(load_booth_settings(args.config), root)
    if args.capture:
        from booth.devices.capture import capture

        target = Path(args.capture)
        if target.exists():
            raise UserError(f"{target}: already exists; --capture makes a new directory")
        copied = capture(root, target, choice)
        print(f"{target}: {len(copied)} files copied, choice in {target / 'choice.json'}")
        print(f"Complete {target / 'README.md'} and copy the directory into tests/boards/.")
        return 0
    if args.json:
        print(json.dumps(choice.to_json(), indent=2))
    else:
        print("\n".join(choice.lines()))
    return 0
