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

from bench.clap_booth import write_clap_booth
from booth.kiosk import recorder
from booth.media.analyze import analyze_take
from booth.media.mux import mux_take

pytestmark = pytest.mark.slow

TAKE_S = 30
CLAP_EVERY_S = 3


REAL_WORLD = {
    "mic_clock_ppm": 1000,
    "mic_latency_ms": 30,
    "mic_jitter_ms": 2,
    "frame_jitter_ms": 1,
    "dropped_frames_per_minute": 30,
}


def record(tmp_path: Path):
    config, interviews, script = write_clap_booth(
        tmp_path, 160, 120, TAKE_S, CLAP_EVERY_S, REAL_WORLD
    )
    out = tmp_path / "out"
    assert simulate_booth(config, script, out, interviews) == 0
    (manifest,) = out.glob("spool/*/manifest.json")
    (take,) = json.loads(manifest.read_text())["takes"]
    return analyze_take(manifest.parent / take["file"])


def test_a_drifting_late_jittery_microphone_stays_in_sync(tmp_path):
    report = record(tmp_path)
    assert len(report.claps) == TAKE_S // CLAP_EVERY_S  # every 3 s from 1.5 s
    assert max(abs(o) for o in report.offsets_ms) <= 20
    assert abs(report.drift_ms) <= 5
    assert report.dropped_frames > 0  # the simulated camera dropped some, as told


def test_without_drift_correction_the_same_take_fails_the_targets(tmp_path, monkeypatch):
    monkeypatch.setattr(recorder, "mux_take", functools.partial(mux_take, correct_drift=False))
    report = record(tmp_path)
    # 1000 ppm over the take: the sound slides by about 30 ms from the first clap to the last.
    assert report.drift_ms == pytest.approx(27, abs=4)
    assert abs(report.drift_ms) > 5
