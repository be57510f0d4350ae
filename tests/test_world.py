"""One world, chosen once: every command that opens a device takes it from `booth.cli.world`,
the simulated world's sound cards are in ALSA whichever opens first, and `booth doctor` says
what the world cannot check in the world's own words."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from conftest import EXAMPLE_INTERVIEWS

from booth.cli.main import main
from booth.config.settings import load_settings
from booth.devices.world import WorldChecks
from booth.doctor.checkup import Board, run_checks
from booth.sim import devices
from booth.sim.alsa_config import ALSA_MAIN_CONFIG
from booth.sim.virtual_mic import PCM_NAME as MIC_PCM
from booth.sim.virtual_speaker import PCM_NAME as SPEAKER_PCM
from tests.sim_support import reset_sim_pins


@pytest.fixture(autouse=True)
def own_alsa_config(monkeypatch):
    monkeypatch.setenv("ALSA_CONFIG_PATH", "")  # the simulated world sets it; restored after
    reset_sim_pins()
    yield
    reset_sim_pins()


@pytest.fixture
def sim_booth(tmp_path) -> Path:
    config = tmp_path / "booth.toml"
    config.write_text(
        '[devices]\nbackend = "sim"\noccupied_pin = 24\n'
        "[recording]\nwidth = 160\nheight = 120\n"
        f'[paths]\ninterviews = "{EXAMPLE_INTERVIEWS}"\nstate = "{tmp_path}/state"\n'
        f'spool = "{tmp_path}/spool"\n'
    )
    return config


@pytest.fixture
def worlds(monkeypatch) -> list[devices.SimulatedWorld]:
    """Every simulated world made from now on, in order."""
    made: list[devices.SimulatedWorld] = []

    class Counted(devices.SimulatedWorld):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(devices, "SimulatedWorld", Counted)
    return made


COMMANDS = {
    "doctor": ["doctor", "--json"],
    "mic test": ["mic", "test", "--seconds", "0.2"],
    "camera snapshot": ["camera", "snapshot", "{tmp}/picture.png"],
    "light calibrate": ["light", "calibrate", "--json"],
    "occupied --off": ["occupied", "--off"],
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("command", COMMANDS)
def test_each_device_command_opens_its_devices_in_one_world_chosen_by_the_cli(
    command, sim_booth, tmp_path, worlds, capsys
):
    argv = [a.format(tmp=tmp_path) for a in COMMANDS[command]]
    code = main([*argv, "--config", str(sim_booth)])
    out = capsys.readouterr().out
    if command == "doctor":  # 1 when a check fails: the clock is not synchronised everywhere
        camera = next(c for c in json.loads(out) if c["check"] == "camera")
        assert code in (0, 1) and camera["result"] == "pass", out
    else:
        assert code == 0, out
    assert len(worlds) == 1
    assert worlds[0].settings.source == sim_booth


@pytest.mark.timeout(120)
def test_the_acceptance_recording_is_made_in_the_world_the_cli_chose(sim_booth, tmp_path, worlds):
    main(["doctor", "--record", "--config", str(sim_booth), "--out", str(tmp_path / "rec")])
    assert len(worlds) == 1
    assert (tmp_path / "rec" / "doctor-record.mp4").is_file()


@pytest.mark.parametrize("first", ["speaker", "microphone"])
def test_the_simulated_sound_cards_open_whichever_opens_first(first, sim_booth, tmp_path):
    world = devices.SimulatedWorld(load_settings(sim_booth), tmp_path / "world")
    try:
        if first == "speaker":
            speaker = world.speaker()
            mic = world.microphone()
        else:
            mic = world.microphone()
            speaker = world.speaker()
        assert speaker.fault is None and mic.device == MIC_PCM
        # One file holds both cards; ALSA_CONFIG_PATH names it once, after ALSA's own.
        main_config, config = os.environ["ALSA_CONFIG_PATH"].split(":")
        assert main_config == ALSA_MAIN_CONFIG
        text = Path(config).read_text()
        assert f"pcm.{MIC_PCM} " in text and f"pcm.{SPEAKER_PCM} " in text
        # Both really work: the room's voice reaches the microphone, a tone the card.
        world.room.advance_to(100_000_000)  # 0.1 s of the room: three periods
        assert mic.read() is not None
        speaker.play(np.full((4096, 2), 1000, np.int16))
        speaker.flush()
        mic.close()
        speaker.close()
        assert (world.virtual_speaker.captured() == 1000).any()
    finally:
        world.close()


def test_doctor_says_what_the_world_cannot_check_in_its_words(sim_booth, tmp_path):
    settings = load_settings(sim_booth)

    class Headless(devices.SimulatedWorld):
        checks = WorldChecks(
            screen=False, speaker=False, pins_shared=False, not_checked="no such part here"
        )

    world = Headless(settings, tmp_path / "world")
    try:
        results = {c.check: c for c in run_checks(settings, world, Board(model_file=tmp_path))}
    finally:
        world.close()
    assert results["display"].result == results["speaker"].result == "skip"
    assert results["display"].detail == results["speaker"].detail == "no such part here"
    assert results["occupied"].detail.startswith("no such part here on mock GPIO24")
