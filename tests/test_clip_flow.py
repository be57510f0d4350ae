"""Clips in `booth simulate`, end to end: a candidate pauses an intro clip, watches one again and
skips it, plays back a practice take on review and hears a question read aloud."""

from __future__ import annotations

import math
import shutil
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pygame
import pytest
from conftest import EXAMPLE_INTERVIEWS, simulate_booth
from conftest import read_events as events

from booth.kiosk.recorder import Recorder
from booth.kiosk.replay import REPLAY_WAIT_S

# Whichever test here runs first also pays for the `run` fixture's simulated session: 1.3 s on
# this 2-core machine but 18 s with its CPU shared nine ways (the default limit is 30 s).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]

RATE = 48_000
SPOKEN_S = 1.5

SCRIPT = """
press start
type 123456
press confirm
press next
press accept
press next
expect intro                # intro-1.mp4, 5 s
wait 1
press pause
wait 2                      # paused: the clip holds for 2 s
screenshot intro-paused
press pause
wait 4.2                    # the rest of clip 1; clip 2 starts by itself
expect intro
wait 5.2                    # clip 2 (5 s) to its end
press replay                # watch clip 2 again ...
wait 1
screenshot intro-skip
press next                  # ... and skip the rest of it
press next
expect practice
press record
expect think                # the practice's think time, as in a real question
press record
wait 3
wait 2
press stop
expect review
press replay                # the practice take plays back
wait 1
screenshot review-replay
wait 1.5                    # to its end
press next
expect question             # q1, read aloud
press next                  # refused: the question is still being read
expect question
wait 1.7
press next
expect think
"""


def write_tone(path: Path, seconds: float, hz: float) -> None:
    """A stand-in for a spoken question: a quiet tone in AAC (no speech synthesizer here)."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=RATE, layout="mono")
        t = np.arange(round(seconds * RATE)) / RATE
        tone = (0.2 * np.sin(2 * math.pi * hz * t)).astype(np.float32)[None]
        for k in range(0, tone.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(tone[:, k : k + 1024]), format="fltp", layout="mono"
            )
            frame.rate, frame.pts, frame.time_base = RATE, k, Fraction(1, RATE)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """The example interview, with q1 read aloud in both languages, through SCRIPT."""
    tmp = tmp_path_factory.mktemp("clips")
    interview = tmp / "interviews" / "example"
    shutil.copytree(EXAMPLE_INTERVIEWS / "example", interview)
    write_tone(interview / "q1.sv.m4a", SPOKEN_S, 440)
    write_tone(interview / "q1.en.m4a", SPOKEN_S, 660)
    toml = interview / "interview.toml"
    text = toml.read_text(encoding="utf-8")
    spoken = 'id = "q1"\naudio = { sv = "q1.sv.m4a", en = "q1.en.m4a" }'
    toml.write_text(text.replace('id = "q1"', spoken, 1), encoding="utf-8")
    config = tmp / "booth.toml"
    config.write_text(
        'booth_id = "test-booth"\n[recording]\nwidth = 160\nheight = 120\n'
        "bitrate_bps = 300_000\ndisk_margin_bytes = 0\n",
        encoding="utf-8",
    )
    script = tmp / "script.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    out = tmp / "out"
    assert simulate_booth(config, script, out, tmp / "interviews") == 0
    return out


def played(out: Path, clip: str) -> list[dict]:
    return [e for e in events(out) if e["event"] == "clip.played" and e["clip"] == clip]


def test_a_paused_intro_clip_holds_and_then_plays_in_full(run: Path):
    names = [e["event"] for e in events(run) if e["event"] in ("clip.pause", "clip.resume")]
    assert names == ["clip.pause", "clip.resume"]
    (report,) = played(run, "intro-1.mp4")
    assert (report["frames_shown"], report["frames_dropped"], report["error"]) == (150, 0, None)
    # 5 s of clip plus the 2 s it stood still, from the moment the intro screen opened.
    start = next(e["t"] for e in events(run) if e.get("screen") == "intro")
    assert report["t"] - start == pytest.approx(7.0, abs=0.1)


def test_a_watched_intro_clip_is_replayed_then_skipped(run: Path):
    first, again = played(run, "intro-2.mp4")
    assert first["frames_shown"] == 150
    assert 25 <= again["frames_shown"] <= 35  # one second of the replay, then Skip
    names = [e["event"] for e in events(run)]
    assert names.index("clip.replay") < names.index("clip.skip")


def test_the_take_plays_back_on_review_with_a_clip_report(run: Path):
    log = events(run)
    (replay,) = [e for e in log if e["event"] == "take.replay"]
    assert (replay["question"], replay["take"], replay["practice"]) == ("practice", 1, True)
    (report,) = played(run, "practice-take1.mp4")
    assert report["error"] is None and report["frames_dropped"] == 0
    assert 55 <= report["frames_shown"] <= 62  # the whole 2 s take at 30 fps
    shot = pygame.surfarray.array3d(pygame.image.load(str(run / "screens" / "review-replay.png")))
    # The take's camera picture is on screen: many distinct colours, unlike the flat UI.
    assert len(np.unique(shot.reshape(-1, 3), axis=0)) > 500


def test_the_question_is_read_aloud_before_next_is_allowed(run: Path):
    log = events(run)
    (report,) = played(run, "q1.sv.m4a")
    assert report["error"] is None
    refused = [e for e in log if e["event"] == "refused" and e["screen"] == "question"]
    assert [e["action"] for e in refused] == ["next"]
    think = next(e["t"] for e in log if e.get("screen") == "think" and e.get("question") == "q1")
    question = next(e["t"] for e in log if e.get("screen") == "question")
    assert think - question >= SPOKEN_S


def test_a_take_whose_mp4_never_comes_does_not_hold_the_review_screen(
    tmp_path, small_booth, monkeypatch
):
    # As if the take's mux had failed: the recorder has no MP4 to play back.
    monkeypatch.setattr(Recorder, "take_mp4", lambda self, question_id, take, practice: None)
    script = tmp_path / "script.txt"
    script.write_text(
        "press practice\npress next\npress record\npress record\nwait 3\nwait 1\npress stop\n"
        "expect review\n"
        "press replay\nwait 4.9\nscreenshot waiting\nwait 0.2\npress replay\n",
        encoding="utf-8",
    )
    assert simulate_booth(small_booth, script, tmp_path) == 0
    log = events(tmp_path)
    names = [e["event"] for e in log]
    assert names.count("take.replay") == 2  # Watch again works again after giving up
    (gave_up,) = [e for e in log if e["event"] == "take.replay_unavailable"]
    replay = next(e for e in log if e["event"] == "take.replay")
    assert gave_up["t"] - replay["t"] == pytest.approx(REPLAY_WAIT_S, abs=0.05)
    assert not [e for e in log if e["event"] == "clip.played"]
