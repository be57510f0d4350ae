"""A booth whose USB microphone has a clock of its own: the take stays in sync because the
muxer measures and corrects the drift, and the check fails when the correction is off.

`booth simulate --config` with a [simulation] table: the microphone's clock runs 1000 ppm fast
(30 ms over a 30 s take, beyond the ±20 ms and ±5 ms targets), its sound reaches the booth
30 ms late (reported as a driver reports its delay), its timestamps jitter by 2 ms, the frames'
by 1 ms, and the camera drops frames. The kept MP4 is measured at its claps.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from conftest import simulate_booth

from booth.kiosk import recorder
from booth.media.analyze import analyze_take
from booth.media.mux import mux_take

TAKE_S = 30
CLAP_EVERY_S = 3


def clap_booth(root: Path) -> tuple[Path, Path, str]:
    interview = root / "interviews" / "drift"
    interview.mkdir(parents=True)
    (interview / "interview.toml").write_text(
        'id = "drift"\nemployer = "Test"\ntitle = { en = "Drift" }\nlanguages = ["en"]\n'
        "valid_from = 2025-01-01T00:00:00+01:00\ndeadline = 2035-12-31T23:59:00+01:00\n"
        "intro_clips = []\n\n[[questions]]\n"
        f'id = "q1"\ntext = {{ en = "Clap." }}\nanswer_seconds = {TAKE_S}\nreview = false\n'
    )
    (interview / "codes.csv").write_text("code,candidate_ref\n123456,DRIFT-1\n")
    config = root / "booth.toml"
    config.write_text(
        'language = "en"\nlanguages = ["en"]\n'
        "[recording]\nwidth = 160\nheight = 120\nbitrate_bps = 200_000\ndisk_margin_bytes = 0\n"
        "[simulation]\nmic_clock_ppm = 1000\nmic_latency_ms = 30\nmic_jitter_ms = 2\n"
        "frame_jitter_ms = 1\ndropped_frames_per_minute = 30\n"
    )
    lines = ["press start", "type 123456", "press confirm", "press next", "press accept"]
    lines += ["press next", "press next", "expect countdown", "wait 3", "wait 1.5", "clap"]
    lines += [f"wait {CLAP_EVERY_S}\nclap"] * ((TAKE_S - 3) // CLAP_EVERY_S)
    lines += ["wait 4", "expect done"]
    return config, root / "interviews", "\n".join(lines) + "\n"


def record(tmp_path: Path):
    config, interviews, script = clap_booth(tmp_path)
    out = tmp_path / "out"
    assert simulate_booth(config, script, out, interviews) == 0
    (manifest,) = out.glob("spool/*/manifest.json")
    (take,) = json.loads(manifest.read_text())["takes"]
    return analyze_take(manifest.parent / take["file"])


def test_a_drifting_late_jittery_microphone_stays_in_sync(tmp_path):
    report = record(tmp_path)
    assert len(report.claps) == (TAKE_S - 3) // CLAP_EVERY_S + 1
    assert max(abs(o) for o in report.offsets_ms) <= 20
    assert abs(report.drift_ms) <= 5
    assert report.dropped_frames > 0  # the simulated camera dropped some, as told


def test_without_drift_correction_the_same_take_fails_the_targets(tmp_path, monkeypatch):
    monkeypatch.setattr(recorder, "mux_take", functools.partial(mux_take, correct_drift=False))
    report = record(tmp_path)
    # 1000 ppm over the take: the sound slides by about 30 ms from the first clap to the last.
    assert report.drift_ms == pytest.approx(27, abs=4)
    assert abs(report.drift_ms) > 5
