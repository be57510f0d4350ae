"""`booth kiosk`: the booth itself, fullscreen on the console (run by booth-kiosk.service)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from booth.cli.main import UserError, add_config_option, load_booth_settings

log = logging.getLogger("booth.kiosk")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "kiosk",
        help="run the booth (the systemd service booth-kiosk does this)",
        description=(
            "Run the booth fullscreen on the real camera, light, buttons and microphone, as "
            "the settings describe. Usually started by booth-kiosk.service; it tells systemd "
            "when it is ready and pings its watchdog. Takes a crash left behind are recovered "
            "first. The screen, microphone, speaker and light are the ones `booth devices` "
            "shows. A device that does not open (camera, microphone, light, pins, screen) puts "
            "the booth out of order, with the reason in `booth status`, and is tried again "
            "every minute: the kiosk keeps running. Off a Raspberry Pi, try `booth demo` "
            "instead."
        ),
    )
    add_config_option(parser)
    parser.add_argument(
        "--root",
        metavar="DIR",
        default="/",
        help=(
            "read the kernel's files (/sys, /proc, /dev names) under DIR instead of /: a "
            "board profile or a `booth devices --capture`, to reproduce a booth's start"
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import signal
    import time

    from booth import service
    from booth.kiosk.health import Fault
    from booth.kiosk.start import OutOfOrder, start_or_wait
    from booth.kiosk.window import Screen
    from booth.kiosk.window import run as run_window

    service.setup_logging("booth-kiosk")
    settings = load_booth_settings(args.config)
    path = settings.source or Path(args.config)
    if settings.devices.backend != "pi":
        raise UserError(
            f"{path}: devices.backend is {settings.devices.backend!r}; `booth kiosk` drives a "
            'real booth (backend "pi"). To try the booth on this computer: booth demo'
        )
    from booth.cli.world import choose_world
    from booth.kiosk.live import build_live_kiosk

    root = Path(args.root)
    world = choose_world(settings, root)
    watchdog = service.Watchdog.from_environment()
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ready = False
    screen: Screen | None = None
    waiting = OutOfOrder(settings)

    def out_of_order(fault: Fault) -> None:
        """While a device does not open: say so on the screen (where there is one), in the
        state record, and to systemd, which must see the start as done (READY=1), or its
        TimeoutStartSec would restart the kiosk towards the unit's start limit."""
        nonlocal ready
        waiting.publish(fault)
        if screen is not None:
            waiting.surface = screen.picture
            waiting.draw(fault)
            screen.show()
            pygame_pump()
        if not ready:
            service.notify_ready(f"out of order: {fault.id}")
            ready = True
        service.notify_status(f"out of order: {fault.detail}")
        watchdog.tick()

    def open_screen() -> Screen:
        return Screen(world.display(), settings.display.rotation)

    screen = start_or_wait(open_screen, out_of_order, lambda: stopping, time.sleep)
    if screen is None:
        return 0
    kiosk = start_or_wait(
        lambda: build_live_kiosk(settings, screen.picture, world),
        out_of_order,
        lambda: stopping,
        time.sleep,
    )
    if kiosk is None:
        return 0
    last_screen = ""

    def each_frame() -> None:
        nonlocal last_screen
        watchdog.tick()
        if kiosk.flow.screen != last_screen:
            last_screen = kiosk.flow.screen
            service.notify_status(f"screen {last_screen}")

    if ready:
        service.notify_status(f"screen {kiosk.flow.screen}")
    else:
        service.notify_ready(f"screen {kiosk.flow.screen}")
    try:
        run_window(kiosk, screen, allow_window_close=False, each_frame=each_frame)
    finally:
        service.notify_stopping()
        kiosk.close()
    return 0


def pygame_pump() -> None:
    """Let SDL handle its events while the booth waits (touches are ignored meanwhile)."""
    import pygame

    pygame.event.pump()
