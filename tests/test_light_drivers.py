"""The ring light's drivers: gpiozero's PWMLED on mock pins, and hardware PWM in a sysfs tree."""

import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from booth.devices.hw_pwm import PwmError, SysfsPWM, find_pwm_channel
from booth.devices.light import DEFAULT_PWM_HZ, RingLight, open_ring_light
from booth.devices.ports.light import lightness_for_output, output_for_lightness
from booth.light.settings import LightSettings
from booth.sim.pins import sim_pin_factory
from tests.sim_support import reset_sim_pins


@pytest.fixture
def pins():
    factory = sim_pin_factory()
    yield factory
    reset_sim_pins()


def test_the_light_runs_at_the_cameras_frequency_not_gpiozeros_100_hz(pins):
    light = RingLight(18, pin_factory=pins)
    light.set(0.5)
    assert pins.pin(18).frequency == DEFAULT_PWM_HZ == 1000
    assert pins.pin(18).state == pytest.approx(0.5)
    light.close()


def test_output_above_zero_starts_at_the_led_drivers_minimum_duty(pins):
    light = RingLight(18, pin_factory=pins, min_duty=0.1)
    light.set(0.0)
    assert pins.pin(18).state == 0.0
    light.set(0.01)
    assert pins.pin(18).state == pytest.approx(0.1 + 0.9 * 0.01)
    light.set(1.0)
    assert pins.pin(18).state == pytest.approx(1.0)
    light.close()


def test_equal_lightness_steps_are_cie_lightness_not_equal_duty(pins):
    light = RingLight(18, pin_factory=pins)
    light.set(output_for_lightness(0.5))
    # L* 50 is 18.4 % of full light: half as bright to the eye, not half the duty.
    assert pins.pin(18).state == pytest.approx(0.1842, abs=1e-3)
    assert light.lightness == pytest.approx(0.5)
    for lightness in (0.0, 0.05, 0.08, 0.3, 0.99, 1.0):
        assert lightness_for_output(output_for_lightness(lightness)) == pytest.approx(lightness)
    light.close()


# ------------------------------------------------------------ hardware PWM
def make_chip(root: Path, number: int, device: str, exported: tuple[int, ...] = ()) -> Path:
    """A sysfs tree as the kernel makes it: class/pwm/pwmchipN → devices/.../<device>/pwm/..."""
    real = root / "devices/platform/axi/1000120000.pcie" / device / "pwm" / f"pwmchip{number}"
    real.mkdir(parents=True)
    for name in ("export", "unexport"):
        (real / name).write_text("")
    (real / "npwm").write_text("4\n")
    for channel in exported:
        export_channel(real, channel)
    link = root / "class/pwm" / f"pwmchip{number}"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(real)
    return link


def export_channel(chip: Path, channel: int) -> None:
    d = chip / f"pwm{channel}"
    d.mkdir()
    for name, value in (("period", "0"), ("duty_cycle", "0"), ("enable", "0")):
        (d / name).write_text(value)


def test_the_pi5_chip_for_gpio18_is_found_by_its_device_path_not_its_number(tmp_path):
    make_chip(tmp_path, 0, "1f0009c000.pwm")  # the RP1's other PWM block (the fan's)
    make_chip(tmp_path, 2, "1f00098000.pwm")
    chip, channel = find_pwm_channel(18, tmp_path / "class/pwm")
    assert (chip.name, channel) == ("pwmchip2", 2)


def test_on_a_pi4_gpio18_is_channel_0_of_the_socs_pwm(tmp_path):
    make_chip(tmp_path, 0, "fe20c000.pwm")
    chip, channel = find_pwm_channel(18, tmp_path / "class/pwm")
    assert (chip.name, channel) == ("pwmchip0", 0)


def test_without_the_overlay_staff_are_told_what_to_add_to_config_txt(tmp_path):
    (tmp_path / "class/pwm").mkdir(parents=True)
    with pytest.raises(PwmError, match="dtoverlay=pwm"):
        find_pwm_channel(18, tmp_path / "class/pwm")


def test_hardware_pwm_sets_period_duty_and_enable_in_nanoseconds(tmp_path):
    chip = make_chip(tmp_path, 2, "1f00098000.pwm", exported=(2,))
    pwm = SysfsPWM(chip, 2, 20_000)
    channel = chip / "pwm2"
    assert (channel / "period").read_text() == "50000"
    assert (channel / "enable").read_text() == "1"
    pwm.duty = 0.25
    assert (channel / "duty_cycle").read_text() == "12500"
    pwm.frequency = 10_000
    assert (channel / "period").read_text() == "100000"
    assert (channel / "duty_cycle").read_text() == "25000"  # the duty follows the new period
    pwm.close()
    assert (channel / "enable").read_text() == "0"
    # Left exported: a restart would otherwise wait for udev's permissions all over again.
    assert (chip / "unexport").read_text() == ""
    assert channel.is_dir()


def test_an_unexported_channel_is_exported_and_waited_for(tmp_path):
    chip = make_chip(tmp_path, 2, "1f00098000.pwm")

    def kernel():  # creates the channel once something is written to export, as the kernel does
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            if (chip / "export").read_text().strip() == "2":
                export_channel(chip, 2)
                return
            time.sleep(0.005)

    thread = threading.Thread(target=kernel)
    thread.start()
    pwm = SysfsPWM(chip, 2, 20_000)
    thread.join()
    assert (chip / "pwm2/enable").read_text() == "1"
    pwm.close()


def test_the_sysfs_driver_is_chosen_by_settings_and_keeps_the_min_duty(tmp_path):
    chip = make_chip(tmp_path, 3, "1f00098000.pwm", exported=(2,))
    settings = LightSettings(driver="sysfs", min_duty=0.2)
    light = open_ring_light(settings, 18, 1000, sysfs=tmp_path / "class/pwm")
    light.set(0.5)
    assert (chip / "pwm2/duty_cycle").read_text() == str(round(0.6 * 50_000))
    assert light.level == pytest.approx(0.6)
    light.close()


# The booth user's side runs as nobody, in the system's Python (the venv's lies under /root):
# hw_pwm needs only the standard library.
SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, to play the kernel and udev")
@pytest.mark.skipif(not os.path.exists(SYSTEM_PYTHON), reason="needs Debian's python3")
def test_the_driver_waits_for_udev_to_make_an_exported_channel_writable():
    # The kernel creates pwmN/ with root's 0644 files at export; Raspberry Pi OS's udev rule
    # makes them the gpio group's a moment later. The booth's user writes only after that.
    root = Path(tempfile.mkdtemp(prefix="booth-pwm-", dir="/tmp"))
    try:
        root.chmod(0o755)
        chip = make_chip(root, 2, "1f00098000.pwm")
        (chip / "export").chmod(0o666)  # udev did this at boot for the chip itself
        udev_done = threading.Event()

        def kernel_then_udev():
            deadline = time.monotonic() + 20
            while (chip / "export").read_text().strip() != "2":
                if time.monotonic() > deadline:
                    return
                time.sleep(0.005)
            export_channel(chip, 2)
            files = [chip / "pwm2" / name for name in ("period", "duty_cycle", "enable")]
            for path in files:
                path.chmod(0o644)
            time.sleep(0.3)  # udev's worker runs its shell
            for path in files:
                path.chmod(0o666)
            udev_done.set()

        # The booth user reads booth from a world-readable copy: the checkout itself may lie
        # under a private folder (a clone in a `mktemp -d` directory is 0700).
        source = root / "src"
        shutil.copytree(
            Path(__file__).parents[1] / "booth",
            source / "booth",
            ignore=shutil.ignore_patterns("__pycache__", "locale"),
        )
        for path in [source, *source.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        thread = threading.Thread(target=kernel_then_udev)
        thread.start()
        program = (
            "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
            "from booth.devices.hw_pwm import SysfsPWM;"
            "pwm = SysfsPWM(Path(sys.argv[2]), 2, 20_000); pwm.duty = 0.5; pwm.close()"
        )
        booth_user = subprocess.run(
            [SYSTEM_PYTHON, "-c", program, str(source), str(chip)],
            user=65534,
            group=65534,
            capture_output=True,
            text=True,
            timeout=25,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        thread.join()
        assert udev_done.is_set()
        assert booth_user.returncode == 0, booth_user.stderr
        assert (chip / "pwm2/duty_cycle").read_text() == "0"  # closed: off
        assert (chip / "pwm2/period").read_text() == "50000"
    finally:
        shutil.rmtree(root)


def test_a_booth_with_the_pwm_overlay_dims_with_hardware_pwm_by_default(tmp_path, pins):
    chip = make_chip(tmp_path, 2, "1f00098000.pwm", exported=(2,))
    light = open_ring_light(LightSettings(), 18, 1000, pins, sysfs=tmp_path / "class/pwm")
    assert isinstance(light.driver, SysfsPWM) and light.driver.path == chip / "pwm2"
    light.close()


def test_without_the_overlay_the_default_light_is_gpiozeros(tmp_path, pins):
    (tmp_path / "class/pwm").mkdir(parents=True)
    light = open_ring_light(LightSettings(), 18, 1000, pins, sysfs=tmp_path / "class/pwm")
    assert not isinstance(light.driver, SysfsPWM)
    light.close()
