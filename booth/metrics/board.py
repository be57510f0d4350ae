"""The board's own health as the Pi reports it: SoC temperature, under-voltage, throttling.

- temperature: the kernel's thermal zone of type "cpu-thermal" (millidegrees);
- under-voltage now: the raspberrypi-hwmon sensor "rpi_volt" raises `in0_lcrit_alarm` while
  the supply is low (it asks the firmware every 2 s, on the Pi 4 and the Pi 5);
- the firmware's throttle flags: `vcgencmd get_throttled` (booth-metrics.service may open
  /dev/vcio for it). Not the firmware's sysfs `get_throttled`: it exists only on a Pi 4, and
  reading it logs a kernel warning with a backtrace.

Off a Pi, or where a source is missing, the answer is None and its metric is left out rather
than reported as a healthy 0.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

THERMAL = Path("/sys/class/thermal")
HWMON = Path("/sys/class/hwmon")
MOUNTS = Path("/proc/self/mounts")
VCGENCMD = "vcgencmd"

# The firmware's throttle flags (vcgencmd get_throttled): bit N now, bit N + 16 since boot.
# raspberrypi-hwmon clears the sticky under-voltage bit every 2 s, so "since boot" is not.
THROTTLE_FLAGS = {
    0: "under-voltage",
    1: "arm-frequency-capped",
    2: "throttled",
    3: "soft-temperature-limit",
}
UNDER_VOLTAGE = THROTTLE_FLAGS[0]


def soc_celsius(thermal: Path = THERMAL) -> float | None:
    """The SoC temperature in °C from the "cpu-thermal" zone (zone 0 on a Pi 4 and 5), or None."""
    zones = sorted(thermal.glob("thermal_zone*"))
    for zone in zones:
        try:
            if (zone / "type").read_text().strip() != "cpu-thermal":
                continue
            return int((zone / "temp").read_text().strip()) / 1000
        except (OSError, ValueError):
            continue
    return None


def under_voltage(hwmon: Path = HWMON) -> bool | None:
    """Whether the supply is under-voltage now (the rpi_volt sensor's alarm), or None."""
    for sensor in sorted(hwmon.glob("hwmon*")):
        try:
            if (sensor / "name").read_text().strip() != "rpi_volt":
                continue
            return (sensor / "in0_lcrit_alarm").read_text().strip() != "0"
        except OSError:
            continue
    return None


def throttled_flags(vcgencmd: str = VCGENCMD) -> int | None:
    """The firmware's throttle bits from `vcgencmd get_throttled`, or None when it does not
    answer (not a Pi, no /dev/vcio)."""
    try:
        done = subprocess.run(
            [vcgencmd, "get_throttled"], capture_output=True, text=True, timeout=5
        )
        return int(done.stdout.strip().partition("=")[2], 16)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def throttle_states(flags: int | None, low_voltage: bool | None) -> dict[str, bool] | None:
    """Each flag by name, set now: vcgencmd's bits, with the hwmon alarm for under-voltage
    (either may be missing; None when both are)."""
    if flags is None and low_voltage is None:
        return None
    states = {}
    if flags is not None:
        states = {name: bool(flags & (1 << bit)) for bit, name in THROTTLE_FLAGS.items()}
    if low_voltage is not None:
        states[UNDER_VOLTAGE] = states.get(UNDER_VOLTAGE, False) or low_voltage
    return states


def root_is_overlay(mounts: Path = MOUNTS) -> bool | None:
    """Whether / is mounted as an overlay (the read-only root of deploy/install.sh
    --read-only-root), or None when the mount table cannot be read. On a Pi 5 the overlay has
    been seen to stay off silently (raspberrypi/bookworm-feedback#326): this tells."""
    try:
        lines = mounts.read_text().splitlines()
    except OSError:
        return None
    for line in reversed(lines):  # the last mount on / is the one in effect
        fields = line.split()
        if len(fields) >= 3 and fields[1] == "/":
            return fields[2] == "overlay"
    return None
