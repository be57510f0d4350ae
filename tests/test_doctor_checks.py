"""`booth doctor`'s checks: each against real files laid out like /sys and /proc, real mock pins,
a real tus server, and the whole doctor on a simulated booth."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest
from conftest import EXAMPLE_INTERVIEWS
from gpiozero import Button
from gpiozero.pins.mock import MockFactory, MockPWMPin
from sync_support import booth_config, start_server, write_token

from booth.cli import doctor_cmd
from booth.cli.world import world_for
from booth.config.interview import load_interviews
from booth.config.settings import (
    Buttons,
    Devices,
    LightSettings,
    Recording,
    Settings,
    load_settings,
)
from booth.devices.pi_world import PiWorld
from booth.doctor import checks
from booth.doctor.checks import FAIL, PASS, SKIP, WARN, Check
from booth.doctor.checkup import Board, exit_code, format_checks, run_checks
from booth.doctor.device_checks import camera_check, held_by_kiosk, microphone_check
from booth.doctor.server_check import server_check
from booth.light.curve import CurvePoint, LightCurve
from booth.sim.devices import SimulatedWorld
from booth.state import KioskState
from tests.sim_support import reset_sim_pins


def checked(settings: Settings, board: Board) -> list[Check]:
    """Every check, in the world the booth's settings choose (as `booth doctor` runs them)."""
    with world_for(settings) as world:
        return run_checks(settings, world, board)


CHECKS = [
    "camera",
    "microphone",
    "light",
    "speaker",
    "display",
    "buttons",
    "occupied",
    "disk",
    "privacy",
    "help",
    "spool access",
    "swap",
    "clock",
    "server",
    "throttling",
    "temperature",
]


@pytest.fixture(autouse=True)
def fresh_devices(monkeypatch):
    monkeypatch.setenv("ALSA_CONFIG_PATH", "")  # the virtual mic sets it; restored after
    reset_sim_pins()
    yield
    reset_sim_pins()


def sim_booth(tmp_path: Path, extra: str = "") -> Path:
    """booth.toml of a small simulated booth with the example interview, paths in tmp_path."""
    config = tmp_path / "booth.toml"
    config.write_text(
        'booth_id = "hall-2"\n[devices]\nbackend = "sim"\n'
        "[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 300_000\n"
        f'[paths]\ninterviews = "{EXAMPLE_INTERVIEWS}"\nspool = "{tmp_path}/spool"\n'
        f'state = "{tmp_path}/state"\n' + extra,
        encoding="utf-8",
    )
    return config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ----------------------------------------------------------------- temperature
@pytest.mark.parametrize(
    ("millidegrees", "result"), [("54321\n", PASS), ("72000\n", WARN), ("81500\n", FAIL)]
)
def test_temperature_warns_from_70_and_fails_from_80_degrees(tmp_path, millidegrees, result):
    check = checks.temperature_check(True, write(tmp_path / "temp", millidegrees))
    assert check.result == result
    assert check.detail.startswith(f"{int(millidegrees) / 1000:.1f} °C")
    assert (check.fix is None) == (result == PASS)


def test_a_missing_thermal_zone_warns_on_a_pi_and_is_skipped_elsewhere(tmp_path):
    assert checks.temperature_check(True, tmp_path / "none").result == WARN
    elsewhere = checks.temperature_check(False, tmp_path / "none")
    assert elsewhere.result == SKIP and "not a Pi" in elsewhere.detail


# ------------------------------------------------------------------ throttling
def fake_vcgencmd(tmp_path: Path, flags: str) -> str:
    """A `vcgencmd` that answers `get_throttled` as the firmware's does."""
    tool = write(tmp_path / "vcgencmd", f"#!/bin/sh\necho throttled={flags}\n")
    tool.chmod(0o755)
    return str(tool)


def rpi_volt(root: Path, alarm: str, number: int = 1) -> Path:
    """/sys/class/hwmon as a Pi's kernel lays it out: the SoC's sensor, then rpi_volt."""
    write(root / "hwmon0/name", "cpu_thermal\n")
    write(root / f"hwmon{number}/name", "rpi_volt\n")
    write(root / f"hwmon{number}/in0_lcrit_alarm", alarm + "\n")
    return root


def test_under_voltage_now_fails_with_the_power_supply_fix(tmp_path):
    flags = checks.read_throttled(fake_vcgencmd(tmp_path, "0x50005"))
    assert flags == 0x50005
    check = checks.throttling_check(True, flags)
    assert check.result == FAIL
    assert "now: under-voltage, throttled" in check.detail
    assert "since boot: under-voltage, throttled" in check.detail
    assert "power supply" in check.fix


def test_under_voltage_is_read_from_the_rpi_volt_hwmon_alarm_on_a_pi_4_and_a_pi_5(tmp_path):
    hwmon = rpi_volt(tmp_path / "hwmon", "1")
    assert checks.read_undervoltage(hwmon) is True
    check = checks.throttling_check(True, None, checks.read_undervoltage(hwmon))
    assert check.result == FAIL and "now: under-voltage" in check.detail
    assert "rpi_volt" in check.detail and "power supply" in check.fix
    calm = rpi_volt(tmp_path / "calm", "0")
    assert checks.throttling_check(True, None, checks.read_undervoltage(calm)).result == PASS
    assert checks.read_undervoltage(tmp_path / "no-hwmon") is None


def test_the_doctor_reads_the_hwmon_alarm_not_the_firmwares_sysfs_file(tmp_path):
    write(tmp_path / "model", "Raspberry Pi 5 Model B Rev 1.0\x00")
    board = Board(
        model_file=tmp_path / "model",
        hwmon=rpi_volt(tmp_path / "hwmon", "1"),
        vcgencmd=str(tmp_path / "no-vcgencmd"),
        thermal=tmp_path / "thermal",
    )
    settings = load_settings(sim_booth(tmp_path))
    results = {c.check: c for c in checked(settings, board)}
    assert results["throttling"].result == FAIL
    assert "under-voltage" in results["throttling"].detail


def test_the_temperature_is_the_cpu_thermal_zones(tmp_path):
    write(tmp_path / "thermal_zone0/type", "some-sensor\n")
    write(tmp_path / "thermal_zone1/type", "cpu-thermal\n")
    write(tmp_path / "thermal_zone1/temp", "55123\n")
    zone = checks.cpu_thermal_zone(tmp_path)
    assert zone == tmp_path / "thermal_zone1/temp"
    assert checks.temperature_check(True, zone).detail == "55.1 °C"


def test_throttling_since_boot_only_warns_and_a_hot_pi_is_told_to_cool_down(tmp_path):
    check = checks.throttling_check(True, 0x80000)
    assert check.result == WARN and "soft temperature limit" in check.detail
    assert "heatsink" in check.fix
    assert checks.throttling_check(True, 0).result == PASS


def test_throttling_is_not_asked_off_a_pi_and_warns_when_a_pi_cannot_tell(tmp_path):
    elsewhere = checks.throttling_check(False, None)
    assert (elsewhere.result, elsewhere.detail) == (SKIP, "not a Pi")
    flags = checks.read_throttled(str(tmp_path / "no-vcgencmd"))
    assert flags is None
    check = checks.throttling_check(True, flags, checks.read_undervoltage(tmp_path / "none"))
    assert check.result == WARN and "vcgencmd" in check.fix


# --------------------------------------------------------------------- display
def drm_tree(root: Path, connectors: dict[str, str]) -> tuple[Path, Path]:
    """/dev/dri/card1 and /sys/class/drm/card1-<connector>/status, as vc4 makes them."""
    write(root / "dev/dri/card1", "")
    for name, status in connectors.items():
        write(root / f"sys/class/drm/card1-{name}/status", status + "\n")
    return root / "sys/class/drm", root / "dev/dri"


def test_a_connected_hdmi_screen_passes(tmp_path):
    drm, dri = drm_tree(tmp_path, {"HDMI-A-1": "connected", "HDMI-A-2": "disconnected"})
    check = checks.display_check(PiWorld.checks, drm, dri)
    assert check.result == PASS
    assert check.detail.startswith("the kiosk draws on HDMI-A-1 (card 1, SDL display 0)")


def test_the_doctor_names_the_panel_not_the_forced_hdmi_port_and_fails_a_missing_one(tmp_path):
    drm, dri = drm_tree(tmp_path, {"HDMI-A-1": "connected", "DSI-1": "connected"})
    check = checks.display_check(PiWorld.checks, drm, dri)
    assert check.result == PASS and "draws on DSI-1 (card 1, SDL display 1)" in check.detail
    missing = checks.display_check(PiWorld.checks, drm, dri, connector="HDMI-A-2")
    assert missing.result == FAIL and "'HDMI-A-2' is not on this Pi" in missing.detail


def test_no_screen_connected_fails_naming_each_connector(tmp_path):
    drm, dri = drm_tree(tmp_path, {"HDMI-A-1": "disconnected", "HDMI-A-2": "disconnected"})
    check = checks.display_check(PiWorld.checks, drm, dri)
    assert check.result == FAIL
    assert "card1-HDMI-A-1 disconnected, card1-HDMI-A-2 disconnected" in check.detail
    assert "cable" in check.fix


def test_no_drm_device_fails_with_the_kms_overlay_and_simulation_passes(tmp_path):
    check = checks.display_check(PiWorld.checks, tmp_path / "drm", tmp_path / "dri")
    assert check.result == FAIL and "vc4-kms-v3d" in check.fix
    assert checks.display_check(SimulatedWorld.checks).detail == "simulated"


# The video drivers of the SDL in PyPI's pygame 2.6.1 wheels (x86_64 and aarch64 alike), as
# `sdl_video_drivers()` reads them, and of Debian 12's / Raspberry Pi OS's libsdl2 2.26.5.
WHEEL_SDL = ["x11", "wayland", "offscreen", "dummy", "evdev"]
SYSTEM_SDL = ["x11", "wayland", "kmsdrm", "offscreen", "dummy", "evdev"]


def test_pygames_sdl_without_kmsdrm_fails_the_display_naming_the_fix(tmp_path):
    drm, dri = drm_tree(tmp_path, {"HDMI-A-1": "connected"})
    check = checks.display_check(PiWorld.checks, drm, dri, WHEEL_SDL)
    assert check.result == FAIL and "no KMSDRM video driver" in check.detail
    assert "--no-binary pygame" in check.fix and "libsdl2-dev" in check.fix
    assert checks.display_check(PiWorld.checks, drm, dri, SYSTEM_SDL).result == PASS


def test_the_sdl_drivers_are_read_from_the_library_pygame_loaded():
    import pygame  # noqa: F401  (loads SDL)

    from booth.devices.display import sdl_library, sdl_video_drivers

    library = sdl_library()
    assert library is not None and library.exists()
    drivers = sdl_video_drivers()
    assert "dummy" in drivers and "offscreen" in drivers


def test_a_booth_whose_sdl_lacks_kmsdrm_is_told_so_when_the_kiosk_opens_the_screen(monkeypatch):
    import pygame

    from booth.devices.display import DisplayError, open_display, sdl_video_drivers

    pygame.display.quit()
    monkeypatch.setenv("SDL_VIDEODRIVER", "kmsdrm")
    try:
        with pytest.raises(DisplayError) as raised:
            open_display((320, 240), fullscreen=True)
    finally:
        pygame.display.quit()
    if "kmsdrm" not in sdl_video_drivers():  # PyPI's wheel, as in this venv
        assert "has no 'kmsdrm' video driver" in str(raised.value)
        assert "--no-binary pygame" in str(raised.value)
    else:  # a system SDL on a machine without a screen
        assert "cannot open the display (kmsdrm)" in str(raised.value)


# ----------------------------------------------------------------------- clock
def test_the_clock_fails_when_unsynchronised_and_warns_when_unknown():
    assert checks.clock_check(True, "timedatectl").result == PASS
    assert checks.clock_check(False, "timedatectl").result == FAIL
    # The kernel's flag is what systemd-time-wait-sync waits for: uploads wait on it too.
    assert checks.clock_check(False, "kernel").result == FAIL
    assert checks.clock_check(None, "kernel").result == WARN


def test_without_timedatectl_the_kernel_is_asked():
    synchronized, source = checks.ntp_synchronized("/nonexistent/timedatectl")
    assert source == "kernel" and synchronized in (True, False, None)


# ------------------------------------------------------------------------ disk
def test_the_disk_passes_with_room_for_the_largest_interview(tmp_path):
    interviews, _ = load_interviews(EXAMPLE_INTERVIEWS)
    check = checks.disk_check(tmp_path / "spool", interviews, Recording(disk_margin_bytes=0))
    assert check.result == PASS and "a session needs at most" in check.detail


def test_the_disk_fails_when_the_margin_is_larger_than_the_disk(tmp_path):
    interviews, _ = load_interviews(EXAMPLE_INTERVIEWS)
    huge = Recording(disk_margin_bytes=10**18)
    check = checks.disk_check(tmp_path / "spool", interviews, huge)
    assert check.result == FAIL
    assert "interview 'example'" in check.detail
    assert "booth sync --once" in check.fix


def test_the_disk_warns_when_no_interview_is_installed(tmp_path):
    check = checks.disk_check(tmp_path / "spool", [], Recording())
    assert check.result == WARN and "booth interviews add" in check.fix


# ----------------------------------------------------------- light and buttons
def pwm_chip(root: Path, device: str = "fe20c000.pwm") -> Path:
    """/sys/class/pwm/pwmchip0 → devices/platform/soc/<device>/pwm/pwmchip0, channel 0 there."""
    real = root / "devices/platform/soc" / device / "pwm/pwmchip0"
    for name in ("export", "unexport"):
        write(real / name, "")
    for name in ("period", "duty_cycle", "enable"):
        write(real / "pwm0" / name, "0")
    link = root / "class/pwm/pwmchip0"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    return root / "class/pwm"


def test_the_sysfs_light_opens_and_warns_until_it_is_calibrated(tmp_path):
    sysfs = pwm_chip(tmp_path / "sys")
    light = LightSettings(driver="sysfs")
    state = tmp_path / "state"
    check = checks.light_check(light, Devices(), state, sysfs=sysfs)
    assert check.result == WARN
    assert "GPIO18 on" in check.detail and "not calibrated" in check.detail
    assert check.fix.startswith("booth light calibrate")
    LightCurve.from_points(
        [CurvePoint(0.0, 60_000.0, 100.0), CurvePoint(1.0, 20_000.0, 300.0)]
    ).save(state)
    assert checks.light_check(light, Devices(), state, sysfs=sysfs).result == PASS


def test_a_light_pin_without_hardware_pwm_fails_with_the_overlay_fix(tmp_path):
    sysfs = pwm_chip(tmp_path / "sys", device="1234.other")
    check = checks.light_check(LightSettings(driver="sysfs"), Devices(), tmp_path, sysfs=sysfs)
    assert check.result == FAIL and "dtoverlay=pwm" in check.detail


def test_the_gpiozero_light_opens_on_pwm_pins_and_fails_on_pins_without_pwm(tmp_path):
    pwm_pins = MockFactory(pin_class=MockPWMPin)
    check = checks.light_check(LightSettings(), Devices(), tmp_path, pwm_pins)
    assert check.result == WARN and "GPIO18 at 1000 Hz (gpiozero)" in check.detail
    assert "pin factory mock (MockFactory)" in check.detail
    check = checks.light_check(LightSettings(), Devices(), tmp_path, MockFactory())
    assert check.result == FAIL and "PinPWMUnsupported" in check.detail


def test_the_buttons_claim_their_pins_and_fail_on_a_pin_in_use():
    pins = MockFactory()
    buttons = Buttons(record_led=5)
    check = checks.buttons_check(buttons, pins)
    assert check.result == PASS
    assert check.detail == (
        "pins claimed: record GPIO17, next GPIO27, back GPIO22, record LED GPIO5; "
        "pin factory mock (MockFactory)"
    )
    # Released again: a second doctor finds them free.
    assert checks.buttons_check(buttons, pins).result == PASS
    holder = Button(27, pin_factory=pins)
    try:
        check = checks.buttons_check(buttons, pins)
    finally:
        holder.close()
    assert check.result == FAIL and "next pin GPIO27" in check.detail


def test_without_a_gpio_library_the_fix_is_apts_lgpio(monkeypatch):
    # Off a Pi, as on a Pi whose venv cannot see python3-lgpio: gpiozero finds no factory.
    from gpiozero import Device

    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    monkeypatch.setattr(Device, "pin_factory", None)
    check = checks.buttons_check(Buttons(), None)
    assert check.result == FAIL and "BadPinFactory" in check.detail
    assert "sudo apt install python3-lgpio" in check.fix


# ---------------------------------------------------------------------- server
@pytest.mark.external
def test_the_server_accepts_the_right_token_and_refuses_a_wrong_one(tmp_path):
    token_file = write_token(tmp_path / "server-token")
    with start_server(tmp_path / "store", token_file=token_file) as server:
        settings = load_settings(booth_config(tmp_path, server.url))
        check = server_check(settings)
        # A plain tus server writes no receipts: proof = "upload", which the check warns about.
        assert check.result == WARN, check.detail
        assert "token accepted" in check.detail and server.url in check.detail
        assert "deletions are unproven" in check.detail and 'proof = "receipt"' in check.fix
        write_token(tmp_path / "token", "not-the-token")
        check = server_check(settings)
        assert check.result == FAIL
        assert "401" in check.detail and "token" in check.fix
        assert server.uploads() == {}  # the check creates nothing
    check = server_check(settings)  # the server has stopped
    assert check.result == FAIL and "network" in check.fix


def test_a_booth_without_a_sync_url_only_warns(tmp_path):
    check = server_check(Settings())
    assert check.result == WARN and "[sync] url" in check.fix


# ------------------------------------------------------------ camera and mic
def test_the_simulated_camera_delivers_a_frame_with_its_exposure(tmp_path):
    settings = load_settings(sim_booth(tmp_path))
    with world_for(settings) as world:
        check = camera_check(world.opened_camera)
    assert check.result == PASS
    assert check.detail.startswith("simulated, 160x120: exposure ")


def test_the_pi_camera_off_a_pi_fails_naming_picamera2():
    pi = Settings(devices=Devices(backend="pi"), recording=Recording(width=160, height=120))
    check = camera_check(PiWorld(pi).opened_camera)
    assert check.result == FAIL
    assert "picamera2" in check.detail and "python3-picamera2" in check.fix


def test_the_simulated_microphone_hears_the_candidate(tmp_path):
    settings = load_settings(sim_booth(tmp_path))
    with world_for(settings) as world:
        check = microphone_check(world.live_mic)
    assert check.result == PASS and check.detail.startswith("booth_sim_mic: ")


def test_a_microphone_card_that_is_not_there_fails_naming_the_cards(tmp_path):
    settings = Settings(devices=Devices(backend="pi", mic_device="USB"))
    check = microphone_check(PiWorld(settings).live_mic)
    assert check.result == FAIL
    assert "no sound card named 'USB'" in check.detail and "arecord -l" in check.fix


# -------------------------------------------------------------- whole doctor
def doctor(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="booth")
    doctor_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["doctor", *argv])
    return args.func(args)


def test_doctor_json_on_a_simulated_booth(tmp_path, capsys):
    code = doctor("--config", str(sim_booth(tmp_path)), "--json")
    results = json.loads(capsys.readouterr().out)
    assert [r["check"] for r in results] == CHECKS
    assert all(set(r) == {"check", "result", "detail", "fix"} for r in results)
    by_check = {r["check"]: r for r in results}
    for check in ("camera", "microphone", "buttons", "disk"):
        assert by_check[check]["result"] == PASS, by_check[check]
        assert by_check[check]["fix"] is None
    # A simulated booth has no screen: the display is not checked, and does not pass.
    assert (by_check["display"]["result"], by_check["display"]["detail"]) == (SKIP, "simulated")
    assert by_check["light"]["result"] == WARN  # never calibrated in this state directory
    assert by_check["server"]["result"] == WARN  # no [sync] url
    failed = [r for r in results if r["result"] == FAIL]
    assert all(r["fix"] for r in results if r["result"] in (WARN, FAIL))
    assert code == (1 if failed else 0)


def test_doctor_text_lists_each_check_with_its_fix(tmp_path, capsys):
    doctor("--config", str(sim_booth(tmp_path)))
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[0].startswith("PASS  camera ")
    assert any(line.startswith("WARN  server ") for line in lines)
    assert "fix: set [sync] url and token_file" in text
    assert any(line.startswith("SKIP  display ") for line in lines)
    assert "warn" in lines[-1] and "skipped" in lines[-1]


def test_while_the_kiosk_runs_its_own_verdict_is_reported_and_nothing_is_opened(tmp_path):
    settings = load_settings(sim_booth(tmp_path))
    KioskState(
        activity="out-of-order",
        screen="out-of-order",
        fault="microphone: microphone delivers only silence (check the USB microphone)",
        updated="2026-03-02T09:00:00+00:00",
        idle_since=None,
        pid=os.getpid(),
    ).write(settings.paths.state)
    board = Board(model_file=tmp_path / "no-model")
    results = {c.check: c for c in checked(settings, board)}
    assert list(results) == CHECKS
    assert results["camera"].result == PASS and "running kiosk" in results["camera"].detail
    assert results["microphone"].result == FAIL
    assert "delivers only silence" in results["microphone"].detail
    assert "in use by the running kiosk" in results["buttons"].detail
    assert results["buttons"].result == SKIP and "stop the kiosk" in results["buttons"].fix
    assert results["light"].result == WARN  # the curve is still looked for
    assert results["light"].fix.startswith("booth light calibrate")
    assert exit_code(list(results.values())) == 1
    assert "fix: see the journal" in format_checks(list(results.values()))


def test_the_light_the_kiosk_holds_is_skipped_not_passed_even_when_calibrated(tmp_path):
    settings = load_settings(sim_booth(tmp_path))
    LightCurve.from_points(
        [CurvePoint(0.0, 60_000.0, 100.0), CurvePoint(1.0, 20_000.0, 300.0)]
    ).save(settings.paths.state)
    KioskState("idle", "idle", None, "2026-03-02T09:00:00+00:00", None, os.getpid()).write(
        settings.paths.state
    )
    results = {c.check: c for c in checked(settings, Board(model_file=tmp_path / "none"))}
    light = results["light"]
    assert light.result == SKIP and "not opened" in light.detail and "calibrated" in light.detail
    assert "stop the kiosk" in light.fix
    assert results["camera"].result == results["microphone"].result == PASS
    text = format_checks(list(results.values()))
    assert "SKIP  light " in text and "fix: to check them, stop the kiosk" in text


def test_a_camera_fault_of_the_kiosk_leaves_its_microphone_unjudged():
    kiosk = KioskState("out-of-order", "out-of-order", "camera: no frames", "", None, 1)
    assert held_by_kiosk("camera", kiosk).result == FAIL
    microphone = held_by_kiosk("microphone", kiosk)
    assert microphone.result == SKIP and "camera fault first" in microphone.detail


def test_skipped_checks_do_not_fail_the_booth_and_are_counted():
    results = [Check("disk", PASS, "fine"), Check("display", SKIP, "simulated")]
    assert exit_code(results) == 0
    assert format_checks(results).splitlines()[-1] == "all checks that ran pass, 1 skipped"
    assert format_checks(results[:1]).splitlines()[-1] == "all checks pass"
    assert exit_code([*results, Check("clock", FAIL, "not synchronised", "fix it")]) == 1
    assert checks.worst(PASS, SKIP) == SKIP and checks.worst(SKIP, WARN) == WARN


def test_an_autofocus_camera_reports_its_lens_and_a_failed_focus_warns(tmp_path):
    from contextlib import contextmanager

    settings = load_settings(sim_booth(tmp_path))

    def camera_with_lens(lens):
        @contextmanager
        def opened():
            with world_for(settings) as world, world.opened_camera() as camera:
                camera.lens = lens  # what PiCamera reads from the frames' AfState/LensPosition
                yield camera

        return opened

    focused = camera_check(camera_with_lens("focused, lens at 1.25 dioptres (0.80 m)"))
    assert focused.result == PASS
    assert focused.detail.endswith("; focus focused, lens at 1.25 dioptres (0.80 m)")
    failed = camera_check(camera_with_lens("failed, lens at 1.00 dioptres (1.00 m)"))
    assert failed.result == WARN and "autofocus found no sharp picture" in failed.detail
    assert '[camera] focus = "distance"' in failed.fix


def test_doctor_warns_when_candidates_are_told_no_way_to_reach_staff(tmp_path):
    settings = load_settings(sim_booth(tmp_path))
    check = checks.help_check(settings)
    assert check.result == WARN and "[help] not set" in check.detail
    assert "Ask the staff here for help." in check.detail and "[help] text" in check.fix
    helped = load_settings(
        sim_booth(tmp_path, '[help]\ntext = { sv = "Ring på klockan." }\nphone = "031-1"\n')
    )
    check = checks.help_check(helped)
    assert check.result == WARN and "text has no en" in check.detail
    helped = load_settings(sim_booth(tmp_path, '[help]\ntext = "Ring the bell."\n'))
    check = checks.help_check(helped)
    assert check.result == PASS and check.detail == "the help screen shows text (all)"
