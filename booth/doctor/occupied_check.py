"""`booth doctor`'s occupied light line: is the light fitted, is its owner driving it, and what
should it show right now."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

from gpiozero.exc import PinFactoryFallback
from gpiozero.pins import Factory

from booth.config.settings import Devices
from booth.devices.occupied import OccupiedLight
from booth.devices.world import WorldChecks
from booth.doctor.checks import PASS, SKIP, WARN, Check
from booth.occupied.watch import light_mode
from booth.state import occupancy, read_state

SHOWS = {"on": "on", "blink": "blinking", "off": "off"}


def occupied_light_check(
    devices: Devices, state_dir: Path, pins: Factory | None, world: WorldChecks
) -> Check:
    """The occupied light's pin and what it should show: on a booth the pin is held by
    booth-occupied.service (a pin that opens means nothing drives the light). world: whether
    the pins are shared between processes (a booth's) or this process's own (mock pins)."""
    pin = devices.occupied_pin
    if pin is None:
        return Check("occupied", SKIP, "no occupied light ([devices] occupied_pin not set)")
    occ = occupancy(read_state(state_dir), time.time())
    mode = light_mode(occ, devices.occupied_blink_while_recording)
    booth = "occupied" if occ.occupied else "free"
    should = f"should show {SHOWS[mode]}: the booth is {booth}" + (
        f" since {occ.since}" if occ.since else ""
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PinFactoryFallback)
            light = OccupiedLight(pin, pins)
    except Exception as error:  # lgpio says "GPIO busy": the service holds it
        return Check(
            "occupied",
            PASS,
            f"GPIO{pin} in use (by booth-occupied, which drives the light: {error}); it {should}",
        )
    light.close()
    if not world.pins_shared:
        return Check("occupied", PASS, f"{world.not_checked} on mock GPIO{pin}; it {should}")
    return Check(
        "occupied",
        WARN,
        f"GPIO{pin} opens, so nothing drives the occupied light (it {should})",
        "sudo systemctl enable --now booth-occupied; journalctl -u booth-occupied says why it "
        "stopped",
    )
