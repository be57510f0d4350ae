"""The real booth's kiosk assembly, as far as it can be tried off a Pi."""

import dataclasses
import importlib.util
import threading
import time

import pygame
import pytest
from conftest import EXAMPLE_INTERVIEWS
from gpiozero.pins.mock import MockFactory, MockPWMPin

from booth.config.settings import Devices, LightSettings, Paths, Recording, Settings
from booth.devices.pi_camera import PiCameraUnavailable
from booth.devices.pi_world import PiWorld, mic_device
from booth.devices.ports.light import output_for_lightness
from booth.kiosk.live import build_live_kiosk
from booth.sim.alsa_config import install_alsa_config
from booth.sim.camera import SimCamera
from booth.sim.scene import Scene
from booth.sim.virtual_mic import PCM_NAME, MicStream, VirtualMic
from booth.sim.virtual_speaker import VirtualSpeaker
from booth.sim.voice import Voice
from tests.sim_support import PiWorldWithCamera

PERIOD = 1600
off_a_pi = pytest.mark.skipif(
    importlib.util.find_spec("libcamera") is not None, reason="libcamera is importable here"
)


@pytest.fixture
def surface():
    pygame.font.init()
    return pygame.Surface((480, 320))


@pytest.fixture
def pins():
    factory = MockFactory(pin_class=MockPWMPin)
    yield factory
    factory.close()


def booth_settings(tmp_path, mic: str = "", speaker: str = "") -> Settings:
    return dataclasses.replace(
        Settings(),
        booth_id="pi-test",
        devices=Devices(backend="pi", mic_device=mic, speaker_device=speaker),
        recording=Recording(width=160, height=120, bitrate_bps=300_000),
        paths=Paths(EXAMPLE_INTERVIEWS, tmp_path / "spool", tmp_path / "state"),
    )


@off_a_pi
def test_off_a_pi_the_kiosk_says_how_to_get_picamera2_and_claims_no_pin(tmp_path, surface, pins):
    with pytest.raises(PiCameraUnavailable) as caught:
        settings = booth_settings(tmp_path)
        build_live_kiosk(settings, surface, PiWorld(settings, pin_factory=pins))
    assert "python3-picamera2" in str(caught.value)
    assert "--system-site-packages" in str(caught.value)
    assert pins.pins == {}
    assert not (tmp_path / "spool").exists()


def test_a_named_mic_setting_is_the_device_the_kiosk_opens(tmp_path):
    # An empty one finds the USB microphone: tests/test_sound_cards.py.
    card = "plughw:CARD=Device,DEV=0"
    assert mic_device(booth_settings(tmp_path, mic=card)) == card


def test_the_mic_thread_feeds_the_level_meter_of_the_real_booths_kiosk(
    tmp_path, surface, pins, monkeypatch
):
    """Everything of the Pi kiosk but the camera (a simulated one stands in): real pins on
    gpiozero's mock factory, the microphone on real ALSA read by its own thread."""
    monkeypatch.setenv("ALSA_CONFIG_PATH", "")
    vmic = VirtualMic(
        tmp_path / "mic", Voice(seed=2, level_dbfs=-20.0), MicStream(period_frames=PERIOD)
    )
    speaker = VirtualSpeaker(tmp_path / "speaker")  # the clips' sound, on real ALSA too
    install_alsa_config(tmp_path, vmic.asoundrc, speaker.asoundrc)
    camera = SimCamera(160, 120, 30, Scene(seed=1))
    settings = booth_settings(tmp_path, mic=PCM_NAME, speaker=speaker.device)
    kiosk = build_live_kiosk(settings, surface, PiWorldWithCamera(settings, camera, pins=pins))
    stop = threading.Event()

    def sound_card() -> None:
        while not stop.is_set():
            vmic.produce(PERIOD)
            time.sleep(PERIOD / 48_000)

    card = threading.Thread(target=sound_card)
    card.start()
    try:
        deadline = time.monotonic() + 5
        while kiosk.meter.rms_dbfs < -40 and time.monotonic() < deadline:
            kiosk.step()
            time.sleep(0.01)
        assert kiosk.meter.rms_dbfs > -40  # the voice reached the meter
        assert kiosk.flow.screen == "idle"
        # Idle: the light controller holds the idle level (lightness 0.3) at 1 kHz.
        idle = output_for_lightness(LightSettings().idle_lightness)
        assert pins.pin(18).frequency == 1000 and pins.pin(18).state == pytest.approx(idle)
    finally:
        kiosk.close()  # stops the reader while the card still delivers, then closes ALSA
        stop.set()
        card.join()
        vmic.close()
    assert not kiosk.devices.mic.running
