"""Which ALSA devices a booth records from and plays to: /proc/asound as a Pi lays it out."""

from __future__ import annotations

from pathlib import Path

import pytest

from booth.config.settings import Devices, Settings
from booth.devices.pi_world import PiWorld, mic_device
from booth.devices.ports.microphone import MicrophoneError
from booth.devices.ports.speaker import SpeakerError
from booth.devices.sound_cards import choose_mic, sound_cards, speaker_pcm
from booth.doctor.checks import FAIL, PASS, SKIP, WARN
from booth.doctor.device_checks import speaker_check
from booth.sim.devices import SimulatedWorld


def load_example() -> list:
    from conftest import EXAMPLE_INTERVIEWS

    from booth.config.interview import load_interviews

    return load_interviews(EXAMPLE_INTERVIEWS)[0]


PI5_WITH_USB_MIC = {
    0: ("vc4hdmi0", "vc4-hdmi", "vc4-hdmi-0", "p", False),
    1: ("vc4hdmi1", "vc4-hdmi", "vc4-hdmi-1", "p", False),
    2: ("Device", "USB-Audio", "USB PnP Sound Device", "pc", True),
}


def asound(root: Path, cards: dict[int, tuple[str, str, str, str, bool]]) -> Path:
    """/proc/asound: `cards`, and per card its PCM directories (pcm0p, pcm0c) and usbid."""
    lines = []
    for index, (card_id, driver, name, pcms, usb) in cards.items():
        lines += [f"{index:2d} [{card_id:<15}]: {driver} - {name}", f"{'':22}{name}"]
        card = root / f"card{index}"
        card.mkdir(parents=True)
        for kind in pcms:
            (card / f"pcm0{kind}").mkdir()
        if usb:
            (card / "usbid").write_text("0d8c:0014\n")
    root.mkdir(parents=True, exist_ok=True)
    (root / "cards").write_text("\n".join(lines) + "\n")
    return root


def test_the_cards_are_read_with_what_they_can_do(tmp_path):
    cards = sound_cards(asound(tmp_path, PI5_WITH_USB_MIC))
    assert [(c.index, c.id, c.capture, c.usb, c.hdmi) for c in cards] == [
        (0, "vc4hdmi0", False, False, True),
        (1, "vc4hdmi1", False, False, True),
        (2, "Device", True, True, False),
    ]


def test_with_no_mic_named_the_booth_records_from_the_usb_card_that_captures(tmp_path):
    # ALSA's default is card 0, a Pi's HDMI output, which cannot capture.
    proc = asound(tmp_path / "proc/asound", PI5_WITH_USB_MIC)
    settings = Settings(devices=Devices(backend="pi", mic_device=""))
    assert mic_device(settings, tmp_path) == "plughw:CARD=Device,DEV=0"
    device, why = choose_mic("", proc)
    assert "first USB card that captures" in why and "card 2 'Device'" in why


def test_a_named_mic_is_used_as_named(tmp_path):
    proc = asound(tmp_path, PI5_WITH_USB_MIC)
    assert choose_mic("plughw:CARD=Other,DEV=0", proc) == (
        "plughw:CARD=Other,DEV=0",
        "[devices] mic_device = 'plughw:CARD=Other,DEV=0'",
    )


def test_without_a_capturing_card_staff_are_told_to_plug_the_microphone_in(tmp_path):
    proc = asound(tmp_path, {0: PI5_WITH_USB_MIC[0], 1: PI5_WITH_USB_MIC[1]})
    with pytest.raises(MicrophoneError, match="no sound card can capture.*vc4hdmi0.*arecord -l"):
        choose_mic("", proc)


@pytest.mark.parametrize("name", ["vc4hdmi0", "vc4-hdmi-0"])
def test_hdmi_speakers_play_through_their_cards_iec958_default_device(tmp_path, name):
    proc = asound(tmp_path, PI5_WITH_USB_MIC)
    assert speaker_pcm(name, proc) == "default:CARD=vc4hdmi0"


def test_other_speakers_play_through_plughw_and_pcm_names_as_they_are(tmp_path):
    proc = asound(tmp_path, PI5_WITH_USB_MIC)
    assert speaker_pcm("Device", proc) == "plughw:CARD=Device,DEV=0"
    assert speaker_pcm("hdmi:CARD=vc4hdmi1,DEV=0", proc) == "hdmi:CARD=vc4hdmi1,DEV=0"
    assert speaker_pcm("", proc) == "default"


def test_the_doctor_reports_the_speaker_it_chose(tmp_path):
    proc = asound(tmp_path, PI5_WITH_USB_MIC)
    opened = []

    class Opened:
        def __init__(self, device):
            opened.append(device)

        def close(self):
            pass

    check = speaker_check(PiWorld.checks, "vc4hdmi0", proc, Opened, drm=tmp_path / "drm")
    assert check.result == PASS and opened == ["default:CARD=vc4hdmi0"]
    assert check.detail.startswith("default:CARD=vc4hdmi0 ([devices] speaker_device")
    # No screen sent an EDID, no USB speaker: nothing to play on. Text-only interviews run.
    mic_only = {**PI5_WITH_USB_MIC, 2: ("Device", "USB-Audio", "USB PnP Sound Device", "c", True)}
    proc = asound(tmp_path / "mic-only", mic_only)
    text_only = speaker_check(PiWorld.checks, "", proc, Opened, drm=tmp_path / "drm")
    assert text_only.result == WARN and "text only" in text_only.detail
    with_clips = speaker_check(PiWorld.checks, "", proc, Opened, tmp_path / "drm", load_example())
    assert with_clips.result == FAIL and "'example' plays sound" in with_clips.detail

    def refuses(device):
        raise SpeakerError(f"cannot open speaker {device!r}")

    failed = speaker_check(PiWorld.checks, "vc4hdmi1", proc, refuses, drm=tmp_path / "drm")
    assert failed.result == FAIL and "aplay -l" in failed.fix
    assert speaker_check(SimulatedWorld.checks, "", proc).result == SKIP


def test_a_speaker_named_by_its_long_card_name_plays_through_the_cards_id(tmp_path):
    # ALSA's CARD= takes an id or index, never the long name staff read in `aplay -l`.
    proc = asound(tmp_path, PI5_WITH_USB_MIC)
    (proc / "cards").write_text(
        (proc / "cards")
        .read_text()
        .replace(
            " " * 22 + "USB PnP Sound Device",
            " " * 22 + "C-Media Electronics Inc. USB PnP Sound Device at usb-xhci-hcd.0-1",
        )
    )
    assert speaker_pcm("C-Media Electronics", proc) == "plughw:CARD=Device,DEV=0"
