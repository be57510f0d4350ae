"""The ring light around the camera lens.

A 12 V or 24 V LED ring switched by a logic-level MOSFET whose gate is driven by a PWM-capable
GPIO pin (see hardware/). Brightness is the PWM duty cycle, 0.0 (off) to 1.0 (fully on).
"""

from __future__ import annotations

from gpiozero import PWMLED
from gpiozero.pins import Factory

DEFAULT_PWM_HZ = 1000
"""PWM frequency of the light.

A rolling-shutter camera films PWM as bands unless every sensor row integrates whole PWM
cycles. 1 kHz divides 10 ms, the flicker period of 50 Hz mains lamps, so an exposure quantised
to 10 ms (AeFlickerPeriod 10000) also spans whole light cycles; and 1 kHz stays well inside the
lgpio software PWM limits of a Pi 5 (≤ 10 kHz, 1 % steps). gpiozero's own default, 100 Hz, bands.
"""


class RingLight:
    """The ring light: one PWM output whose duty sets the light on the candidate's face.

    pin: GPIO number (BCM) of the MOSFET gate, e.g. 18 (PWM0 on every Pi model).
    frequency: PWM frequency in hertz (see `DEFAULT_PWM_HZ`).
    pin_factory: gpiozero pin factory; None for gpiozero's default (the real pins on a Pi,
    `booth.devices.gpio.sim_pin_factory()` in simulation).
    """

    def __init__(
        self, pin: int, frequency: int = DEFAULT_PWM_HZ, pin_factory: Factory | None = None
    ) -> None:
        self.pin = pin
        self._led = PWMLED(pin, frequency=frequency, initial_value=0.0, pin_factory=pin_factory)

    @property
    def level(self) -> float:
        """Current duty cycle, 0..1, as gpiozero last set it on the pin."""
        return float(self._led.value)

    @level.setter
    def level(self, value: float) -> None:
        self.set(value)

    @property
    def frequency(self) -> float | None:
        """PWM frequency in hertz, as the pin reports it."""
        return self._led.frequency

    def set(self, level: float) -> None:
        """Set the duty cycle; values outside 0..1 are clamped (a controller may overshoot)."""
        self._led.value = min(1.0, max(0.0, float(level)))

    def off(self) -> None:
        self._led.off()

    def close(self) -> None:
        """Switch off and release the pin."""
        if not self._led.closed:
            self._led.off()
            self._led.close()
