"""Takes on disk and the muxer: real files through real PyAV/libx264, checked with ffprobe."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import av
import numpy as np
import pytest

from booth.media.audio import AudioWriter
from booth.media.mux import TakeUnusable, mux_take
from booth.media.recover import recover_take
from booth.media.takefiles import TakeFiles, TakeWriteError, read_pts
from booth.sim.camera import SoftwareRecording

W, H, FPS, RATE = 160, 120, 30, 48_000
FRAME_NS = 1_000_000_000 // FPS
T0 = 5_000_000_000_000  # CLOCK_MONOTONIC of the first frame: about 83 minutes after boot


def record(
    take_dir: Path,
    seconds: float,
    flash_frame: int | None = None,
    audio_lead_s: float = 0.0,
    drift: float = 0.0,
) -> TakeFiles:
    """Record a take of a moving bar and quiet hum through the real writers.

    ``flash_frame``: that frame is white and the microphone hears a click at the same instant.
    ``audio_lead_s``: the microphone starts this long before the first frame (negative: after).
    ``drift``: the mic's real rate is RATE * (1 + drift) samples per second of CLOCK_MONOTONIC.
    """
    files = TakeFiles(take_dir).create(
        question_id="q1", take=1, width=W, height=H, fps=FPS, sample_rate=RATE, channels=1
    )
    frames = round(seconds * FPS)
    video = SoftwareRecording.for_files(files, W, H, FPS, 400_000, realtime=False)
    for i in range(frames):
        rgb = np.full((H, W, 3), 40, np.uint8)
        rgb[:, (3 * i) % W] = 200
        if i == flash_frame:
            rgb[:] = 255
        video.write(rgb, T0 + i * FRAME_NS)
    video.close()

    real_rate = RATE * (1 + drift)
    start_ns = T0 - round(audio_lead_s * 1e9)
    end_ns = T0 + frames * FRAME_NS + 300_000_000
    count = int((end_ns - start_ns) / 1e9 * real_rate)
    sound = (np.random.default_rng(1).normal(0, 30, count)).astype(np.int16)
    if flash_frame is not None:
        at = round((T0 + flash_frame * FRAME_NS - start_ns) / 1e9 * real_rate)
        sound[at : at + 240] = (np.sin(np.arange(240) * 2 * np.pi / 24) * 20_000).astype(np.int16)
    audio = AudioWriter(files, RATE, 1)
    jitter = np.random.default_rng(2)
    for first in range(0, count, 480):
        stamp = start_ns + first / real_rate * 1e9 + jitter.uniform(-500_000, 500_000)
        audio.write(sound[first : first + 480], int(stamp))
    audio.close()
    return files


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        ["/usr/bin/ffprobe", "-v", "error", "-print_format", "json", "-show_streams"]
        + ["-show_format", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def top_level_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types in file order."""
    boxes, data, at = [], path.read_bytes(), 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        boxes.append(data[at + 4 : at + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        at += size if size else len(data)
    return boxes


def av_offset_ms(path: Path) -> float:
    """Audio click time minus white frame time in the MP4, in milliseconds."""
    with av.open(str(path)) as container:
        brightest = max(
            container.decode(video=0), key=lambda f: f.to_ndarray(format="gray").mean()
        ).time
    with av.open(str(path)) as container:
        chunks = [f for f in container.decode(audio=0)]
    start = chunks[0].time
    sound = np.concatenate([f.to_ndarray()[0] for f in chunks])
    click = np.flatnonzero(np.abs(sound) > 0.5 * np.abs(sound).max())[0]
    return (start + click / RATE - brightest) * 1000


def test_a_take_muxes_to_h264_and_aac_of_the_recorded_length(tmp_path):
    files = record(tmp_path / ".take-q1-1", 3.0)
    result = mux_take(files, tmp_path / "q1-take1.mp4")
    probe = ffprobe(result.path)
    codecs = sorted(s["codec_name"] for s in probe["streams"])
    assert codecs == ["aac", "h264"]
    assert float(probe["format"]["duration"]) == pytest.approx(3.0, abs=0.1)
    assert result.duration_s == pytest.approx(3.0, abs=0.01)
    assert result.frames == 90 and not result.recovered
    assert result.bytes == result.path.stat().st_size
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_the_mp4_is_faststart_with_moov_before_mdat(tmp_path):
    result = mux_take(record(tmp_path / "t", 1.0), tmp_path / "out.mp4")
    boxes = top_level_boxes(result.path)
    assert boxes.index("moov") < boxes.index("mdat")


def test_the_video_stream_has_no_b_frames_and_one_keyframe_a_second(tmp_path):
    result = mux_take(record(tmp_path / "t", 3.0), tmp_path / "out.mp4")
    with av.open(str(result.path)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    keyframes = [i for i, p in enumerate(packets) if p.is_keyframe]
    assert keyframes == [0, 30, 60]
    assert all(p.pts == p.dts for p in packets)


@pytest.mark.parametrize("lead_s", [0.0, 0.2, -0.2])
def test_the_click_is_heard_when_the_white_frame_is_seen(tmp_path, lead_s):
    files = record(tmp_path / "t", 2.0, flash_frame=30, audio_lead_s=lead_s)
    result = mux_take(files, tmp_path / "out.mp4")
    assert abs(av_offset_ms(result.path)) <= 20
    assert float(ffprobe(result.path)["format"]["duration"]) == pytest.approx(2.0, abs=0.1)


@pytest.mark.slow
def test_a_mic_clock_running_fast_by_a_tenth_of_a_percent_stays_in_sync(tmp_path):
    # Uncorrected, 0.1 % over 24 s would put the click 24 ms late.
    files = record(tmp_path / "t", 25.0, flash_frame=24 * FPS, drift=0.001)
    result = mux_take(files, tmp_path / "out.mp4")
    assert abs(av_offset_ms(result.path)) <= 5
    assert float(ffprobe(result.path)["format"]["duration"]) == pytest.approx(25.0, abs=0.1)


def test_max_seconds_cuts_the_take_at_the_answer_limit(tmp_path):
    result = mux_take(record(tmp_path / "t", 3.0), tmp_path / "out.mp4", max_seconds=2.0)
    assert result.frames == 60
    assert float(ffprobe(result.path)["format"]["duration"]) == pytest.approx(2.0, abs=0.1)


def test_a_take_with_no_audio_gets_a_silent_aac_track(tmp_path):
    files = TakeFiles(tmp_path / "t").create(fps=FPS, sample_rate=RATE, channels=1)
    video = SoftwareRecording.for_files(files, W, H, FPS, 400_000, realtime=False)
    for i in range(30):
        video.write(np.zeros((H, W, 3), np.uint8), T0 + i * FRAME_NS)
    video.close()
    probe = ffprobe(mux_take(files, tmp_path / "out.mp4").path)
    assert sorted(s["codec_name"] for s in probe["streams"]) == ["aac", "h264"]


def _copy(files: TakeFiles, to: Path) -> TakeFiles:
    shutil.copytree(files.path, to)
    return TakeFiles(to)


def test_recovery_drops_a_half_written_last_frame(tmp_path):
    crashed = _copy(record(tmp_path / "whole", 2.0), tmp_path / "crashed")
    with open(crashed.video, "r+b") as f:
        f.truncate(crashed.video.stat().st_size - 50)
    result = recover_take(crashed.path, tmp_path / "out.mp4")
    assert result is not None and result.recovered
    assert result.frames == 59
    probe = ffprobe(result.path)
    assert sorted(s["codec_name"] for s in probe["streams"]) == ["aac", "h264"]
    assert float(probe["format"]["duration"]) == pytest.approx(59 / FPS, abs=0.1)


def test_recovery_ignores_a_pts_line_cut_before_its_newline(tmp_path):
    crashed = _copy(record(tmp_path / "whole", 2.0), tmp_path / "crashed")
    crashed.pts.write_text(crashed.pts.read_text()[:-4])
    assert len(read_pts(crashed.pts)) == 59
    result = recover_take(crashed.path, tmp_path / "out.mp4")
    assert result.frames == 59
    assert float(ffprobe(result.path)["format"]["duration"]) == pytest.approx(59 / FPS, abs=0.1)


def test_recovery_uses_only_frames_that_have_both_packet_and_timestamp(tmp_path):
    whole = record(tmp_path / "whole", 2.0)
    fewer_pts = _copy(whole, tmp_path / "fewer_pts")
    lines = fewer_pts.pts.read_text().splitlines(keepends=True)
    fewer_pts.pts.write_text("".join(lines[:40]))
    assert recover_take(fewer_pts.path, tmp_path / "a.mp4").frames == 40

    fewer_packets = _copy(whole, tmp_path / "fewer_packets")
    with open(fewer_packets.video, "r+b") as f:
        f.truncate(fewer_packets.video.stat().st_size // 2)
    result = recover_take(fewer_packets.path, tmp_path / "b.mp4")
    assert 10 < result.frames < 60
    assert float(ffprobe(result.path)["format"]["duration"]) == pytest.approx(
        result.frames / FPS, abs=0.1
    )


def test_recovery_of_a_take_with_nothing_usable_returns_none_and_keeps_the_files(tmp_path):
    files = TakeFiles(tmp_path / "t").create(fps=FPS, sample_rate=RATE, channels=1)
    files.video.write_bytes(b"\x00\x00\x01garbage")
    files.pts.write_text(f"{T0}\n")
    assert recover_take(files.path, tmp_path / "out.mp4") is None
    assert files.video.exists() and files.meta.exists()
    assert not (tmp_path / "out.mp4").exists()
    assert not list(tmp_path.glob(".*.tmp"))
    with pytest.raises(TakeUnusable):
        mux_take(TakeFiles(tmp_path / "missing"), tmp_path / "out.mp4")


def test_a_realtime_writer_drops_frames_instead_of_blocking_the_camera(tmp_path):
    files = TakeFiles(tmp_path / "t").create()
    video = SoftwareRecording.for_files(files, 1280, 720, FPS, 4_000_000, realtime=True)
    frame = np.random.default_rng(0).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    for i in range(60):  # as fast as it takes them: faster than it encodes 720p
        video.write(frame, T0 + i * FRAME_NS)
    stats = video.close()
    assert stats.dropped > 0  # a waiting writer drops none (how long write takes: bench latency)
    assert stats.frames + stats.dropped == 60
    assert len(read_pts(files.pts)) == stats.frames


def test_audio_writer_logs_each_chunk_with_its_first_sample_and_time(tmp_path):
    files = TakeFiles(tmp_path / "t").create()
    audio = AudioWriter(files, RATE, 2)
    audio.write(np.zeros((100, 2), np.int16), 1_000)
    audio.write(np.ones((50, 2), np.int16), 2_000)
    audio.close()
    assert files.audio_ts.read_text() == "0 1000\n100 2000\n"
    assert files.audio.stat().st_size == 150 * 2 * 2
    floats = AudioWriter(TakeFiles(tmp_path), RATE, 1)
    with pytest.raises(TypeError):
        floats.write(np.zeros(10, np.float32), 0)
    floats.close()


def test_a_full_disk_stops_the_writers_with_a_clear_error_and_no_hang(tmp_path):
    files = TakeFiles(tmp_path / "t").create()
    files.video.symlink_to("/dev/full")
    files.audio.symlink_to("/dev/full")
    video = SoftwareRecording.for_files(files, W, H, FPS, 400_000, realtime=False)
    with pytest.raises(TakeWriteError, match="No space left"):
        for i in range(100):
            video.write(np.zeros((H, W, 3), np.uint8), T0 + i * FRAME_NS)
            time.sleep(0.001)
    stats = video.close()
    assert stats.frames == 0 and "No space left" in stats.error
    audio = AudioWriter(files, RATE, 1)
    with pytest.raises(TakeWriteError, match="No space left"):
        audio.write(np.zeros(480, np.int16), T0)
    audio.close()
