"""The simulated booth runs the booth's own threads: the microphone's reader thread hands the
kiosk its sound, the recorder's worker muxes takes, and a run in virtual time is reproducible."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
from conftest import EXAMPLE_INTERVIEWS

from booth.config.settings import load_settings
from booth.devices.mic_reader import MicReader
from booth.sim.booth import StepExecutor, build_sim_booth
from booth.sim.script import parse_script
from booth.sim.simulate import headless_display, run_script

pytestmark = pytest.mark.slow

ANSWER = """
press start
type 123456
press confirm
press next
press accept
expect check
wait 1
press next
expect intro
wait 10.4
press next
expect practice
press record
expect think                # the practice's think time, as in a real question
press record
wait 3
expect recording
wait 1
press stop
expect review
press next
expect question
press next
expect think
press record
expect countdown
wait 3
expect recording
wait 3
press stop
expect review
press keep
"""


def one_answer(config: Path, out: Path, threads: set[str] | None = None) -> dict[str, str]:
    """Record question 1 once; the sha256 of every MP4 in the spool, by file name."""
    settings = load_settings(config)
    booth = build_sim_booth(settings, EXAMPLE_INTERVIEWS, out, headless_display((320, 240)))
    try:
        assert isinstance(booth.kiosk.devices.mic, MicReader) and booth.reader.running
        assert isinstance(booth.jobs, StepExecutor)
        outcome = run_script(booth, parse_script(ANSWER), "answer")
        assert outcome.exit_code == 0, outcome.message
        if threads is not None:
            threads.update(t.name for t in threading.enumerate())
    finally:
        booth.close()
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.glob("spool/*/*.mp4")}


def test_the_simulated_booth_runs_the_reader_thread_and_the_recorders_worker(tmp_path, small_booth):
    threads: set[str] = set()
    takes = one_answer(small_booth, tmp_path / "a", threads)
    assert "mic-reader" in threads
    assert any(name.startswith("takes") for name in threads)
    assert list(takes) == ["q1-take1.mp4"]


def test_the_same_script_gives_the_same_takes(tmp_path, small_booth):
    first = one_answer(small_booth, tmp_path / "a")
    second = one_answer(small_booth, tmp_path / "b")
    assert first == second and first
