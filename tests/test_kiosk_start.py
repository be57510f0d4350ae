"""The kiosk's start on every board profile: a device that does not open puts the booth out of
order (reason and fix in `booth status`, no traceback on screen), and the kiosk keeps running
and tries again, so systemd never restarts it towards the unit's start limit because of one.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pygame
import pytest
from board_support import PROFILES, KernelPwm, copy_profile, profile_root
from conftest import EXAMPLE_INTERVIEWS
from gpiozero import Button
from gpiozero.pins.mock import MockFactory, MockPWMPin

from booth.config.settings import Devices, LightSettings, Paths, Recording, Settings
from booth.devices.choice import choose_devices
from booth.devices.hw_pwm import PwmError, SysfsPWM
from booth.devices.pi_world import PiWorld
from booth.devices.speaker import ReopeningSpeaker, Speaker
from booth.kiosk.health import Fault
from booth.kiosk.live import build_live_kiosk
from booth.kiosk.start import RETRY_S, OutOfOrder, device_fault, start_or_wait
from booth.sim.alsa_config import install_alsa_config
from booth.sim.camera import SimCamera
from booth.sim.scene import Scene
from booth.sim.virtual_mic import PCM_NAME, MicStream, VirtualMic
from booth.sim.virtual_speaker import VirtualSpeaker
from booth.sim.voice import Voice
from tests.sim_support import PiWorldWithCamera

pytestmark = pytest.mark.slow

BOOTH = Path(sys.executable).with_name("booth")
UNIT = Path(__file__).resolve().parents[1] / "deploy/systemd/booth-kiosk.service"
# picamera2 is in the dev venv (tests/test_picamera2_virtual.py); libcamera only on a Pi (or in
# the virtual camera's own processes): without it PiCamera cannot open a camera.
off_a_pi = pytest.mark.skipif(
    importlib.util.find_spec("libcamera") is not None, reason="libcamera is importable here"
)


def unit_value(key: str) -> str:
    return next(x for x in UNIT.read_text().splitlines() if x.startswith(f"{key}=")).split("=")[1]


# ------------------------------------------------------------------ the whole process
@off_a_pi
@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", PROFILES)
def test_the_kiosk_stays_up_out_of_order_on_every_profile_without_its_camera(name, tmp_path):
    """Off a Pi the camera cannot open (no picamera2): exactly a booth whose camera fails."""
    config = tmp_path / "booth.toml"
    config.write_text(
        '[devices]\nbackend = "pi"\n[display]\nfullscreen = false\nwidth = 320\nheight = 240\n'
        f'[paths]\nspool = "{tmp_path / "spool"}"\nstate = "{tmp_path / "state"}"\n'
        f'interviews = "{EXAMPLE_INTERVIEWS}"\n'
    )
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(30)
    env = {**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify"), "SDL_VIDEODRIVER": "dummy",
           "SDL_AUDIODRIVER": "dummy", "WATCHDOG_USEC": "30000000",
           "WATCHDOG_PID": ""}  # fmt: skip
    kiosk = subprocess.Popen(
        [BOOTH, "kiosk", "--config", config, "--root", profile_root(name)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        messages = []
        while not any("READY=1" in m for m in messages):
            messages.append(notify.recv(4096).decode())
        # systemd sees the start as done: no TimeoutStartSec kill, no restart.
        assert any("STATUS=out of order: camera" in m for m in messages)
        state = json.loads((tmp_path / "state/kiosk.json").read_text())
        assert (state["activity"], state["screen"], state["fault_id"]) == (
            "out-of-order",
            "out-of-order",
            "camera",
        )
        assert "python3-picamera2" in state["fault"] and "every minute" in state["fault"]
        # Watchdog pings keep coming while it waits; the process does not exit.
        assert "WATCHDOG=1" in notify.recv(4096).decode() + notify.recv(4096).decode()
        assert kiosk.poll() is None
    finally:
        kiosk.send_signal(signal.SIGTERM)
        out, err = kiosk.communicate(timeout=20)
        notify.close()
    assert kiosk.returncode == 0, err
    assert "Traceback" not in err + out


def test_the_unit_could_only_reach_its_start_limit_by_exits_which_no_device_causes():
    # systemd counts starts: only a kiosk that exits (or misses READY within TimeoutStartSec)
    # is restarted. The test above shows READY at once and no exit; these keep it that way.
    assert unit_value("Restart") == "always" and unit_value("Type") == "notify"
    assert float(unit_value("TimeoutStartSec")) > 30  # READY comes before any device retry
    assert int(unit_value("StartLimitBurst")) >= 1
    assert RETRY_S == 60


# ------------------------------------------------------------------ each device
@pytest.fixture
def surface():
    pygame.font.init()
    return pygame.Surface((320, 240))


@pytest.fixture
def pins():
    factory = MockFactory(pin_class=MockPWMPin)
    yield factory
    factory.close()


@pytest.fixture
def camera():
    return SimCamera(160, 120, 30, Scene(seed=1))  # the kiosk starts it


def settings_for(tmp_path: Path, mic: str = "", light: str = "gpiozero") -> Settings:
    return dataclasses.replace(
        Settings(),
        booth_id="start-test",
        devices=Devices(backend="pi", mic_device=mic),
        light=LightSettings(driver=light),
        recording=Recording(width=160, height=120, bitrate_bps=300_000),
        paths=Paths(EXAMPLE_INTERVIEWS, tmp_path / "spool", tmp_path / "state"),
    )


@pytest.fixture
def virtual_mic(tmp_path, monkeypatch):
    monkeypatch.setenv("ALSA_CONFIG_PATH", "")
    mic = VirtualMic(
        tmp_path / "mic", Voice(seed=2, level_dbfs=-20.0), MicStream(period_frames=1600)
    )
    install_alsa_config(mic.directory, mic.asoundrc)
    yield mic
    mic.close()


def start(settings, surface, pins, camera, root):
    return build_live_kiosk(settings, surface, PiWorldWithCamera(settings, camera, root, pins))


def start_fault(build) -> Fault:
    with pytest.raises(Exception) as caught:
        build()
    fault = device_fault(caught.value)
    assert fault is not None, caught.value
    return fault


@off_a_pi
def test_a_camera_that_cannot_open_is_a_camera_fault(tmp_path, surface, pins):
    settings = settings_for(tmp_path)
    fault = start_fault(
        lambda: build_live_kiosk(settings, surface, PiWorld(settings, pin_factory=pins))
    )
    assert fault.id == "camera" and "python3-picamera2" in fault.detail
    assert pins.pins == {}  # nothing claimed: the next try finds the pins free


@pytest.mark.parametrize("name", PROFILES)
def test_a_usb_microphone_that_is_not_there_is_a_microphone_fault(name, tmp_path, surface, pins,
                                                                    camera):  # fmt: skip
    # The profile's USB card is not on this machine: ALSA refuses to open it, as on a Pi
    # where it was pulled out after boot.
    settings = settings_for(tmp_path)
    fault = start_fault(lambda: start(settings, surface, pins, camera, profile_root(name)))
    assert fault.id == "microphone" and "plughw:CARD=Device,DEV=0" in fault.detail
    assert "every minute" in fault.detail


def test_a_profile_without_a_capturing_card_names_the_fix(tmp_path, surface, pins, camera):
    root = copy_profile("pi5-dsi-6.6", tmp_path)
    for pcm in root.glob("proc/asound/card2/pcm0c"):
        (pcm / "info").unlink()
        pcm.rmdir()
    fault = start_fault(lambda: start(settings_for(tmp_path), surface, pins, camera, root))
    assert fault.id == "microphone" and "plug in the USB microphone" in fault.detail


def test_hardware_pwm_that_does_not_export_is_a_light_fault(
    tmp_path, surface, pins, camera, virtual_mic
):
    # pi5-dsi-6.6 has dtoverlay=pwm: pwmchip2. Nothing answers the export here, as with a
    # chip some other program holds.
    root = copy_profile("pi5-dsi-6.6", tmp_path)
    settings = settings_for(tmp_path, mic=PCM_NAME, light="auto")
    fault = start_fault(lambda: start(settings, surface, pins, camera, root))
    assert fault.id == "light" and "pwmchip2/pwm2" in fault.detail
    assert pins.pins == {}


def test_pins_another_program_holds_are_a_pins_fault(tmp_path, surface, pins, camera, virtual_mic):
    held = Button(17, pin_factory=pins)  # the record button's pin, taken by someone else
    try:
        settings = settings_for(tmp_path, mic=PCM_NAME)
        root = profile_root("pi4-dsi-6.6")
        fault = start_fault(lambda: start(settings, surface, pins, camera, root))
    finally:
        held.close()
    assert fault.id == "pins" and "17" in fault.detail and "booth doctor" in fault.detail


def test_errors_that_are_not_device_errors_are_not_hidden_as_out_of_order():
    assert device_fault(ValueError("a bug")) is None
    with pytest.raises(ValueError):
        start_or_wait(lambda: (_ for _ in ()).throw(ValueError("a bug")), print, lambda: False,
                      lambda _s: None)  # fmt: skip


def test_the_devices_are_tried_again_every_minute_until_they_open():
    now = [0.0]
    tries: list[float] = []
    shown: list[str] = []

    def build() -> str:
        tries.append(now[0])
        if len(tries) < 3:
            raise PwmError("/sys/class/pwm/pwmchip2/pwm2/period: Invalid argument")
        return "kiosk"

    def wait(seconds: float) -> None:
        now[0] += seconds

    kiosk = start_or_wait(build, lambda f: shown.append(f.id), lambda: False, wait,
                          clock=lambda: now[0])  # fmt: skip
    assert kiosk == "kiosk"
    assert tries == [0.0, 60.0, 120.0]
    # Once a second meanwhile: the screen redrawn, the state written, the watchdog fed.
    assert len(shown) == 120 and set(shown) == {"light"}


def test_a_stop_while_waiting_ends_the_wait():
    calls = []
    result = start_or_wait(
        lambda: (_ for _ in ()).throw(PwmError("no")),
        lambda f: calls.append(f),
        lambda: len(calls) >= 2,
        lambda _s: None,
    )
    assert result is None and len(calls) == 2


# ------------------------------------------------------------------ the speaker
def test_a_speaker_that_is_not_there_is_tried_again_every_minute_and_found(tmp_path, monkeypatch):
    monkeypatch.setenv("ALSA_CONFIG_PATH", "")
    tv = VirtualSpeaker(tmp_path / "tv")  # the TV's speakers, on real ALSA
    install_alsa_config(tv.directory, tv.asoundrc)
    now = [0.0]
    screen_on = [False]

    def choose() -> tuple[str | None, str | None]:
        return (tv.device, None) if screen_on[0] else (None, "no screen sent its EDID")

    speaker = ReopeningSpeaker(choose, Speaker, clock=lambda: now[0])
    assert speaker.device is None and "EDID" in (speaker.fault or "")
    screen_on[0] = True  # the TV is switched on
    now[0] = 30.0
    speaker.poll()
    assert speaker.device is None  # not before the minute is up
    now[0] = 60.0
    speaker.poll()
    assert speaker.device is not None and speaker.fault is None
    speaker.close()


def test_no_speaker_puts_a_booth_with_clips_out_of_order_and_a_text_booth_runs(
    tmp_path, surface, pins, camera, virtual_mic
):
    # pi5-dsi-6.6: Touch Display, HDMI forced on without a screen, no USB speaker.
    settings = settings_for(tmp_path, mic=PCM_NAME)
    kiosk = start(settings, surface, pins, camera, profile_root("pi5-dsi-6.6"))
    try:
        for _ in range(kiosk.fps):  # the health check runs once a second of frames
            kiosk.step()
        assert kiosk.flow.screen == "out-of-order" and kiosk.fault is not None
        assert kiosk.fault.id == "speaker" and "'example' plays sound" in kiosk.fault.detail
        state = json.loads((tmp_path / "state/kiosk.json").read_text())
        assert state["fault_id"] == "speaker" and "EDID" in state["fault"]
        # The same booth with text questions only: no sound needed, no fault.
        assert kiosk.health is not None
        kiosk.health.set_interviews([])
        for _ in range(kiosk.fps):
            kiosk.step()
        assert kiosk.flow.screen == "idle"
    finally:
        kiosk.close()


# ------------------------------------------------------------------ the light on 6.6
def test_the_light_drives_a_fresh_channel_on_a_kernel_that_refuses_period_zero(tmp_path):
    root = copy_profile("pi5-dsi-6.6", tmp_path)
    choice = choose_devices(root).light
    assert (choice.pwmchip, choice.channel) == ("pwmchip2", 2)
    kernel = KernelPwm((root / "proc/sys/kernel/osrelease").read_text())
    chip = root / "sys/class/pwm" / choice.pwmchip
    pwm = SysfsPWM(chip, choice.channel, 20_000, write_file=kernel.write)
    pwm.duty = 0.25
    assert kernel.refused == []
    assert [w[0] for w in kernel.writes[:4]] == ["export", "period", "duty_cycle", "enable"]
    channel = chip / "pwm2"
    assert (channel / "period").read_text() == "50000"
    assert (channel / "duty_cycle").read_text() == "12500"
    assert (channel / "enable").read_text() == "1"
    pwm.frequency = 10_000
    assert (channel / "period").read_text() == "100000" and kernel.refused == []
    pwm.close()
    assert (channel / "enable").read_text() == "0"


@pytest.mark.parametrize(("name", "refused"), [("pi5-dsi-6.6", True), ("pi5-hdmi-6.12", False)])
def test_the_old_order_enable_0_on_a_fresh_channel_is_what_6_6_refuses(name, refused, tmp_path):
    root = copy_profile(name, tmp_path)
    kernel = KernelPwm((root / "proc/sys/kernel/osrelease").read_text())
    light = choose_devices(root).light
    chip = root / "sys/class/pwm" / str(light.pwmchip)
    kernel.write(chip / "export", str(light.channel))
    if refused:
        with pytest.raises(OSError, match="Invalid argument"):
            kernel.write(chip / f"pwm{light.channel}" / "enable", "0")
    else:
        kernel.write(chip / f"pwm{light.channel}" / "enable", "0")


def test_the_candidate_reads_a_calm_sentence_and_staff_read_the_device_and_fix(tmp_path, surface):
    settings = dataclasses.replace(settings_for(tmp_path), language="en", languages=("en",))
    waiting = OutOfOrder(settings, surface)
    fault = device_fault(PwmError("/sys/class/pwm/pwmchip2/pwm2/period: Invalid argument"))
    assert fault is not None
    waiting.draw(fault)
    shown = " ".join(box.text for box in waiting._renderer.text_boxes)
    assert "Sorry, you cannot record here right now." in shown
    assert "pwmchip2" not in shown and "Traceback" not in shown  # the detail is for staff
    waiting.publish(fault)
    state = json.loads((tmp_path / "state/kiosk.json").read_text())
    assert state["fault_id"] == "light" and "pwmchip2/pwm2/period" in state["fault"]


# ------------------------------------------------------------------ the occupied light's unit
@pytest.mark.timeout(60)
def test_the_occupied_light_service_waits_for_its_pin_instead_of_restarting(tmp_path):
    """Off a Pi gpiozero has no pin factory for backend "pi" (BadPinFactory): exactly a pin
    that does not open. The service stays up, says why, and stops cleanly."""
    config = tmp_path / "booth.toml"
    config.write_text(
        f'[devices]\nbackend = "pi"\noccupied_pin = 26\n[paths]\nstate = "{tmp_path}"\n'
    )
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(30)
    env = {**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify"), "GPIOZERO_PIN_FACTORY": ""}
    service = subprocess.Popen(
        [BOOTH, "occupied", "--config", config], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        messages = [notify.recv(4096).decode() for _ in range(2)]
        assert "READY=1" in messages[0]
        assert "occupied light on GPIO26" in messages[1] and "every minute" in messages[1]
        time.sleep(1)
        assert service.poll() is None
    finally:
        service.send_signal(signal.SIGTERM)
        _, err = service.communicate(timeout=20)
        notify.close()
    assert service.returncode == 0 and "Traceback" not in err


def test_installed_interviews_that_no_longer_read_are_a_fault_the_kiosk_waits_out(
    tmp_path, surface, pins, camera, virtual_mic
):
    # A damaged card or a hand edit: `booth kiosk` used to exit 2 at every start, and systemd
    # restarted it towards the unit's start limit.
    interviews = tmp_path / "interviews"
    shutil.copytree(EXAMPLE_INTERVIEWS, interviews)
    damaged = next(interviews.glob("*/interview.toml"))
    damaged.write_text(f"answer_seconds = {'9' * 5000}\n")
    settings = settings_for(tmp_path, mic=PCM_NAME)
    settings = dataclasses.replace(
        settings, paths=dataclasses.replace(settings.paths, interviews=interviews)
    )
    fault = start_fault(lambda: start(settings, surface, pins, camera, profile_root("pi4-dsi-6.6")))
    assert fault.id == "interviews"
    assert str(damaged) in fault.detail and "booth config check" in fault.detail
    assert "every minute" in fault.detail
    assert pins.pins == {}  # nothing claimed: the next try finds the pins free
