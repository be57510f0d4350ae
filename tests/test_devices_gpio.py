"""Ring light and buttons on gpiozero's own MockFactory with PWM-capable mock pins."""

import pytest
from gpiozero import Device
from gpiozero.exc import GPIOPinInUse

from booth.devices.buttons import Buttons
from booth.devices.light import DEFAULT_PWM_HZ, RingLight
from booth.sim.pins import sim_pin_factory
from tests.sim_support import reset_sim_pins


@pytest.fixture
def pins():
    factory = sim_pin_factory()
    yield factory
    Device.pin_factory.reset()


def test_sim_factory_is_shared_and_is_gpiozeros_default(pins):
    assert sim_pin_factory() is pins
    assert Device.pin_factory is pins


def test_ring_light_sets_the_pwm_duty_on_its_pin(pins):
    light = RingLight(18)
    light.set(0.4)
    assert pins.pin(18).state == pytest.approx(0.4)
    assert light.level == pytest.approx(0.4)
    assert pins.pin(18).frequency == DEFAULT_PWM_HZ
    light.level = 0.75
    assert pins.pin(18).state == pytest.approx(0.75)
    light.off()
    assert pins.pin(18).state == 0
    light.close()


def test_ring_light_clamps_levels_outside_zero_to_one(pins):
    light = RingLight(18)
    light.set(1.7)
    assert light.level == 1.0
    light.set(-0.2)
    assert light.level == 0.0
    light.close()


def test_ring_light_starts_dark_and_releases_its_pin_on_close(pins):
    light = RingLight(18, frequency=500)
    assert light.level == 0.0 and light.frequency == 500
    with pytest.raises(GPIOPinInUse):
        RingLight(18)
    light.set(1.0)
    light.close()
    assert pins.pin(18).state == 0
    again = RingLight(18)
    again.close()


def test_reset_forgets_pins_between_runs(pins):
    RingLight(12)
    reset_sim_pins()
    RingLight(12).close()


def test_buttons_report_their_action_when_pressed(pins):
    pressed = []
    buttons = Buttons({"record": 17, "next": 27}, pressed.append, bounce_time=None)
    pins.pin(17).drive_low()
    assert pressed == ["record"]
    assert buttons.is_pressed("record")
    pins.pin(17).drive_high()
    pins.pin(27).drive_low()
    pins.pin(27).drive_high()
    assert pressed == ["record", "next"]
    buttons.close()


def test_releasing_a_button_is_not_an_action(pins):
    pressed = []
    buttons = Buttons({"back": 22}, pressed.append, bounce_time=None)
    pins.pin(22).drive_low()
    pins.pin(22).drive_high()
    pins.pin(22).drive_high()
    assert pressed == ["back"]
    buttons.close()


def test_button_leds_light_on_request(pins):
    buttons = Buttons({"record": 17}, lambda _: None, bounce_time=None, leds={"record": 5})
    buttons.light("record")
    assert pins.pin(5).state
    buttons.light("record", on=False)
    assert not pins.pin(5).state
    buttons.light("next")  # no LED there: nothing happens
    buttons.close()


def test_a_clash_on_a_pin_releases_the_buttons_already_made(pins):
    light = RingLight(18)
    with pytest.raises(GPIOPinInUse):
        Buttons({"record": 17, "next": 18}, lambda _: None)
    Buttons({"record": 17}, lambda _: None).close()  # 17 was released
    light.close()
