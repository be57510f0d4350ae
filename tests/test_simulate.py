"""`booth simulate`: a scripted candidate goes through every screen; the takes are real MP4s."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pygame
import pytest
from conftest import EXAMPLE_INTERVIEWS
from conftest import read_events as events

from booth.cli.main import main

# Whichever test here runs first also pays for full_run, a whole simulated session: 9 s on this
# 2-core machine, 31 to 38 s with its CPU shared nine ways (the default limit is 30 s).
pytestmark = pytest.mark.timeout(90)

# One candidate through every screen of the example interview (see config/interviews/example).
FULL_SESSION = """
expect idle
screenshot idle-before
press language              # English, then back to Swedish
press language
press help
expect help
press back
press start
expect code
type 99
press confirm               # a wrong code
expect code
type 123456
press confirm
expect welcome
press next
expect consent
press accept
expect check
wait 2
screenshot check-live
press next
expect intro
wait 5.2                    # intro clip 1 (5 s), then clip 2 starts by itself
expect intro
wait 5.2
press next
expect practice
press record
expect think                # the practice's think time, as in a real question
press record
expect countdown
wait 3
expect recording
wait 4
press stop
expect review
press next                  # practice done: on to question 1
expect question
press next
expect think
wait 20                     # think time runs out
expect countdown
wait 3
expect recording
wait 6
press stop
expect review
press retake                # q1 allows 2 takes
expect review               # "Record again?" asks first
press retake
expect countdown
wait 3
wait 7
press stop
expect review
press keep
expect question             # q2 plays its clip first
wait 5.2
press next
expect think
press record                # start now
wait 3
expect recording
wait 95                     # the 90 s limit stops it
expect review
press keep
expect question             # q3: no think time, no review
press next
expect countdown
wait 3
wait 12
press stop
expect done
press next                  # Finish: the receipt stays until then (or a minute)
expect idle
screenshot idle-after
"""


def simulate(tmp_path: Path, config: Path, script: str, *extra: str, out: str = "out") -> int:
    script_file = tmp_path / "script.txt"
    script_file.write_text(script, encoding="utf-8")
    return main(
        [
            "simulate",
            "--config",
            str(config),
            "--interviews",
            str(EXAMPLE_INTERVIEWS),
            "--headless",
            "--script",
            str(script_file),
            "--out",
            str(tmp_path / out),
            *extra,
        ]
    )


def probe(path: Path) -> dict:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def full_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("full")
    config = tmp / "booth.toml"
    config.write_text(
        'booth_id = "test-booth"\n[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 300_000\n',
        encoding="utf-8",
    )
    assert simulate(tmp, config, FULL_SESSION) == 0
    return tmp / "out"


@pytest.mark.slow
def test_a_scripted_session_passes_through_every_screen(full_run: Path):
    seen = {e["screen"] for e in events(full_run) if e["event"] == "screen"}
    every = {"idle", "help", "code", "welcome", "consent", "check", "intro", "practice"}
    every |= {"question", "think", "countdown", "recording", "review", "done"}
    assert every <= seen
    shots = sorted(p.name for p in (full_run / "screens").glob("0*.png"))
    assert shots[0] == "001-idle.png" and any(s.endswith("-recording.png") for s in shots)


@pytest.mark.slow
def test_the_session_keeps_one_mp4_per_question_with_h264_and_aac(full_run: Path):
    (session,) = [p for p in (full_run / "spool").iterdir() if p.is_dir()]
    manifest = json.loads((session / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert (manifest["booth_id"], manifest["interview_id"]) == ("test-booth", "example")
    assert manifest["candidate_ref"] == "CAND-0001"
    takes = {t["question_id"]: t for t in manifest["takes"]}
    assert sorted(takes) == ["q1", "q2", "q3"]
    assert takes["q1"]["take"] == 2  # the retake was kept; take 1 was deleted
    assert sorted(p.name for p in session.glob("*.mp4")) == [
        "q1-take2.mp4",
        "q2-take1.mp4",
        "q3-take1.mp4",
    ]
    # Recorded seconds per question (stop pressed, or the limit), and the limits.
    recorded = {"q1": 7.0, "q2": 90.0, "q3": 12.0}
    limits = {"q1": 60, "q2": 90, "q3": 45}
    for qid, take in takes.items():
        info = probe(session / take["file"])
        codecs = sorted(s["codec_name"] for s in info["streams"])
        assert codecs == ["aac", "h264"]
        duration = float(info["format"]["duration"])
        assert abs(duration - recorded[qid]) <= 0.5, (qid, duration)
        assert duration <= limits[qid] + 0.5
        assert take["bytes"] == (session / take["file"]).stat().st_size


@pytest.mark.slow
def test_practice_takes_never_reach_the_spool(full_run: Path):
    for path in (full_run / "spool").rglob("*"):
        assert "practice" not in path.name
    assert not list((full_run / "state" / "practice").glob("*.mp4"))


@pytest.mark.slow
def test_no_invitation_code_reaches_the_event_log(full_run: Path):
    text = (full_run / "events.jsonl").read_text()
    assert "123456" not in text


@pytest.mark.slow
def test_the_next_candidate_sees_nothing_of_the_last(full_run: Path):
    before = pygame.image.load(str(full_run / "screens" / "idle-before.png"))
    after = pygame.image.load(str(full_run / "screens" / "idle-after.png"))
    assert np.array_equal(pygame.surfarray.array3d(before), pygame.surfarray.array3d(after))


@pytest.mark.slow
def test_the_check_screen_shows_the_live_camera(full_run: Path):
    shot = pygame.surfarray.array3d(pygame.image.load(str(full_run / "screens" / "check-live.png")))
    # The preview is a photo-like picture: many distinct colours, unlike the flat UI.
    colours = np.unique(shot.reshape(-1, 3), axis=0)
    assert len(colours) > 500


def test_a_failed_expect_exits_1_naming_expected_and_actual(tmp_path, small_booth, capsys):
    assert simulate(tmp_path, small_booth, "press start\nexpect welcome\n") == 1
    err = capsys.readouterr().err
    assert "expected screen 'welcome'" in err and "'code'" in err and "script.txt:2" in err


def test_a_bad_script_exits_2_naming_every_bad_line(tmp_path, small_booth, capsys):
    assert simulate(tmp_path, small_booth, "press jump\nwait soon\nexpect idle\nfly\n") == 2
    err = capsys.readouterr().err
    for line in ("script.txt:1: press", "script.txt:2: wait", "script.txt:4: unknown command"):
        assert line in err
    assert "Traceback" not in err


def test_bad_settings_exit_2_with_file_and_key(tmp_path, capsys):
    config = tmp_path / "booth.toml"
    config.write_text("[recording]\nwidth = 'wide'\n")
    assert simulate(tmp_path, config, "expect idle\n") == 2
    err = capsys.readouterr().err
    assert "booth.toml:2: recording.width" in err


def test_bad_start_time_exits_2(tmp_path, small_booth, capsys):
    assert simulate(tmp_path, small_booth, "expect idle\n", "--start", "tomorrow") == 2
    assert "--start" in capsys.readouterr().err


def test_screens_are_drawn_turned_as_the_display_settings_mount_them(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text(
        'booth_id = "test-booth"\n[display]\nwidth = 800\nheight = 480\nrotation = 90\n'
        "[recording]\nwidth = 160\nheight = 120\n",
        encoding="utf-8",
    )
    assert simulate(tmp_path, config, "expect idle\nscreenshot portrait\n") == 0
    shot = pygame.image.load(str(tmp_path / "out" / "screens" / "portrait.png"))
    # A panel 800 wide turned a quarter: the candidate reads a picture 480 wide, 800 tall.
    assert shot.get_size() == (480, 800)


def test_an_expired_interview_refuses_the_code(tmp_path, small_booth):
    script = "press start\ntype 123456\npress confirm\nexpect code\nscreenshot expired\n"
    assert simulate(tmp_path, small_booth, script, "--start", "2031-01-15T10:00+01:00") == 0
    refused = [e for e in events(tmp_path / "out") if e["event"] == "code.expired"]
    assert len(refused) == 1


def test_opening_hours_close_the_booth(tmp_path):
    config = tmp_path / "booth.toml"
    config.write_text(
        '[recording]\nwidth = 160\nheight = 120\n[hours]\nmon = "08:00-17:00"\n',
        encoding="utf-8",
    )
    # Monday 2026-11-30 at 16:59:58 local: open, then closed two seconds later.
    script = "expect idle\nwait 3\nexpect closed\n"
    assert simulate(tmp_path, config, script, "--start", "2026-11-30T16:59:58") == 0


@pytest.mark.slow
def test_the_command_line_entry_point_runs_a_script(tmp_path, small_booth):
    script = tmp_path / "s.txt"
    script.write_text("expect idle\npress start\nexpect code\n")
    result = subprocess.run(
        [sys.executable, "-m", "booth", "simulate", "--config", str(small_booth)]
        + ["--interviews", str(EXAMPLE_INTERVIEWS), "--headless", "--script", str(script)]
        + ["--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "screens" / "002-code.png").exists()


def test_a_missing_settings_file_is_named(tmp_path, capsys):
    assert simulate(tmp_path, tmp_path / "nope.toml", "expect idle\n") == 2
    assert "nope.toml: no such settings file" in capsys.readouterr().err
