"""The "occupied" light outside the booth's door: a lamp or a small LED sign that tells people in
the corridor that someone is recording inside, like a studio's "on air" light.

One GPIO pin switches it through gpiozero's `LED`: a 12 V lamp through a logic-level MOSFET (the
same circuit as the ring light, see hardware/), or a 5 V LED sign through a transistor. The light
is on, off, or blinking; blinking is timed from the clock the caller passes in, not from a
thread of its own, so a simulated booth blinks in virtual time and a test can tell exactly when.
"""

from __future__ import annotations

from gpiozero import LED
from gpiozero.pins import Factory

OFF = "off"
ON = "on"
BLINK = "blink"
MODES = (OFF, ON, BLINK)

BLINK_PERIOD_S = 1.0
"""One blink, on then off, in seconds: 0.5 s lit, 0.5 s dark. Slow enough to read as "recording"
from down a corridor and far below 3 flashes a second, the limit above which flashing light can
trigger seizures (WCAG 2.3.1)."""


class OccupiedLight:
    """The occupied light on BCM GPIO `pin`.

    pin: GPIO number (BCM) of the MOSFET's gate or the sign's transistor, e.g. 26 (header pin 37).
    pin_factory: gpiozero pin factory; None for gpiozero's default (lgpio on a Pi 5, mock pins in
    simulation).
    active_high: True when a high pin lights the lamp (the MOSFET circuit of hardware/).

    The light starts off. `show(mode, now)` sets it: "on", "off", or "blink" (lit for the first
    half of each `BLINK_PERIOD_S` counted from when blinking began). Call `show` at least ten
    times a second while blinking.
    """

    def __init__(
        self, pin: int, pin_factory: Factory | None = None, *, active_high: bool = True
    ) -> None:
        self.pin = pin
        self._led = LED(pin, active_high=active_high, initial_value=False, pin_factory=pin_factory)
        self._mode = OFF
        self._blink_from = 0.0

    @property
    def led(self) -> LED:
        """gpiozero's device (its `pin` is a `MockPin` in simulation)."""
        return self._led

    @property
    def mode(self) -> str:
        """What the light shows: "off", "on" or "blink"."""
        return self._mode

    @property
    def lit(self) -> bool:
        """Whether the lamp is lit at this instant (a blinking light is lit half the time)."""
        return bool(self._led.is_lit)

    def show(self, mode: str, now: float) -> None:
        """Show `mode` at `now` (seconds of any steady clock)."""
        if mode not in MODES:
            raise ValueError(f"occupied light mode {mode!r} is not one of {', '.join(MODES)}")
        if mode == BLINK and self._mode != BLINK:
            self._blink_from = now
        self._mode = mode
        if mode == BLINK:
            # In whole milliseconds: a float a hair short of a period must not count as dark.
            period_ms = round(BLINK_PERIOD_S * 1000)
            lit = round((now - self._blink_from) * 1000) % period_ms < period_ms // 2
        else:
            lit = mode == ON
        if bool(self._led.is_lit) != lit:
            self._led.value = lit

    def off(self) -> None:
        self._mode = OFF
        self._led.off()

    def close(self) -> None:
        """Switch off and release the pin (gpiozero makes it an input: R2 holds the gate low)."""
        if not self._led.closed:
            self._led.off()
            self._led.close()
