"""Takes survive kill -9, the disk guard refuses sessions it cannot hold, a full disk stops a
take cleanly, and a dead microphone puts the booth out of order (issue 3)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE_INTERVIEWS, read_events, simulate_booth
from test_simulate import probe

from booth.cli.main import main
from booth.config.settings import load_settings
from booth.sim.booth import build_sim_booth
from booth.sim.script import parse_script
from booth.sim.simulate import headless_display, run_script
from booth.state import read_state
from tests.sim_support import silence_mic

pytestmark = pytest.mark.slow

TO_Q3_RECORDING = """
press start
type 123456
press confirm
press next
press accept
press next
wait 10.4
press next
press next
expect question
"""


def interviews_keeping_unreviewed_takes(tmp_path) -> Path:
    """The example interview with `unreviewed_takes = "keep"`: a take cut off by a crash or a
    full disk is sent although nobody kept it (with the default it would be deleted, as
    test_simulate's crash-on-review test shows)."""
    root = tmp_path / "interviews"
    shutil.copytree(EXAMPLE_INTERVIEWS, root)
    toml = root / "example" / "interview.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('unreviewed_takes = "discard"', 'unreviewed_takes = "keep"'))
    return root


def start_recording_q1(script_extra: str = "") -> str:
    return TO_Q3_RECORDING + "press next\npress record\nwait 3\nexpect recording\n" + script_extra


def test_kill_9_during_a_take_then_the_next_start_recovers_a_playable_mp4(tmp_path, small_booth):
    script = tmp_path / "long.txt"
    script.write_text(start_recording_q1("wait 600\n"))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "booth", "simulate", "--config", str(small_booth)]
    interviews = interviews_keeping_unreviewed_takes(tmp_path)
    cmd += ["--interviews", str(interviews), "--headless", "--script", str(script)]
    child = subprocess.Popen(cmd + ["--out", str(out)], stderr=subprocess.PIPE)
    pts = None
    deadline = time.monotonic() + 20  # within the test's time limit, so the child is killed
    while time.monotonic() < deadline:
        found = list(out.glob("spool/*/.take-q1-1/video.pts"))
        if found and len(found[0].read_text().splitlines()) > 8 * 30:
            pts = found[0]
            break
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert pts is not None, "the take never started"
    written_s = len(pts.read_text().splitlines()) / 30
    (session,) = [p for p in (out / "spool").iterdir() if p.is_dir()]
    assert json.loads((session / "manifest.json").read_text())["status"] == "recording"

    # The next start of the simulated booth on the same --out recovers it.
    again = tmp_path / "again.txt"
    again.write_text("expect idle\n")
    assert (
        main(
            ["simulate", "--config", str(small_booth), "--interviews"]
            + [str(interviews), "--headless", "--script", str(again)]
            + ["--out", str(out)]
        )
        == 0
    )
    manifest = json.loads((session / "manifest.json").read_text())
    assert manifest["status"] == "ended-early"
    (take,) = manifest["takes"]
    assert (take["question_id"], take["recovered"]) == ("q1", True)
    info = probe(session / take["file"])
    assert sorted(s["codec_name"] for s in info["streams"]) == ["aac", "h264"]
    duration = float(info["format"]["duration"])
    assert written_s - 1.0 <= duration <= written_s + 0.1
    assert not list(session.glob(".take-*"))


def test_takes_recover_closes_an_open_session_and_leaves_finished_ones(tmp_path, small_booth):
    out = tmp_path / "out"
    # A finished session, then one cut off mid-take (the simulation stops without a shutdown).
    script = tmp_path / "s.txt"
    script.write_text(start_recording_q1("wait 4\n"))
    settings = load_settings(small_booth)
    surface = headless_display(settings.display.size)
    interviews = interviews_keeping_unreviewed_takes(tmp_path)
    booth = build_sim_booth(settings, interviews, out, surface)
    assert run_script(booth, parse_script(script.read_text()), "s").exit_code == 0
    recorder = booth.kiosk.recorder
    recorder.current.video.close()  # a crash: no stop, no mux, no manifest update
    recorder.current.audio.close()
    booth.reader.request_stop()
    booth.world.close()
    booth.kiosk.devices.close()
    booth.speaker.close()
    (session,) = [p for p in (out / "spool").iterdir() if p.is_dir()]
    assert main(["takes", "recover", "--spool", str(out / "spool")]) == 0
    manifest = json.loads((session / "manifest.json").read_text())
    assert manifest["status"] == "ended-early" and manifest["takes"][0]["recovered"]
    before = (session / "manifest.json").read_bytes()
    assert main(["takes", "recover", "--spool", str(out / "spool")]) == 0
    assert (session / "manifest.json").read_bytes() == before


def test_the_disk_guard_refuses_a_session_the_disk_cannot_hold(tmp_path, capsys):
    config = tmp_path / "booth.toml"
    config.write_text(
        "[recording]\nwidth = 160\nheight = 120\ndisk_margin_bytes = 1_000_000_000_000_000\n"
    )
    script = tmp_path / "s.txt"
    script.write_text(
        "expect idle\nwait 1.1\nexpect out-of-order\npress start\n"
        "expect out-of-order\nscreenshot full\n"
    )
    out = tmp_path / "out"
    assert simulate_booth(config, script, out) == 0
    state = read_state(out / "state")
    assert state.screen == "out-of-order"
    assert "free" in state.fault and "example" in state.fault and "booth sync" in state.fault


@pytest.fixture
def small_disk(tmp_path):
    """A 6 MB file system for the spool, so a take can fill it."""
    mount = tmp_path / "out" / "spool"
    mount.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_take_that_fills_the_disk_stops_cleanly_and_is_kept(tmp_path, small_disk):
    config = tmp_path / "booth.toml"
    config.write_text(
        "[recording]\nwidth = 320\nheight = 240\nbitrate_bps = 100_000\ndisk_margin_bytes = 0\n"
    )
    settings = load_settings(config)
    surface = headless_display(settings.display.size)
    interviews = interviews_keeping_unreviewed_takes(tmp_path)
    booth = build_sim_booth(settings, interviews, tmp_path / "out", surface)
    try:
        commands = parse_script(start_recording_q1("wait 2\n"))
        assert run_script(booth, commands, "s").exit_code == 0
        # Something else fills the disk while the candidate answers.
        ballast = small_disk / "ballast"
        with open(ballast, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass
        ballast.unlink()
        with open(ballast, "wb") as f:  # leave room for the MP4 of what was recorded
            f.write(b"\0" * (os.statvfs(small_disk).f_bavail * 4096 - 400_000))
        commands = parse_script("wait 30\n")
        assert run_script(booth, commands, "s").exit_code == 0
        assert booth.kiosk.flow.screen != "recording"
    finally:
        booth.close()
    events = read_events(tmp_path / "out")
    assert any(e["event"] == "take.write_error" for e in events)
    (session,) = [p for p in small_disk.iterdir() if p.is_dir()]
    manifest = json.loads((session / "manifest.json").read_text())
    (take,) = [t for t in manifest["takes"] if t["question_id"] == "q1"]
    assert float(probe(session / take["file"])["format"]["duration"]) >= 2.0


def test_a_microphone_that_delivers_only_silence_puts_the_booth_out_of_order(tmp_path, small_booth):
    settings = load_settings(small_booth)
    surface = headless_display(settings.display.size)
    booth = build_sim_booth(settings, EXAMPLE_INTERVIEWS, tmp_path / "out", surface)
    try:
        assert run_script(booth, parse_script("wait 2\nexpect idle\n"), "s").exit_code == 0
        silence_mic(booth.world)
        assert run_script(booth, parse_script("wait 8\nexpect out-of-order\n"), "s").exit_code == 0
        assert "silence" in read_state(tmp_path / "out" / "state").fault
        assert booth.kiosk.flow.view().reason == "microphone"
    finally:
        booth.close()
