"""The kernel's hardware PWM through sysfs: flicker-free dimming at 10 kHz and more.

`dtoverlay=pwm` (or `pwm-2chan`) in config.txt hands GPIO18 to a PWM block and makes it appear
as `/sys/class/pwm/pwmchipN`. Userspace exports a channel (`echo M > pwmchipN/export`), which
creates `pwmchipN/pwmM/` with `period` and `duty_cycle` in nanoseconds and `enable`.

Which chip and channel drive a pin depends on the model, and on a Pi 5 the chip's *number*
changes between kernels, so the chip is found by its device path (the PWM block's address),
never by its number:

- Pi 5: the RP1's PWM0, `1f00098000.pwm`: GPIO12, 13, 18, 19 are its channels 0, 1, 2, 3.
- Pi 4, 3, 2, 1, Zero: the SoC's PWM, `fe20c000.pwm` / `3f20c000.pwm` / `2020c000.pwm`:
  GPIO12 and GPIO18 are channel 0, GPIO13 and GPIO19 channel 1. The 3.5 mm audio jack uses
  both channels: a booth dimming with hardware PWM plays sound through HDMI or USB.

The kernel makes an exported channel's files root's, 0644. Raspberry Pi OS's udev rule
(raspberrypi-sys-mods 20240129, 99-com.rules: `SUBSYSTEM=="pwm", ACTION!="remove",
PROGRAM="/bin/sh -c 'chgrp -R gpio /sys%p && chmod -R g=u /sys%p'"`; an export is a "change"
event of the pwmchip device) hands the chip's directory, the new channel included, to the gpio
group with the owner's rights (0664) a moment later, from udev's own worker. So the driver
waits until the files are writable, for at most `PERMISSION_WAIT_S`, before its first write;
and it leaves the channel exported when it closes, so that a restarted kiosk finds the files
already writable.

Write order. Neither pwm-bcm2835 nor pwm-rp1 reads the hardware's state back, so a freshly
exported channel has period 0. Every sysfs write applies the whole state, and on kernel 6.6
`__pwm_apply` refuses any state with period 0 (or duty above period) with -EINVAL, enabled or
not; upstream accepts a disabled period-0 state only since 6.11. So the period is written first,
whenever the channel's period reads 0, then the duty cycle, then `enable`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from booth.devices.ports.light import LightDriverError

SYSFS_PWM = Path("/sys/class/pwm")
EXPORT_WAIT_S = 2.0
"""The kernel creates an exported channel's directory at once; this bounds the wait for it."""
PERMISSION_WAIT_S = 5.0
"""udev's rule runs a shell over /sys/class/pwm for each uevent: on a busy boot, seconds."""
CHANNEL_FILES = ("period", "duty_cycle", "enable")

PWM_BLOCKS: dict[str, dict[int, int]] = {
    "1f00098000.pwm": {12: 0, 13: 1, 18: 2, 19: 3},
    "fe20c000.pwm": {12: 0, 18: 0, 13: 1, 19: 1},
    "3f20c000.pwm": {12: 0, 18: 0, 13: 1, 19: 1},
    "2020c000.pwm": {12: 0, 18: 0, 13: 1, 19: 1},
}
"""Device name of each known PWM block → {BCM GPIO: channel}."""


class PwmError(LightDriverError):
    """Hardware PWM cannot be used; the message names the path and the fix."""


def find_pwm_channel(gpio: int, sysfs: Path = SYSFS_PWM) -> tuple[Path, int]:
    """The pwmchip directory and channel that drive BCM GPIO `gpio`, found by device path."""
    chips = sorted(sysfs.glob("pwmchip*")) if sysfs.is_dir() else []
    for chip in chips:
        device = Path(os.path.realpath(chip)).parts
        for block, channels in PWM_BLOCKS.items():
            if block in device and gpio in channels:
                return chip, channels[gpio]
    seen = ", ".join(f"{c.name} → {os.path.realpath(c)}" for c in chips) or "no pwmchip at all"
    raise PwmError(
        f"{sysfs}: no hardware PWM chip drives GPIO{gpio} ({seen}); add `dtoverlay=pwm` "
        "(GPIO18) or `dtoverlay=pwm-2chan` to /boot/firmware/config.txt and reboot, or set "
        '[light] pwmchip and channel, or use driver = "gpiozero"'
    )


class SysfsPWM:
    """One hardware PWM channel, as a light driver.

    chip: the pwmchip directory, e.g. /sys/class/pwm/pwmchip2 (see `find_pwm_channel`).
    channel: the channel on that chip.
    frequency: PWM frequency in hertz (period = 1e9 / frequency nanoseconds).
    write_file: writes one sysfs attribute (`Path.write_text`; the board profiles' kernel
    model in the tests, which refuses what that kernel refuses).
    """

    def __init__(
        self,
        chip: Path,
        channel: int,
        frequency: float,
        write_file: Callable[[Path, str], object] = Path.write_text,
    ) -> None:
        self.write_file = write_file
        self.chip = Path(chip)
        self.channel = channel
        self.path = self.chip / f"pwm{channel}"
        if not self.path.is_dir():
            self._write(self.chip / "export", str(channel))
            self._wait_for_channel()
        self._wait_until_writable()
        self._period_ns = 0
        self._duty = 0.0
        self.frequency = frequency
        self._write(self.path / "enable", "1")

    @property
    def frequency(self) -> float:
        """PWM frequency in hertz."""
        return 1e9 / self._period_ns

    @frequency.setter
    def frequency(self, hz: float) -> None:
        if not 1 <= hz <= 50_000_000:
            raise ValueError(f"PWM frequency {hz} Hz is out of range (1 Hz to 50 MHz)")
        period = round(1e9 / hz)
        # The kernel refuses a duty cycle longer than the period, and (6.6) any write while the
        # period is 0: shrink the duty first only where a period is already set.
        if self._read_int(self.path / "period") > 0:
            self._write(self.path / "duty_cycle", "0")
        self._write(self.path / "period", str(period))
        self._period_ns = period
        self.duty = self._duty

    @property
    def duty(self) -> float:
        """Duty cycle 0..1, as last written."""
        return self._duty

    @duty.setter
    def duty(self, value: float) -> None:
        self._duty = min(1.0, max(0.0, float(value)))
        self._write(self.path / "duty_cycle", str(round(self._duty * self._period_ns)))

    def close(self) -> None:
        """Switch off and stop the channel. It stays exported (see the module's docstring)."""
        if self.path.is_dir():
            self._write(self.path / "duty_cycle", "0")
            self._write(self.path / "enable", "0")

    def _wait_for_channel(self) -> None:
        deadline = time.monotonic() + EXPORT_WAIT_S
        while not (self.path / "duty_cycle").exists():
            if time.monotonic() > deadline:
                raise PwmError(f"{self.path}: did not appear after export; is the chip busy?")
            time.sleep(0.01)

    def _wait_until_writable(self) -> None:
        deadline = time.monotonic() + PERMISSION_WAIT_S
        while True:
            locked = [name for name in CHANNEL_FILES if not os.access(self.path / name, os.W_OK)]
            if not locked:
                return
            if time.monotonic() > deadline:
                raise PwmError(
                    f"{self.path / locked[0]}: still not writable {PERMISSION_WAIT_S:g} s after "
                    "export. Raspberry Pi OS's udev rule (99-com.rules) gives /sys/class/pwm to "
                    "the gpio group: check that the booth user is in it (`id booth`) and that "
                    "the rule is there (raspberrypi-sys-mods)"
                )
            time.sleep(0.01)

    @staticmethod
    def _read_int(path: Path) -> int:
        try:
            return int(path.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def _write(self, path: Path, text: str) -> None:
        try:
            self.write_file(path, text)
        except PermissionError:
            raise PwmError(
                f"{path}: permission denied; add the booth user to the gpio group "
                "(Raspberry Pi OS's udev rules give it /sys/class/pwm)"
            ) from None
        except OSError as err:
            raise PwmError(f"{path}: {err.strerror or err}") from None
