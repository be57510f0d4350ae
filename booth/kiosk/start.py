"""The kiosk's start on real devices: a device that does not open puts the booth out of order.

A camera on a loose ribbon, a microphone pulled out, a light whose PWM the kernel refuses, pins
another program holds: each used to end `booth kiosk` with a traceback, systemd restarted it
every few seconds until its start limit (StartLimitBurst in booth-kiosk.service), and the booth
stayed dead after the part was fixed. Now the kiosk shows the out-of-order screen (the candidate
reads a calm sentence; staff read the device, the error and the fix in `booth status`), keeps
systemd's watchdog fed, and tries the devices again every `RETRY_S`. The process never exits
because of a device, so the unit's start limit cannot be reached because of one.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import pygame

from booth.config.settings import Settings
from booth.kiosk.health import Fault
from booth.state import KioskState, iso

log = logging.getLogger("booth.kiosk")

K = TypeVar("K")

RETRY_S = 60.0
"""How often devices that did not open are tried again (and a screen that did not)."""


@dataclass(frozen=True)
class DeviceFix:
    id: str  # the fault id: what the candidate's screen and the fleet metrics see
    what: str  # the device, for staff
    fix: str


def device_errors() -> dict[type[BaseException], DeviceFix]:
    """The errors that mean "a device did not open" (or the installed interviews do not read),
    each with its device and its fix."""
    from gpiozero.exc import GPIOZeroError

    from booth.config.errors import ConfigError
    from booth.devices.ports.camera import CameraError, CameraUnavailable
    from booth.devices.ports.display import DisplayError
    from booth.devices.ports.light import LightDriverError
    from booth.devices.ports.microphone import MicrophoneError
    from booth.devices.ports.speaker import SpeakerError

    camera = DeviceFix("camera", "camera", "check its ribbon cable; `booth doctor` tests it")
    return {
        DisplayError: DeviceFix(
            "display",
            "screen",
            "check the screen's power and cable; `booth devices` shows the connector chosen",
        ),
        CameraUnavailable: DeviceFix("camera", "camera", "see above"),
        CameraError: camera,
        MicrophoneError: DeviceFix(
            "microphone",
            "microphone",
            "check the USB microphone (`booth devices` shows the choice, `arecord -l` the cards)",
        ),
        SpeakerError: DeviceFix(
            "speaker", "speaker", "check [devices] speaker_device and `booth devices`"
        ),
        LightDriverError: DeviceFix("light", "ring light (hardware PWM)", "see above"),
        GPIOZeroError: DeviceFix(
            "pins",
            "GPIO pins (light, buttons, occupied light)",
            "check that no other program uses the pins (`booth doctor`) and the pin numbers "
            "in [devices]",
        ),
        # Not a device, but the same remedy: installed interviews that no longer read (a
        # damaged card, a hand edit) would otherwise end every start with exit 2 and bring the
        # unit to its start limit; staff fix or reinstall them and the next try takes them.
        ConfigError: DeviceFix(
            "interviews",
            "installed interviews",
            "run `booth config check`, then reinstall the interview it names "
            "(`booth interviews add DIR`)",
        ),
        OSError: DeviceFix(
            "device",
            "a device file",
            "check the booth user's groups (video render audio gpio input) and `booth doctor`",
        ),
    }


def device_fault(err: BaseException) -> Fault | None:
    """The out-of-order fault for a device error at start; None for anything else (a bug)."""
    for kind, fix in device_errors().items():
        if isinstance(err, kind):
            how = "" if fix.fix == "see above" else f"{fix.fix}; "
            return Fault(fix.id, f"{fix.what}: {err} ({how}tried again every minute)")
    return None


class OutOfOrder:
    """What the booth shows and publishes while its devices do not open: the out-of-order
    screen (drawn by the booth's own flow and renderer, in the booth's language), and the state
    record `booth status`, the sync agent and the metrics read."""

    def __init__(self, settings: Settings, surface: pygame.Surface | None = None) -> None:
        self.settings = settings
        self.surface = surface
        self.since = iso(datetime.now().astimezone())  # free since: nobody can start a session
        self._renderer: Any = None

    def publish(self, fault: Fault) -> None:
        KioskState(
            activity="out-of-order",
            screen="out-of-order",
            fault=fault.detail,
            updated=iso(datetime.now().astimezone()),
            idle_since=None,
            pid=os.getpid(),
            fault_id=fault.id,
            occupancy_since=self.since,
        ).write(self.settings.paths.state)

    def draw(self, fault: Fault) -> None:
        """Draw the out-of-order screen for `fault` on the surface (nothing without one)."""
        if self.surface is None:
            return
        from booth.kiosk.build import assemble_renderer
        from booth.session.booth_rules import BoothRules
        from booth.session.clock import SystemClock
        from booth.session.flow import Flow

        if self._renderer is None:
            self._renderer = assemble_renderer(self.surface, self.settings)
        settings = self.settings
        flow = Flow([], SystemClock(), BoothRules(settings.languages, settings.language))
        flow.fault(fault.id)
        self._renderer.draw(self.surface, flow.view(), None, None, time.monotonic())


def start_or_wait(
    build: Callable[[], K],
    on_fault: Callable[[Fault], None],
    stopping: Callable[[], bool],
    wait: Callable[[float], None],
    retry_s: float = RETRY_S,
    clock: Callable[[], float] = time.monotonic,
) -> K | None:
    """`build()` until it succeeds; after each device error `on_fault(fault)` (draw, publish,
    feed the watchdog) and `wait` in short steps until `retry_s` passed. Returns None when asked
    to stop meanwhile. Errors that are not device errors go up (a bug: the journal's traceback)."""
    while not stopping():
        try:
            return build()
        except Exception as err:
            fault = device_fault(err)
            if fault is None:
                raise
        log.error("out of order at start: %s", fault.detail)
        next_try = clock() + retry_s
        while not stopping() and clock() < next_try:
            on_fault(fault)
            wait(min(1.0, max(0.0, next_try - clock())))
    return None
