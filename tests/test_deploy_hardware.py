"""hardware/: the pin map, the wiring diagram and the boot fragment agree with the software."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from booth.config.settings import Devices, load_settings
from booth.devices.light import DEFAULT_PWM_HZ
from booth.light.settings import LightSettings

pytestmark = pytest.mark.deploy

HARDWARE = Path(__file__).resolve().parents[1] / "hardware"
# BCM GPIO → physical pin on the 40-pin header (the same on every Pi with 40 pins).
HEADER_PIN = {17: 11, 18: 12, 27: 13, 22: 15, 23: 16, 24: 18, 25: 22, 26: 37}
EXAMPLE_SETTINGS = HARDWARE.parent / "config" / "booth.example.toml"


def pin_map() -> dict[str, tuple[int, int]]:
    """Setting → (BCM GPIO, header pin), from the README's pin map table."""
    rows = re.findall(r"^\|[^|]+\| (\d+) \| (\d+) \| `([\w.]+)` \|$", _readme(), re.M)
    return {setting: (int(gpio), int(pin)) for gpio, pin, setting in rows}


def _readme() -> str:
    return (HARDWARE / "README.md").read_text(encoding="utf-8")


def suggested_occupied_pin() -> int:
    """The occupied light's pin that config/booth.example.toml suggests (off by default)."""
    text = EXAMPLE_SETTINGS.read_text(encoding="utf-8")
    match = re.search(r"^# occupied_pin = (\d+) ", text, re.M)
    assert match, "booth.example.toml suggests no occupied_pin"
    return int(match.group(1))


def test_pin_map_matches_the_config_defaults() -> None:
    devices = Devices()
    assert devices.occupied_pin is None  # optional: the map shows where to put it
    expected = {
        "devices.light_pin": devices.light_pin,
        "devices.buttons.record": devices.buttons.record,
        "devices.buttons.next": devices.buttons.next,
        "devices.buttons.back": devices.buttons.back,
        "devices.occupied_pin": suggested_occupied_pin(),
    }
    table = pin_map()
    assert {key: gpio for key, (gpio, _) in table.items()} == expected
    for gpio, pin in table.values():
        assert HEADER_PIN[gpio] == pin


def test_the_occupied_pin_clashes_with_nothing_even_with_every_button_led(tmp_path: Path) -> None:
    gpio, _ = pin_map()["devices.occupied_pin"]
    used = {gpio for key, (gpio, _) in pin_map().items() if key != "devices.occupied_pin"}
    leds = {int(n) for n in re.findall(r"_led` (\d+) \(pin", _readme())}
    assert leds == {23, 24, 25} and gpio not in used | leds
    # And the settings take it beside every optional LED.
    config = tmp_path / "booth.toml"
    config.write_text(
        f'booth_id = "b"\n[devices]\noccupied_pin = {gpio}\n'
        "[devices.buttons]\nrecord_led = 23\nnext_led = 24\nback_led = 25\n"
    )
    assert load_settings(config).devices.occupied_pin == gpio


def test_wiring_diagram_is_valid_svg_with_the_same_pins() -> None:
    tree = ElementTree.parse(HARDWARE / "wiring.svg")
    assert tree.getroot().tag == "{http://www.w3.org/2000/svg}svg"
    text = " ".join(t.text or "" for t in tree.iter("{http://www.w3.org/2000/svg}text"))
    for gpio, pin in pin_map().values():
        assert f"[{pin}] GPIO{gpio}" in text
    parts = ("R1 100 Ω", "R2 10 kΩ", "AO3400A", "D1 SS34", "F1 2 A")
    for part in (*parts, "R3 100 Ω", "R4 10 kΩ", "Q2 AO3400A", "F3 1 A"):
        assert part in text
        assert part.split()[-1] in _readme()


def test_pwm_frequencies_explained_are_the_ones_configured() -> None:
    readme = _readme()
    assert f"light_frequency_hz = {Devices().light_frequency_hz}" in readme
    assert Devices().light_frequency_hz == DEFAULT_PWM_HZ
    assert f"sysfs_frequency_hz = {LightSettings().sysfs_frequency_hz}" in readme


def test_boot_fragment_has_the_camera_the_pwm_overlay_and_the_kms_driver() -> None:
    lines = (HARDWARE / "config.txt").read_text().splitlines()
    settings = [line for line in lines if line and not line.startswith("#")]
    for line in ("camera_auto_detect=1", "dtoverlay=vc4-kms-v3d", "dtoverlay=pwm"):
        assert line in settings
    # Settings after a [pi4] filter apply to the Pi 4 only: the fragment must end in [all].
    assert settings[-1] == "[all]"
