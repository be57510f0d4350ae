"""The ring light on gpiozero's lgpio pins, the pin factory of a Bookworm booth.

lgpio (a C library's binding) exists only on a Pi, so a stand-in module records the calls
gpiozero 2.0's real `LGPIOFactory`/`LGPIOPin` make on it: what reaches the PWM is what
lgpio's `tx_pwm(handle, gpio, frequency, duty_percent)` is given.
"""

from __future__ import annotations

import sys
import types

import pytest

from booth.devices.light import GpiozeroPWM, RingLight
from booth.devices.ports.light import output_for_lightness

GPIO_IS_OUT = 1 << 1


def lgpio_standin() -> types.ModuleType:
    lgpio = types.ModuleType("lgpio")
    lgpio.BOTH_EDGES, lgpio.RISING_EDGE, lgpio.FALLING_EDGE = 3, 1, 2
    lgpio.SET_BIAS_DISABLE, lgpio.SET_BIAS_PULL_UP, lgpio.SET_BIAS_PULL_DOWN = 128, 32, 64
    lgpio.modes = {}
    lgpio.pwm = {}
    lgpio.gpiochip_open = lambda chip: 7
    lgpio.gpiochip_close = lambda handle: None
    lgpio.gpio_free = lambda handle, gpio: lgpio.modes.pop(gpio, None)

    def claim_input(handle, gpio, flags=0):
        lgpio.modes[gpio] = 0

    def claim_output(handle, gpio, level=0, flags=0):
        lgpio.modes[gpio] = GPIO_IS_OUT

    def tx_pwm(handle, gpio, frequency, duty, offset=0, cycles=0):
        assert handle == 7 and lgpio.modes[gpio] == GPIO_IS_OUT
        lgpio.pwm[gpio] = (frequency, duty)

    lgpio.gpio_claim_input = claim_input
    lgpio.gpio_claim_output = claim_output
    lgpio.gpio_get_mode = lambda handle, gpio: lgpio.modes[gpio]
    lgpio.gpio_read = lambda handle, gpio: 0
    lgpio.gpio_write = lambda handle, gpio, level: None
    lgpio.tx_pwm = tx_pwm
    return lgpio


@pytest.fixture
def lgpio(monkeypatch):
    import gpiozero.pins.local

    module = lgpio_standin()
    monkeypatch.setitem(sys.modules, "lgpio", module)
    monkeypatch.delitem(sys.modules, "gpiozero.pins.lgpio", raising=False)
    # gpiozero asks the board's revision; a Pi 4 Model B 4GB's.
    monkeypatch.setattr(gpiozero.pins.local, "get_pi_revision", lambda: 0xC03114)
    from gpiozero.pins.lgpio import LGPIOFactory

    factory = LGPIOFactory()
    yield module, factory
    factory.close()
    sys.modules.pop("gpiozero.pins.lgpio", None)


def test_the_light_on_lgpio_is_set_in_fractions_of_a_percent(lgpio):
    module, factory = lgpio
    driver = GpiozeroPWM(18, 1000, pin_factory=factory)
    driver.duty = 0.0123
    frequency, percent = module.pwm[18]
    assert frequency == 1000 and percent == pytest.approx(1.23)  # not gpiozero's int(1.23)
    assert driver.duty == pytest.approx(0.0123)
    driver.duty = 1.0
    assert module.pwm[18][1] == 100
    driver.duty = 0.0
    assert module.pwm[18][1] == 0
    driver.close()


def test_small_steps_of_a_dim_light_reach_the_pin(lgpio):
    # At the idle light (lightness 0.3, output ~6 %) a 2 % change of light is 0.12 % duty:
    # whole percents would make it 0 or a 14 % jump.
    module, factory = lgpio
    light = RingLight(18, 1000, factory)
    idle = output_for_lightness(0.3)
    seen = set()
    for step in range(5):
        light.set(idle * (1 + 0.02 * step))
        seen.add(module.pwm[18][1])
    assert len(seen) == 5
    light.close()
