"""Optional arcade buttons (record/stop, next, back…) wired from a GPIO pin to ground.

Each button is a gpiozero `Button` with the Pi's internal pull-up: the pin reads high at rest
and low while pressed. A press calls `on_action(name)` with the booth action it stands for.

Threads: on a Pi, gpiozero calls `on_action` from its own pin-watching thread, never from the
UI thread. The kiosk must therefore only *post* the action to its UI event queue there (for
example `pygame.event.post`, which is thread-safe) and act on it in the main loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from gpiozero import LED, Button
from gpiozero.pins import Factory

DEFAULT_BOUNCE_S = 0.05
"""Contacts of arcade micro-switches chatter for a few milliseconds; 50 ms ignores that and
still feels instant."""


class Buttons:
    """The booth's physical buttons.

    pins: action name → GPIO number (BCM), e.g. {"record": 17, "next": 27, "back": 22}.
    on_action: called with the action name at each press (from gpiozero's thread on a Pi).
    leds: optional action name → GPIO number of the LED inside that button.
    pin_factory: gpiozero pin factory; None for gpiozero's default.
    bounce_time: seconds during which further edges after a change are ignored (None: off).
    """

    def __init__(
        self,
        pins: Mapping[str, int],
        on_action: Callable[[str], None],
        pin_factory: Factory | None = None,
        bounce_time: float | None = DEFAULT_BOUNCE_S,
        leds: Mapping[str, int] | None = None,
    ) -> None:
        self._buttons: dict[str, Button] = {}
        self._leds: dict[str, LED] = {}
        try:
            for name, pin in pins.items():
                button = Button(pin, pull_up=True, bounce_time=bounce_time, pin_factory=pin_factory)
                button.when_pressed = _caller(on_action, name)
                self._buttons[name] = button
            for name, pin in (leds or {}).items():
                self._leds[name] = LED(pin, pin_factory=pin_factory)
        except Exception:
            self.close()
            raise

    @property
    def actions(self) -> list[str]:
        return list(self._buttons)

    def is_pressed(self, action: str) -> bool:
        return bool(self._buttons[action].is_pressed)

    def light(self, action: str, on: bool = True) -> None:
        """Switch the LED inside a button on or off (to show which buttons work right now)."""
        led = self._leds.get(action)
        if led is not None:
            led.value = bool(on)

    def close(self) -> None:
        for device in [*self._buttons.values(), *self._leds.values()]:
            device.close()
        self._buttons.clear()
        self._leds.clear()


def _caller(on_action: Callable[[str], None], name: str) -> Callable[[], None]:
    def pressed() -> None:
        on_action(name)

    return pressed
