"""Measuring takes: the clap's flash and click, frame rate and dropped frames, on real MP4s.

The takes are made the way the booth makes them: the software H.264 writer, the audio writer
and the muxer, with a white frame and a full-scale burst placed at known times.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from booth.media.analyze import TakeUnreadable, analyze_take
from booth.media.audio import AudioWriter
from booth.media.mux import mux_take
from booth.media.takefiles import TakeFiles
from booth.sim.camera import SoftwareRecording
from booth.sim.voice import Voice

RATE = 48_000
FPS = 30
NS = 1_000_000_000
START_NS = 5 * NS  # CLOCK_MONOTONIC of the first frame, as on a booth that booted 5 s ago
SAMPLE_MS = 1000 / RATE


def make_take(
    tmp_path: Path,
    seconds: float,
    flashes: list[int] = (),
    clicks_s: list[float] = (),
    skipped: set[int] = frozenset(),
    voice: bool = False,
) -> Path:
    """An MP4 of `seconds`: grey frames, white at the frame indices in `flashes`, frames in
    `skipped` never delivered; audio silent (or speech) with a 5 ms full-scale square burst
    starting at each time in `clicks_s` (seconds after the first frame)."""
    files = TakeFiles(tmp_path / ".take-q1-1").create(fps=FPS, sample_rate=RATE, channels=1)
    video = SoftwareRecording.for_files(files, 160, 120, FPS, 300_000, realtime=False)
    grey = np.full((120, 160, 3), 90, dtype=np.uint8)
    white = np.full((120, 160, 3), 250, dtype=np.uint8)
    for i in range(round(seconds * FPS)):
        if i not in skipped:
            video.write(white if i in flashes else grey, START_NS + round(i * NS / FPS))
    video.close()

    total = round(seconds * RATE)
    sound = Voice(rate=RATE, seed=3).samples(0, total) if voice else np.zeros(total)
    for at in clicks_s:
        first = round(at * RATE)
        k = np.arange(240)
        sound[first : first + 240] = np.where((k // 12) % 2 == 0, 1.0, -1.0)
    pcm = np.rint(np.clip(sound, -1, 1) * 32767).astype(np.int16)
    audio = AudioWriter(files, RATE)
    for first in range(0, total, 1600):
        audio.write(pcm[first : first + 1600], START_NS + first * NS // RATE)
    audio.close()
    return mux_take(files, tmp_path / "q1-take1.mp4").path


def test_a_click_37_ms_after_the_flash_is_measured_to_the_sample(tmp_path):
    late = 1776 / RATE  # 37 ms, a whole number of samples
    mp4 = make_take(tmp_path, 3, flashes=[30], clicks_s=[1.0 + late])
    report = analyze_take(mp4)
    assert (report.flashes, report.clicks, len(report.claps)) == (1, 1, 1)
    (clap,) = report.claps
    assert clap.video_s == pytest.approx(1.0, abs=1e-4)
    assert report.offset_ms == pytest.approx(37.0, abs=SAMPLE_MS)


def test_sound_before_the_picture_gives_a_negative_offset(tmp_path):
    mp4 = make_take(tmp_path, 3, flashes=[45], clicks_s=[1.5 - 0.012])
    assert analyze_take(mp4).offset_ms == pytest.approx(-12.0, abs=SAMPLE_MS)


def test_drift_is_the_last_claps_offset_minus_the_first(tmp_path):
    mp4 = make_take(tmp_path, 4, flashes=[15, 60, 105], clicks_s=[0.5, 2.0 + 0.002, 3.5 + 0.004])
    report = analyze_take(mp4)
    assert report.offsets_ms == pytest.approx([0.0, 2.0, 4.0], abs=SAMPLE_MS)
    assert report.offset_ms == pytest.approx(2.0, abs=SAMPLE_MS)
    assert report.drift_ms == pytest.approx(4.0, abs=2 * SAMPLE_MS)


@pytest.mark.slow
def test_speech_is_not_taken_for_a_click(tmp_path):
    mp4 = make_take(tmp_path, 4, flashes=[60], clicks_s=[2.0], voice=True)
    report = analyze_take(mp4)
    assert report.clicks == 1
    assert report.offset_ms == pytest.approx(0.0, abs=SAMPLE_MS)


def test_a_lasting_change_of_brightness_is_not_a_flash(tmp_path):
    report = analyze_take(make_take(tmp_path, 2, flashes=list(range(20, 60))))
    assert report.flashes == 0


def test_a_flash_without_a_click_is_counted_but_not_paired(tmp_path):
    report = analyze_take(make_take(tmp_path, 2, flashes=[30]))
    assert (report.flashes, report.clicks, report.claps) == (1, 0, ())
    assert report.offset_ms is None and report.drift_ms is None


def test_missing_frames_are_counted_as_dropped_and_lower_the_frame_rate(tmp_path):
    report = analyze_take(make_take(tmp_path, 2, skipped={10, 30, 31, 32}))
    assert report.frames == 56
    assert report.dropped_frames == 4
    assert report.fps_measured == pytest.approx(55 / (59 / FPS), rel=1e-3)


def test_a_steady_take_reports_its_length_rate_and_software_encoder(tmp_path):
    report = analyze_take(make_take(tmp_path, 2))
    assert (report.frames, report.dropped_frames) == (60, 0)
    assert report.fps_measured == pytest.approx(30.0, rel=1e-3)
    assert report.duration_s == pytest.approx(2.0, abs=0.05)
    assert report.encoder is not None and report.encoder.startswith("x264 core")


def test_a_file_that_is_not_a_take_is_refused_by_name(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with pytest.raises(TakeUnreadable, match="notes.mp4"):
        analyze_take(bad)
