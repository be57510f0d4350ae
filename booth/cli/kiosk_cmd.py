"""`booth kiosk`: the booth itself, fullscreen on the console (run by booth-kiosk.service)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from booth.cli.main import UserError, add_config_option, load_booth_settings
from booth.config.errors import ConfigError

log = logging.getLogger("booth.kiosk")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "kiosk",
        help="run the booth (the systemd service booth-kiosk does this)",
        description=(
            "Run the booth fullscreen on the real camera, light, buttons and microphone, as "
            "the settings describe. Usually started by booth-kiosk.service; it tells systemd "
            "when it is ready and pings its watchdog. Takes a crash left behind are recovered "
            "first. Off a Raspberry Pi, try `booth demo` instead."
        ),
    )
    add_config_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from booth import service
    from booth.devices.camera import CameraError
    from booth.devices.microphone import MicrophoneError
    from booth.devices.speaker import SpeakerError
    from booth.kiosk.window import DisplayError, Screen, open_display
    from booth.kiosk.window import run as run_window

    service.setup_logging("booth-kiosk")
    settings = load_booth_settings(args.config)
    path = settings.source or Path(args.config)
    if settings.devices.backend != "pi":
        raise UserError(
            f"{path}: devices.backend is {settings.devices.backend!r}; `booth kiosk` drives a "
            'real booth (backend "pi"). To try the booth on this computer: booth demo'
        )
    from booth.kiosk.pi import build_pi_kiosk

    display = settings.display
    try:
        surface = open_display(display.size, fullscreen=display.fullscreen)
    except DisplayError as err:
        raise UserError(str(err)) from None
    screen = Screen(surface, display.rotation)
    try:
        kiosk = build_pi_kiosk(settings, screen.picture)
    except (CameraError, MicrophoneError, SpeakerError) as err:
        raise UserError(str(err)) from None
    except ConfigError as err:
        raise UserError("\n".join(str(p) for p in err.problems)) from None
    watchdog = service.Watchdog.from_environment()
    last_screen = ""

    def each_frame() -> None:
        nonlocal last_screen
        watchdog.tick()
        if kiosk.flow.screen != last_screen:
            last_screen = kiosk.flow.screen
            service.notify_status(f"screen {last_screen}")

    service.notify_ready(f"screen {kiosk.flow.screen}")
    try:
        run_window(kiosk, screen, allow_window_close=False, each_frame=each_frame)
    finally:
        service.notify_stopping()
        kiosk.close()
    return 0
