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
from pathlib import Path
from typing import TypeVar

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
    """The errors that mean "a device did not open", each with its device and its fix."""
    from gpiozero.exc import GPIOZeroError

    from booth.devices.camera import CameraError
    from booth.devices.hw_pwm import PwmError
    from booth.devices.microphone import MicrophoneError
    from booth.devices.pi_camera import PiCameraUnavailable
    from booth.devices.speaker import SpeakerError
    from booth.kiosk.window import DisplayError

    camera = DeviceFix("camera", "camera", "check its ribbon cable; `booth doctor` tests it")
    return {
        DisplayError: DeviceFix(
            "display",
            "screen",
            "check the screen's power and cable; `booth devices` shows the connector chosen",
        ),
        PiCameraUnavailable: DeviceFix("camera", "camera", "see above"),
        CameraError: camera,
        MicrophoneError: DeviceFix(
            "microphone",
            "microphone",
            "check the USB microphone (`booth devices` shows the choice, `arecord -l` the cards)",
        ),
        SpeakerError: DeviceFix(
            "speaker", "speaker", "check [devices] speaker_device and `booth devices`"
        ),
        PwmError: DeviceFix("light", "ring light (hardware PWM)", "see above"),
        GPIOZeroError: DeviceFix(
            "pins",
            "GPIO pins (light, buttons, occupied light)",
            "check that no other program uses the pins (`booth doctor`) and the pin numbers "
            "in [devices]",
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


def write_fault(state_dir: Path, fault: Fault, screen: str = "out-of-order") -> None:
    """Publish the fault for `booth status`, the sync agent and the metrics."""
    now = iso(datetime.now().astimezone())
    KioskState(
        activity="out-of-order",
        screen=screen,
        fault=fault.detail,
        updated=now,
        idle_since=None,
        pid=os.getpid(),
        fault_id=fault.id,
        occupancy_since=now,
    ).write(state_dir)


def draw_out_of_order(surface: pygame.Surface, fault: Fault, settings: Settings) -> None:
    """The out-of-order screen the candidate sees, from the same flow and renderer as always."""
    from booth.kiosk.build import assemble_renderer
    from booth.session.clock import SystemClock
    from booth.session.flow import Flow

    flow = Flow([], settings.languages, SystemClock(), language=settings.language)
    flow.fault(fault.id)
    assemble_renderer(surface, settings).draw(surface, flow.view(), None, None, time.monotonic())


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
