"""The ring light port: light output and lightness, the PWM driver's protocol, and what the
kiosk drives.

The light is set in light output (linear, what the camera sees) or in CIE lightness (what the
eye sees). Its PWM comes from a `LightDriver`: the kernel's hardware PWM
(booth.devices.hw_pwm) or gpiozero's `PWMLED` (booth.devices.light), on a booth's pins or on
the simulator's mock pins; `RingLight` (booth.devices.light) puts one behind the `Light` the
kiosk drives.
"""

from __future__ import annotations

from typing import Protocol


class LightDriverError(Exception):
    """The light's PWM driver cannot be used; the message names the path and the fix."""


# CIE 1976 lightness: the eye responds to light roughly as a cube root, so a light dimmed in
# equal steps of duty seems to jump at the bottom and barely move at the top. Staff levels are
# lightness (L*/100, 0..1); the controller and the camera work in light output (Y, 0..1).
_KAPPA = 24389 / 27  # CIE: L* = κ·Y below the linear/cube-root break
_EPSILON = 216 / 24389  # CIE: the break, in Y


def output_for_lightness(lightness: float) -> float:
    """Light output Y (0..1) that looks like `lightness` (L*/100, 0..1)."""
    lstar = 100.0 * min(1.0, max(0.0, float(lightness)))
    if lstar > _KAPPA * _EPSILON:
        return ((lstar + 16.0) / 116.0) ** 3
    return lstar / _KAPPA


def lightness_for_output(output: float) -> float:
    """Lightness (L*/100, 0..1) of light output `output` (Y, 0..1); inverse of the above."""
    y = min(1.0, max(0.0, float(output)))
    if y > _EPSILON:
        return (116.0 * y ** (1.0 / 3.0) - 16.0) / 100.0
    return _KAPPA * y / 100.0


class LightDriver(Protocol):
    """A PWM output: duty cycle 0..1 at a frequency in hertz."""

    @property
    def duty(self) -> float: ...

    @duty.setter
    def duty(self, value: float) -> None: ...

    @property
    def frequency(self) -> float | None: ...

    def close(self) -> None: ...


class Light(Protocol):
    """The ring light as the kiosk drives it: light output 0..1 of full."""

    @property
    def level(self) -> float:
        """The driver's duty, 0..1 (what lights the scene)."""
        ...

    def set(self, output: float) -> None:
        """Set the light output, 0..1 of full light (0: off)."""
        ...

    def close(self) -> None:
        """Switch off and release the pin."""
        ...
