"""The `[light]` settings: which PWM drives the ring light, and what the controller aims at.

Pin and frequency of the gpiozero driver stay in `[devices]` (light_pin, light_frequency_hz).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from gpiozero.pins import Factory

from booth.config.settings import DRIVERS as DRIVERS
from booth.config.settings import LightSettings as LightSettings
from booth.devices.hw_pwm import SYSFS_PWM, PwmError, SysfsPWM, find_pwm_channel
from booth.devices.light import RingLight

log = logging.getLogger(__name__)


def open_ring_light(
    light: LightSettings,
    pin: int,
    frequency_hz: int,
    pin_factory: Factory | None = None,
    sysfs: Path = SYSFS_PWM,
) -> RingLight:
    """The ring light on the configured driver.

    pin, frequency_hz: `devices.light_pin` and `devices.light_frequency_hz` (gpiozero's PWM).
    The sysfs driver finds the PWM chip for `pin` by its device path unless `light.pwmchip`
    names one, and runs at `light.sysfs_frequency_hz`. "auto" takes the sysfs driver where a
    chip drives `pin` and gpiozero where none does; a chip that is there but cannot be used
    (permissions) is an error, not a silent fall-back to the coarser light. Raises PwmError
    with the fix.
    """
    if light.driver == "auto":
        try:
            find_pwm_channel(pin, sysfs)
        except PwmError:
            log.info("light: no hardware PWM chip drives GPIO%d: gpiozero's PWM instead", pin)
            light = dataclasses.replace(light, driver="gpiozero")
        else:
            light = dataclasses.replace(light, driver="sysfs")
    if light.driver == "gpiozero":
        return RingLight(pin, frequency_hz, pin_factory, min_duty=light.min_duty)
    if light.pwmchip == "auto":
        chip, channel = find_pwm_channel(pin, sysfs)
    else:
        name = light.pwmchip if light.pwmchip.startswith("pwmchip") else f"pwmchip{light.pwmchip}"
        chip, channel = sysfs / name, light.channel
        if channel < 0:
            channel = find_pwm_channel(pin, sysfs)[1]
    if light.channel >= 0:
        channel = light.channel
    driver = SysfsPWM(chip, channel, light.sysfs_frequency_hz)
    return RingLight(pin, driver=driver, min_duty=light.min_duty)


def light_driver_name(light: LightSettings, pin: int, sysfs: Path = SYSFS_PWM) -> str:
    """Which driver `open_ring_light` takes: "sysfs" or "gpiozero" ("auto" resolved)."""
    if light.driver != "auto":
        return light.driver
    try:
        find_pwm_channel(pin, sysfs)
    except PwmError:
        return "gpiozero"
    return "sysfs"
