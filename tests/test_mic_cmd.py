"""`booth mic test`: a live level meter in the terminal, on the simulated booth's microphone."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from conftest import EXAMPLE_INTERVIEWS

from booth.cli.main import UserError, main
from booth.cli.mic_cmd import BAR_WIDTH, meter_line
from booth.devices.level_meter import LevelMeter
from booth.state import KioskState


@pytest.fixture(autouse=True)
def own_alsa_config(monkeypatch):
    monkeypatch.setenv("ALSA_CONFIG_PATH", "")  # the virtual mic sets it; restored after


@pytest.fixture
def sim_booth(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text(
        '[devices]\nbackend = "sim"\n[recording]\nwidth = 160\nheight = 120\n'
        f'[paths]\ninterviews = "{EXAMPLE_INTERVIEWS}"\nstate = "{tmp_path}/state"\n'
        f'spool = "{tmp_path}/spool"\n'
    )
    return config


def test_a_second_of_the_simulated_microphone_draws_a_meter(sim_booth, capsys):
    assert main(["mic", "test", "--config", str(sim_booth), "--seconds", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("microphone booth_sim_mic: speak as a candidate would")
    redraws = out.split("\r")[1:]
    assert len(redraws) >= 5  # about ten a second
    bar = re.compile(rf"^ *-?\d+\.\d dBFS  peak +-?\d+\.\d  \[[#|-]{{{BAR_WIDTH}}}\]")
    assert all(bar.match(line) for line in redraws)
    heard = float(re.search(r"\n(\d+\.\d) s heard; loudest peak", out).group(1))
    assert 0.7 <= heard <= 1.1


def test_the_meter_flags_clipping_and_a_dead_microphone():
    meter = LevelMeter(48_000)
    meter.feed(np.full(4800, 32767, dtype=np.int16))
    line = meter_line(meter)
    assert line.startswith("  -0.0 dBFS  peak   -0.0  [" + "#" * (BAR_WIDTH - 1) + "|]")
    assert "CLIPPING" in line
    meter.feed(np.zeros(6 * 48_000, dtype=np.int16))
    line = meter_line(meter)
    assert "[" + "-" * BAR_WIDTH + "]" in line and "SILENT (muted or dead)" in line


def test_speech_at_minus_30_dbfs_fills_half_the_bar():
    meter = LevelMeter(48_000)
    amplitude = 32768 * 10 ** (-30 / 20)
    meter.feed(np.where(np.arange(4800) % 2, amplitude, -amplitude).astype(np.int16))
    assert meter_line(meter).split("[")[1].startswith("#" * (BAR_WIDTH // 2) + "|")


def test_the_mic_test_refuses_while_the_kiosk_holds_the_microphone(sim_booth, tmp_path):
    KioskState("idle", "idle", None, "2026-03-02T09:00:00+00:00", None, os.getpid()).write(
        tmp_path / "state"
    )
    with pytest.raises(UserError, match="kiosk is running .* holds the microphone"):
        import argparse

        from booth.cli import mic_cmd

        parser = argparse.ArgumentParser()
        mic_cmd.register(parser.add_subparsers())
        args = parser.parse_args(["mic", "test", "--config", str(sim_booth), "--seconds", "1"])
        args.func(args)


def test_a_missing_sound_card_is_named_without_a_traceback(tmp_path, capsys):
    config = tmp_path / "booth.toml"
    config.write_text(
        f'[devices]\nbackend = "pi"\nmic_device = "USB"\n[paths]\nstate = "{tmp_path}"\n'
    )
    assert main(["mic", "test", "--config", str(config), "--seconds", "1"]) == 2
    assert "no sound card named 'USB'" in capsys.readouterr().err
