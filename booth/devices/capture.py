"""`booth devices --capture DIR`: copy what the booth reads from a real Pi into a board profile.

The copy holds exactly the files `booth.devices.choice` and the doctor read, laid out as on the
Pi under `DIR/root/`, beside `expected.json` (the choice the booth made, the keys the profile
tests compare) and a README to complete: the layout of tests/boards/<name>/, so the folder
joins the tests as it is, and `booth devices --root DIR` here shows what the booth decided
there. Links into /sys/devices (a pwmchip's, a gpiochip's) are kept as relative
links inside DIR, because the choice reads the device path they point to. Nothing that
identifies people is read: these are the kernel's descriptions of hardware.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from booth.devices.choice import ASOUND, DRM, GPIO_DEVICES, MODEL, OSRELEASE, PWM, DeviceChoice

FILE_LIMIT = 64 * 1024
"""No file the booth reads is larger (an EDID is 128 bytes per block)."""

PROFILE_ROOT = "root"
"""A profile's folder for the files as laid out on the Pi (tests/boards/<name>/root)."""

EXPECTED_KEYS = (
    "display.connector",
    "display.card",
    "display.sdl_display",
    "microphone.device",
    "speaker.device",
    "light.driver",
    "light.pwmchip",
    "light.channel",
    "gpio.chip",
)
"""The parts of the choice a profile's expected.json pins down."""

DRM_FILES = ("status", "edid", "connector_id", "enabled", "modes")
HWMON_FILES = ("name", "in0_lcrit_alarm")
THERMAL_FILES = ("type", "temp")


def _copy_file(source: Path, target: Path) -> bool:
    try:
        with source.open("rb") as f:
            data = f.read(FILE_LIMIT)
    except OSError:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return True


def _copy_link(root: Path, link: Path, into: Path) -> Path:
    """Recreate `link` (under root) in `into` as a relative link to the same place, creating
    the directory it points to; returns that directory inside `into`."""
    real = Path(os.path.realpath(link))
    relative = real.relative_to(Path(os.path.realpath(root)))
    target = into / relative
    target.mkdir(parents=True, exist_ok=True)
    new_link = into / link.relative_to(root)
    new_link.parent.mkdir(parents=True, exist_ok=True)
    if new_link.is_symlink() or new_link.exists():
        new_link.unlink()
    new_link.symlink_to(os.path.relpath(target, new_link.parent))
    return target


def capture(root: Path, into: Path, choice: DeviceChoice) -> list[Path]:
    """Copy the booth's view of `root` into the new directory `into`; returns the files copied.

    Also writes `choice.json` (what the booth decided when it was captured) and a README.md
    for staff to complete: which screen, sound and light the booth really had.
    """
    into.mkdir(parents=True, exist_ok=False)
    files = into / PROFILE_ROOT
    copied = _capture_sound_and_screens(root, files)
    copied += _capture_pwm_and_gpio(root, files)
    copied += _capture_sensors(root, files)
    (into / "choice.json").write_text(json.dumps(choice.to_json(), indent=2) + "\n")
    (into / "expected.json").write_text(json.dumps(expected_choice(choice), indent=2) + "\n")
    (into / "README.md").write_text(_readme(into.name, choice))
    return copied


def _take(root: Path, into: Path, relative: str, copied: list[Path]) -> None:
    if _copy_file(root / relative, into / relative):
        copied.append(Path(relative))


def _capture_sound_and_screens(root: Path, into: Path) -> list[Path]:
    """The board model, the kernel, the sound cards and the DRM connectors."""
    copied: list[Path] = []
    for relative in (MODEL, OSRELEASE, f"{ASOUND}/cards"):
        _take(root, into, relative, copied)
    for card in sorted((root / ASOUND).glob("card[0-9]*")):
        base = f"{ASOUND}/{card.name}"
        _take(root, into, f"{base}/id", copied)
        _take(root, into, f"{base}/usbid", copied)
        for pcm in sorted(card.glob("pcm*")):
            (into / base / pcm.name).mkdir(parents=True, exist_ok=True)
            _take(root, into, f"{base}/{pcm.name}/info", copied)
    for connector in sorted((root / DRM).glob("card*-*")):
        for name in DRM_FILES:
            _take(root, into, f"{DRM}/{connector.name}/{name}", copied)
    return copied


def _capture_pwm_and_gpio(root: Path, into: Path) -> list[Path]:
    """The PWM chips and GPIO chips, with their device links kept relative."""
    copied: list[Path] = []
    for chip in sorted((root / PWM).glob("pwmchip*")):
        target = _copy_link(root, chip, into) if chip.is_symlink() else into / PWM / chip.name
        target.mkdir(parents=True, exist_ok=True)
        if _copy_file(chip / "npwm", target / "npwm"):
            copied.append(Path(PWM) / chip.name / "npwm")
    for chip in sorted((root / GPIO_DEVICES).glob("gpiochip*")):
        if chip.is_symlink():
            _copy_link(root, chip, into)
            copied.append(Path(GPIO_DEVICES) / chip.name)
    for node in sorted((root / "dev").glob("gpiochip*")):
        new = into / "dev" / node.name
        new.parent.mkdir(parents=True, exist_ok=True)
        if node.is_symlink():
            new.symlink_to(os.readlink(node))
        else:
            new.write_bytes(b"")  # a character device: only its name matters here
        copied.append(Path("dev") / node.name)
    return copied


def _capture_sensors(root: Path, into: Path) -> list[Path]:
    """hwmon and thermal zones (temperature, under-voltage)."""
    copied: list[Path] = []
    for sensor in sorted((root / "sys/class/hwmon").glob("hwmon*")):
        for name in HWMON_FILES:
            _take(root, into, f"sys/class/hwmon/{sensor.name}/{name}", copied)
    for zone in sorted((root / "sys/class/thermal").glob("thermal_zone*")):
        for name in THERMAL_FILES:
            _take(root, into, f"sys/class/thermal/{zone.name}/{name}", copied)
    return copied


def profile_files(root: Path) -> Path:
    """The kernel's files of `root`: a profile folder's `root/` (a capture, tests/boards/<name>),
    else `root` itself (/, or a tree laid out as on the Pi)."""
    inner = root / PROFILE_ROOT
    if inner.is_dir() and not (root / "proc").exists() and not (root / "sys").exists():
        return inner
    return root


def expected_choice(choice: DeviceChoice) -> dict[str, object]:
    """The choice as a profile's expected.json states it."""
    data = choice.to_json()
    flat = {
        f"{part}.{key}": value
        for part, fields in data.items()
        if isinstance(fields, dict)
        for key, value in fields.items()
    }
    return {key: flat.get(key) for key in EXPECTED_KEYS}


def _readme(name: str, choice: DeviceChoice) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = "\n".join(f"    {line}" for line in choice.lines())
    return (
        f"# {name}\n\n"
        f"Captured with `booth devices --capture` on {when}: {choice.model or 'unknown board'}, "
        f"kernel {choice.kernel or 'unknown'}.\n\n"
        "## What the booth really had (fill in before adding this profile to the tests)\n\n"
        "- Screen(s) and where they are plugged in:\n- Microphone:\n- Speaker:\n"
        "- Light (dtoverlay=pwm or not):\n"
        "- The choice in words, as the profile test reads it: `display <connector> on card "
        "<card>`\n\n"
        "## What the booth chose when captured (also in choice.json)\n\n"
        f"{lines}\n"
    )
