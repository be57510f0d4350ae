"""The ring light around the camera lens.

A 12 V or 24 V LED ring switched by a logic-level MOSFET whose gate is driven by a PWM-capable
GPIO pin (see hardware/). Two drivers make the PWM, behind one `LightDriver` interface:
the kernel's hardware PWM through sysfs (booth/devices/hw_pwm.py), which a booth uses by
default wherever `dtoverlay=pwm` gives the light's pin a PWM chip, and gpiozero's `PWMLED`
(software PWM through lgpio, in fractions of a percent) otherwise. `RingLight` adds what the
light means to people and to the camera: light output (linear, what the camera sees), CIE
lightness (what the eye sees) and the LED driver's minimum duty.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

from gpiozero import PWMLED
from gpiozero.pins import Factory

from booth.config.settings import LightSettings
from booth.devices.hw_pwm import SYSFS_PWM, PwmError, SysfsPWM, find_pwm_channel
from booth.devices.ports.light import LightDriver, lightness_for_output

log = logging.getLogger(__name__)

DEFAULT_PWM_HZ = 1000
"""PWM frequency of the light.

A rolling-shutter camera films PWM as bands unless every sensor row integrates whole PWM
cycles. 1 kHz divides 10 ms, the flicker period of 50 Hz mains lamps, so an exposure quantised
to 10 ms (AeFlickerPeriod 10000) also spans whole light cycles; and 1 kHz stays well inside the
lgpio software PWM limits of a Pi 5 (≤ 10 kHz, 1 % steps). gpiozero's own default, 100 Hz, bands.
"""


class GpiozeroPWM:
    """gpiozero's PWMLED on BCM pin `pin` at `frequency` Hz, as a light driver.

    On lgpio (gpiozero's pin factory on Bookworm) the duty is set in fractions of a percent:
    gpiozero 2.0's `LGPIOPin` hands lgpio `int(value * 100)`, whole percent steps, which at the
    idle light are about 14 % of the light (far above the light controller's 2 % deadband: the
    light hunts, and outputs under 1 % switch off), while lgpio's `tx_pwm` takes a float
    percentage, timed in microseconds (0.1 % steps at 1 kHz).
    """

    def __init__(self, pin: int, frequency: float, pin_factory: Factory | None = None) -> None:
        self._led = PWMLED(pin, frequency=frequency, initial_value=0.0, pin_factory=pin_factory)
        self._duty = 0.0

    @property
    def led(self) -> PWMLED:
        """gpiozero's device (its `pin_factory` says which GPIO library drives it)."""
        return self._led

    @property
    def duty(self) -> float:
        return self._duty

    @duty.setter
    def duty(self, value: float) -> None:
        self._duty = min(1.0, max(0.0, float(value)))
        self._led.value = self._duty
        pin = self._led.pin
        if type(pin).__name__ == "LGPIOPin" and 0.0 < self._duty < 1.0:
            _fractional_lgpio_duty(pin, self._duty)

    @property
    def frequency(self) -> float | None:
        return self._led.frequency

    def close(self) -> None:
        if not self._led.closed:
            self._led.off()
            self._led.close()


def _fractional_lgpio_duty(pin: Any, duty: float) -> None:
    """Set `duty` (0..1) on gpiozero 2.0's LGPIOPin without its whole-percent rounding: the
    same `lgpio.tx_pwm` call it makes (on its factory's chip handle), with the percentage as a
    float, and the pin's record of it kept so that gpiozero reads the value back."""
    import lgpio  # only where gpiozero's lgpio pins are in use

    frequency, _ = pin._pwm
    lgpio.tx_pwm(pin.factory._handle, pin._number, frequency, duty * 100)
    pin._pwm = (frequency, duty * 100)


class RingLight:
    """The ring light: one PWM output whose duty sets the light on the candidate's face.

    pin: GPIO number (BCM) of the MOSFET gate, e.g. 18 (PWM0 on every Pi model).
    frequency: PWM frequency in hertz (see `DEFAULT_PWM_HZ`).
    pin_factory: gpiozero pin factory; None for gpiozero's default (the real pins on a Pi,
    `booth.sim.pins.sim_pin_factory()` in simulation).
    driver: another `LightDriver` (e.g. `SysfsPWM`) instead of gpiozero on `pin`.
    min_duty: the duty below which the LED driver stays dark; any output above 0 starts there,
    so the first step of the light is visible.
    """

    def __init__(
        self,
        pin: int = 18,
        frequency: int = DEFAULT_PWM_HZ,
        pin_factory: Factory | None = None,
        *,
        driver: LightDriver | None = None,
        min_duty: float = 0.0,
    ) -> None:
        if not 0.0 <= min_duty < 1.0:
            raise ValueError(f"min_duty {min_duty} must be at least 0 and below 1")
        self.pin = pin
        self.min_duty = min_duty
        self.driver: LightDriver = driver or GpiozeroPWM(pin, frequency, pin_factory)
        self._output = 0.0

    @property
    def level(self) -> float:
        """Current duty cycle, 0..1, as the driver last set it (what lights the scene)."""
        return self.driver.duty

    @level.setter
    def level(self, value: float) -> None:
        self.set(value)

    @property
    def output(self) -> float:
        """Light output, 0..1 of the ring's full light, as last set."""
        return self._output

    @property
    def lightness(self) -> float:
        """How bright the light looks (CIE L*/100, 0..1)."""
        return lightness_for_output(self._output)

    @property
    def frequency(self) -> float | None:
        """PWM frequency in hertz, as the driver reports it."""
        return self.driver.frequency

    def set(self, output: float) -> None:
        """Set the light output (0..1 of full light; clamped: a controller may overshoot).

        Output 0 is off; above 0 the duty runs from `min_duty` to 1.
        """
        out = min(1.0, max(0.0, float(output)))
        self._output = out
        self.driver.duty = 0.0 if out == 0.0 else self.min_duty + (1.0 - self.min_duty) * out

    def off(self) -> None:
        self.set(0.0)

    def close(self) -> None:
        """Switch off and release the pin."""
        self.driver.close()


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
