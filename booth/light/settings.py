"""The `[light]` settings: which PWM drives the ring light, and what the controller aims at.

Pin and frequency of the gpiozero driver stay in `[devices]` (light_pin, light_frequency_hz).
"""

from __future__ import annotations

from pathlib import Path

from gpiozero.pins import Factory

from booth.config.settings import DRIVERS, LightSettings  # noqa: F401 (re-exported)
from booth.devices.hw_pwm import SYSFS_PWM, SysfsPWM, find_pwm_channel
from booth.devices.light import RingLight


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
    names one, and runs at `light.sysfs_frequency_hz`. Raises PwmError with the fix.
    """
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
