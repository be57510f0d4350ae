"""`booth camera snapshot FILE` on the simulated booth: a real PNG/JPEG and its exposure."""

from __future__ import annotations

import os
import re

import pygame
import pytest

from booth.cli.main import main
from booth.state import KioskState
from tests.sim_support import reset_sim_pins


@pytest.fixture(autouse=True)
def fresh_pins():
    reset_sim_pins()
    yield
    reset_sim_pins()


@pytest.fixture
def sim_booth(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text(
        '[devices]\nbackend = "sim"\n[recording]\nwidth = 320\nheight = 240\n'
        f'[paths]\nstate = "{tmp_path}/state"\nspool = "{tmp_path}/spool"\n'
    )
    return config


def test_a_snapshot_saves_the_settled_picture_and_prints_its_exposure(sim_booth, tmp_path, capsys):
    picture = tmp_path / "booth.png"
    assert main(["camera", "snapshot", str(picture), "--config", str(sim_booth)]) == 0
    out = capsys.readouterr().out
    assert f"{picture}: 320x240 PNG from the simulated camera" in out
    exposure = re.search(r"exposure (\d+\.\d) ms, gain (\d+\.\d\d) × (\d+\.\d\d)", out)
    assert exposure is not None
    # Settled: auto-exposure has left its 1 ms start for the room's light.
    assert float(exposure.group(1)) > 1.0
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = pygame.surfarray.array3d(pygame.image.load(str(picture)))
    assert image.shape == (320, 240, 3)
    # A lit face on a backdrop: neither black nor blown out, with something in it.
    assert 40 < image.mean() < 200 and image.std() > 10


def test_a_jpeg_snapshot_by_its_suffix(sim_booth, tmp_path, capsys):
    picture = tmp_path / "booth.JPG"
    assert main(["camera", "snapshot", str(picture), "--config", str(sim_booth)]) == 0
    assert "JPEG" in capsys.readouterr().out
    assert picture.read_bytes()[:3] == b"\xff\xd8\xff"
    assert pygame.image.load(str(picture)).get_size() == (320, 240)


def test_a_snapshot_refuses_an_unknown_format_and_a_missing_directory(sim_booth, tmp_path, capsys):
    assert main(["camera", "snapshot", str(tmp_path / "x.gif"), "--config", str(sim_booth)]) == 2
    assert "name it .png, .jpg or .jpeg" in capsys.readouterr().err
    missing = tmp_path / "nowhere" / "x.png"
    assert main(["camera", "snapshot", str(missing), "--config", str(sim_booth)]) == 2
    assert "no such directory" in capsys.readouterr().err


def test_a_snapshot_refuses_while_the_kiosk_holds_the_camera(sim_booth, tmp_path, capsys):
    KioskState("idle", "idle", None, "2026-03-02T09:00:00+00:00", None, os.getpid()).write(
        tmp_path / "state"
    )
    assert main(["camera", "snapshot", str(tmp_path / "x.png"), "--config", str(sim_booth)]) == 2
    assert "holds the camera: stop it first" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_off_a_pi_the_pi_camera_names_picamera2_without_a_traceback(tmp_path, capsys):
    config = tmp_path / "booth.toml"
    config.write_text(f'[devices]\nbackend = "pi"\n[paths]\nstate = "{tmp_path}"\n')
    assert main(["camera", "snapshot", str(tmp_path / "x.png"), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "python3-picamera2" in err and "Traceback" not in err
