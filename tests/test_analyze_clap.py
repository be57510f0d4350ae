"""The clap offset is within the target: a simulated booth records a take with claps, end to end.

The scripted candidate claps several times during one answer; the kept MP4 (camera frames
through the H.264 writer, microphone through ALSA, muxed) is measured like a real take.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import simulate_booth

from booth.media.analyze import analyze_take

pytestmark = pytest.mark.slow

MAX_OFFSET_MS = 20.0
MAX_DRIFT_MS = 5.0

INTERVIEW = """
id = "clap"
employer = "Booth"
title = { en = "Clapperboard" }
languages = ["en"]
valid_from = 2025-01-01T00:00:00+01:00
deadline = 2035-12-31T23:59:00+01:00
intro_clips = []

[[questions]]
id = "q1"
text = { en = "Clap, please." }
answer_seconds = 60
review = false
"""

SCRIPT = """
press start
type 123456
press confirm
press next
press accept
expect check
press next
expect question
press next
expect countdown
wait 3.2
expect recording
wait 0.5
clap
wait 1.7
clap
wait 2.3
clap
wait 1.9
clap
wait 1
press stop
expect done
"""


def test_claps_during_a_simulated_take_are_in_sync_on_the_mp4(tmp_path: Path):
    interview = tmp_path / "interviews" / "clap"
    interview.mkdir(parents=True)
    (interview / "interview.toml").write_text(INTERVIEW, encoding="utf-8")
    (interview / "codes.csv").write_text(
        "code,candidate_ref,extra_time_percent,extra_takes\n123456,CLAP-1,,\n", encoding="utf-8"
    )
    config = tmp_path / "booth.toml"
    config.write_text(
        'booth_id = "clap-booth"\nlanguage = "en"\nlanguages = ["en"]\n'
        "[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 300_000\ndisk_margin_bytes = 0\n",
        encoding="utf-8",
    )
    script = tmp_path / "claps.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    out = tmp_path / "out"
    assert simulate_booth(config, script, out, tmp_path / "interviews") == 0

    (manifest,) = out.glob("spool/*/manifest.json")
    (take,) = json.loads(manifest.read_text())["takes"]
    report = analyze_take(manifest.parent / take["file"])

    assert (report.flashes, report.clicks, len(report.claps)) == (4, 4, 4)
    # Recording starts after the 3 s countdown, 0.2 s before the script's first `wait 0.5`.
    assert [round(c.video_s, 2) for c in report.claps] == [0.7, 2.4, 4.7, 6.6]
    assert all(abs(offset) <= MAX_OFFSET_MS for offset in report.offsets_ms)
    assert abs(report.drift_ms) <= MAX_DRIFT_MS
    assert report.dropped_frames == 0
