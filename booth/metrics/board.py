"""The board's own health as the Pi reports it in sysfs: SoC temperature and throttle flags.

Only files are read (no vcgencmd, which needs /dev/vcio), so this works inside the sandboxed
booth-metrics.service. Off a Pi, or on a kernel without the file, each answer is None and its
metric is left out rather than reported as a healthy 0.
"""

from __future__ import annotations

from pathlib import Path

THERMAL_ZONE = Path("/sys/class/thermal/thermal_zone0/temp")
# The firmware driver's attribute: under soc/ on a Pi 4, under soc@107c000000/ on a Pi 5.
THROTTLED_GLOB = "devices/platform/soc*/*firmware/get_throttled"
SYS = Path("/sys")
MOUNTS = Path("/proc/self/mounts")

# The firmware's throttle flags (vcgencmd get_throttled): bit N now, bit N + 16 since boot.
THROTTLE_FLAGS = {
    0: "under-voltage",
    1: "arm-frequency-capped",
    2: "throttled",
    3: "soft-temperature-limit",
}


def soc_celsius(zone: Path = THERMAL_ZONE) -> float | None:
    """The SoC temperature in °C (the kernel reports millidegrees), or None."""
    try:
        return int(zone.read_text().strip()) / 1000
    except (OSError, ValueError):
        return None


def throttled_flags(sys: Path = SYS) -> int | None:
    """The firmware's throttle bits (hex in sysfs), or None where the board does not say."""
    for path in sorted(sys.glob(THROTTLED_GLOB)):
        try:
            return int(path.read_text().strip(), 16)
        except (OSError, ValueError):
            continue
    return None


def throttle_states(flags: int) -> dict[str, tuple[bool, bool]]:
    """Each flag by name: (set now, set since boot)."""
    return {
        name: (bool(flags & (1 << bit)), bool(flags & (1 << (bit + 16))))
        for bit, name in THROTTLE_FLAGS.items()
    }


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
