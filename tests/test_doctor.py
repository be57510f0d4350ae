"""`booth doctor --record`: the acceptance recording, on the simulated booth and its parts."""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pygame
import pytest

from booth.cli import doctor_cmd
from booth.cli.main import UserError
from booth.config.settings import load_settings
from booth.devices.clapperboard import FLASH_S, Beeper, ScreenFlash, beep_samples
from booth.devices.ports.microphone import AudioChunk
from booth.devices.speaker import write_frames
from booth.devices.world import Rig, World
from booth.doctor.record import clap_frames, record_acceptance
from booth.doctor.report import format_report
from booth.sim.alsa_config import install_alsa_config
from booth.sim.devices import SimulatedWorld
from booth.sim.virtual_speaker import VirtualSpeaker


@pytest.fixture(autouse=True)
def own_alsa_config(monkeypatch):
    monkeypatch.setenv("ALSA_CONFIG_PATH", "")  # the virtual mic sets it; restored after


def doctor(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="booth")
    doctor_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["doctor", *argv])
    return args.func(args)


@pytest.mark.slow
def test_the_simulated_booth_passes_its_acceptance_recording(tmp_path, small_booth, capsys):
    out = tmp_path / "doctor"
    assert doctor("--record", "--config", str(small_booth), "--json", "--out", str(out)) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is True and report["problems"] == []
    assert (report["claps_made"], report["claps_found"]) == (5, 5)
    assert all(abs(o) <= 20 for o in report["offsets_ms"])
    assert abs(report["drift_ms"]) <= 5
    assert (report["frames"], report["dropped_frames"], report["fps_measured"]) == (300, 0, 30.0)
    assert report["camera"] == "simulated" and report["encoder"].startswith("software")
    assert report["encoder_mark"].startswith("x264 core")
    assert report["mic_device"] == "booth_sim_mic" and report["overruns"] == 0
    # The recording is kept for staff to watch; its working files are gone.
    assert sorted(p.name for p in out.iterdir() if p.name != "mic") == ["doctor-record.mp4"]
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0"]
        + [report["mp4"]],
        capture_output=True,
        text=True,
        check=True,
    )
    assert sorted(probe.stdout.split()) == ["aac", "h264"]


@pytest.mark.slow
def test_the_readable_report_shows_each_figure_and_its_target(tmp_path, small_booth, capsys):
    assert doctor("--record", "--config", str(small_booth), "--out", str(tmp_path / "d")) == 0
    text = capsys.readouterr().out
    for line in ("camera          simulated", "5 of 5 found", "target within ±20 ms"):
        assert line in text
    assert "dropped frames  0 of 300" in text
    assert text.rstrip().endswith("PASS: every figure is within its target.")


class LateMicRig(Rig):
    """A booth whose microphone stamps each chunk 40 ms after its sound was captured (a USB
    mic with latency it does not report), so the sound lands 40 ms late."""

    def __init__(self, world: World) -> None:
        rig = world.record_rig()
        super().__init__(rig.camera, rig.mic, rig.clapperboard, rig.encoder, rig.light)

    def audio(self) -> list[AudioChunk]:
        return [replace(c, timestamp_ns=c.timestamp_ns + 40_000_000) for c in super().audio()]


def late_mic_rig(settings, work_dir: Path) -> LateMicRig:
    return LateMicRig(SimulatedWorld(settings, work_dir))


@pytest.mark.slow
def test_sound_40_ms_late_fails_naming_the_offset(tmp_path, small_booth):
    rig = late_mic_rig(load_settings(small_booth), tmp_path)
    try:
        result = record_acceptance(rig, tmp_path, seconds=4)
    finally:
        rig.close()
    assert result.sync.offset_ms == pytest.approx(40.0, abs=0.1)
    assert not result.passed
    (problem,) = result.problems
    assert "offset +40.0 ms is over ±20 ms" in problem
    assert "FAIL:" in format_report(result)


@pytest.mark.slow
def test_a_failing_recording_exits_1(tmp_path, small_booth, monkeypatch, capsys):
    monkeypatch.setattr(doctor_cmd, "_open_rig", LateMicRig)
    assert doctor("--record", "--config", str(small_booth), "--out", str(tmp_path / "d")) == 1
    assert "FAIL:" in capsys.readouterr().out


def test_bad_settings_stop_the_doctor_with_file_and_key(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text("[recording]\nfps = 'fast'\n")
    with pytest.raises(UserError, match="booth.toml:2: recording.fps"):
        doctor("--record", "--config", str(config))


def test_claps_come_every_two_seconds_from_the_first_second():
    assert clap_frames(10, 30) == [30, 90, 150, 210, 270]
    assert clap_frames(4, 25) == [25, 75]


def test_the_screen_flashes_white_then_goes_black():
    pygame.display.init()
    surface = pygame.display.set_mode((64, 48))
    screen = ScreenFlash(surface)
    assert surface.get_at((10, 10))[:3] == (0, 0, 0)
    screen.flash(now=100.0)
    assert surface.get_at((10, 10))[:3] == (255, 255, 255)
    screen.update(now=100.0 + FLASH_S / 2)
    assert surface.get_at((10, 10))[:3] == (255, 255, 255)
    screen.update(now=100.0 + FLASH_S)
    assert surface.get_at((10, 10))[:3] == (0, 0, 0)
    pygame.display.quit()


def test_the_beep_reaches_the_speaker_through_alsa(tmp_path: Path, monkeypatch):
    # alsa-lib's `file` PCM for playback records what is played into a file.
    played = tmp_path / "speaker.raw"
    config = tmp_path / "asoundrc"
    config.write_text(
        f'pcm.speaker {{ type file slave.pcm "null" file "{played}" format "raw" }}\n'
    )
    monkeypatch.setenv("ALSA_CONFIG_PATH", f"/usr/share/alsa/alsa.conf:{config}")
    beeper = Beeper("speaker", 48_000)
    beeper.beep()
    beeper.beep()  # after the first has played out (the PCM restarts)
    beeper.close()
    sound = np.frombuffer(played.read_bytes(), dtype="<i2")
    beep = beep_samples(48_000)
    assert len(beep) == 960 and abs(beep).min() == 32767
    starts = [i for i in range(len(sound) - 1) if sound[i] == 32767 and sound[i - 1] == 0]
    assert len(starts) == 2
    assert np.array_equal(sound[starts[0] : starts[0] + len(beep)], beep)


def test_a_late_microphone_is_told_how_to_correct_it(tmp_path, small_booth):
    rig = late_mic_rig(load_settings(small_booth), tmp_path)
    try:
        result = record_acceptance(rig, tmp_path, seconds=4)
    finally:
        rig.close()
    (problem,) = result.problems
    assert "add +40 to [devices] mic_latency_ms" in problem


def test_every_beep_is_heard_on_a_card_that_underruns_between_them(tmp_path, monkeypatch):
    # A real card plays each beep (a whole 4 × 256-frame buffer) and stops in an underrun
    # before the next; pyalsaaudio then answers the next write with -EPIPE, writing nothing.
    # The simulated speaker, paced, is such a card.
    monkeypatch.delenv("ALSA_CONFIG_PATH", raising=False)
    card = VirtualSpeaker(tmp_path / "card", rate=48_000, channels=1, paced=True)
    install_alsa_config(card.directory, card.asoundrc)
    beeper = Beeper(card.device, 48_000, open_pcm=card.open_pcm)
    for _ in range(5):  # as `booth doctor --record` claps
        beeper.beep()
        deadline = time.monotonic() + 5
        while beeper._pcm.avail() >= 0:  # until the card has run out
            assert time.monotonic() < deadline
            time.sleep(0.005)
    # alsa-lib's file plugin passes sound on only when a buffer more follows it.
    write_frames(beeper._pcm, np.zeros(4 * 1024, "<i2").tobytes(), 2)
    beeper.close()
    deadline = time.monotonic() + 5
    while len(card.captured()) < 5 * 1024 and time.monotonic() < deadline:
        time.sleep(0.01)
    card.close()
    sound = np.concatenate([[0], card.captured()[:, 0]])
    starts = [i for i in range(1, len(sound)) if sound[i] == 32767 and sound[i - 1] == 0]
    assert len(starts) == 5
    assert beeper.underruns == 4
