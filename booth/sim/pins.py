"""The GPIO seam: which gpiozero pin factory the booth's light and buttons use.

On a Pi, gpiozero picks its own factory (lgpio on a Pi 5). In simulation and in tests every
device shares one `MockFactory` with PWM-capable mock pins, so gpiozero's own code runs and a
test can drive a button pin or read the light's duty from it.
"""

from __future__ import annotations

from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPWMPin

_sim_factory: MockFactory | None = None


def sim_pin_factory() -> MockFactory:
    """The one simulated pin factory of this process (made on first use).

    It also becomes gpiozero's default (`Device.pin_factory`), so devices made without an
    explicit `pin_factory` land on the same mock pins.
    """
    global _sim_factory
    if _sim_factory is None:
        _sim_factory = MockFactory(pin_class=MockPWMPin)
    Device.pin_factory = _sim_factory
    return _sim_factory
