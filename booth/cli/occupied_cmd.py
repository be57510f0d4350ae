"""`booth occupied`: the occupied light outside the door, following the kiosk (a service)."""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections.abc import Callable

from gpiozero.exc import GPIOZeroError
from gpiozero.pins import Factory

from booth import service
from booth.cli.main import add_config_option, load_booth_settings
from booth.cli.world import choose_world
from booth.config.settings import Settings
from booth.devices.occupied import OccupiedLight
from booth.occupied.watch import OccupiedWatch, log_change, run_watch

log = logging.getLogger("booth.occupied")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "occupied",
        help="drive the occupied light outside the door (the booth-occupied service)",
        description=(
            "Switch the light on [devices] occupied_pin on while a candidate is in the booth "
            "(blinking while a take records, with occupied_blink_while_recording = true) and "
            "off when the booth is idle, closed or out of order, or when the kiosk is not "
            "running. It follows the kiosk's state record, so a kiosk that crashed never leaves "
            "the light on. Runs until stopped; --off switches the light off and exits (the "
            "service's ExecStopPost); --fitted exits 0 when an occupied_pin is set and 1 when "
            "not (the service's ExecCondition: a booth without the light skips the service). "
            "Without an occupied_pin it exits 0 at once."
        ),
    )
    add_config_option(parser)
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--off", action="store_true", help="switch the light off, then exit")
    what.add_argument(
        "--fitted", action="store_true", help="exit 0 if an occupied_pin is set, else 1"
    )
    parser.set_defaults(func=run)


RETRY_S = 60.0
"""How often a light whose pin did not open is tried again."""


def open_light(
    settings: Settings,
    pins: Factory | None,
    stop: threading.Event,
    heartbeat: Callable[[], object],
) -> OccupiedLight | None:
    """The occupied light, tried again every `RETRY_S` while its pin does not open (another
    program holds it, no pin factory): the service keeps running, says why in its status
    (`systemctl status booth-occupied`) and the journal, and never restarts towards its unit's
    start limit. The booth itself records on: this light is outside the door."""
    pin = settings.devices.occupied_pin
    assert pin is not None
    while not stop.is_set():
        try:
            return OccupiedLight(pin, pins)
        except GPIOZeroError as err:
            why = (
                f"occupied light on GPIO{pin}: {type(err).__name__}: {err} (check that no "
                "other program uses the pin, and [devices] occupied_pin; `booth doctor`; "
                "tried again every minute)"
            )
            log.error("%s", why)
            service.notify_status(why)
        deadline = time.monotonic() + RETRY_S
        while not stop.wait(1.0) and time.monotonic() < deadline:
            heartbeat()
    return None


def run(args: argparse.Namespace) -> int:
    settings = load_booth_settings(args.config)
    dev = settings.devices
    if dev.occupied_pin is None:
        print("booth occupied: no [devices] occupied_pin set: there is no occupied light to drive")
        return 1 if args.fitted else 0
    if args.fitted:
        return 0
    service.setup_logging("booth-occupied")
    pins = choose_world(settings).pins
    if args.off:
        OccupiedLight(dev.occupied_pin, pins).close()
        return 0
    watchdog = service.Watchdog.from_environment()

    def follow_the_kiosk(stop: threading.Event) -> None:
        light = open_light(settings, pins, stop, watchdog.tick)
        if light is None:
            return
        watch = OccupiedWatch(
            light, settings.paths.state, dev.occupied_blink_while_recording, on_change=log_change
        )
        try:
            run_watch(watch, stop, heartbeat=watchdog.tick)
        finally:
            watch.close()

    service.serve(f"occupied light on GPIO{dev.occupied_pin} follows the kiosk", follow_the_kiosk)
    return 0
