"""The Pi encoder's output: real H.264 access units, fed as picamera2's encoders feed them,
become take files that the booth's own muxer turns into a playable MP4."""

import json
import subprocess
from fractions import Fraction

import av
import numpy as np
import pytest

from booth.media.audio import AudioWriter
from booth.media.mux import mux_take
from booth.media.take_video import TakeVideoOutput, sensor_timestamp_ns
from booth.media.takefiles import TakeFiles, read_pts

W, H, FPS = 160, 120, 30
FRAME_NS = 33_333_333
T0_NS = 7_345_678_901_234  # a SensorTimestamp: ns since boot, not a multiple of 1 µs


def h264_access_units(count: int) -> list[tuple[bytes, bool]]:
    """`count` frames of moving picture encoded by libx264 like the Pi 5's LibavH264Encoder
    (ultrafast, zerolatency: no B-frames, one Annex-B packet per frame, in order)."""
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = W, H, "yuv420p"
    codec.time_base = Fraction(1, 1_000_000)
    codec.framerate = Fraction(FPS)
    codec.gop_size = FPS
    codec.options = {"preset": "ultrafast", "tune": "zerolatency"}
    codec.open()
    units = []
    for k in range(count):
        rgb = np.zeros((H, W, 3), dtype=np.uint8)
        rgb[:, (k * 4) % W :, 1] = 200
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = k * 33_333
        units += [(bytes(p), p.is_keyframe) for p in codec.encode(frame)]
    units += [(bytes(p), p.is_keyframe) for p in codec.encode(None)]
    assert len(units) == count
    return units


def sensor_times(count: int) -> list[int]:
    jitter = [0, 517, -230, 999, 41]
    return [T0_NS + k * FRAME_NS + jitter[k % len(jitter)] for k in range(count)]


def as_picamera2_reports(stamps: list[int]) -> tuple[int, list[int]]:
    """What picamera2's Encoder._timestamp makes of SensorTimestamps: whole µs, minus the
    first frame's (kept as encoder.firsttimestamp)."""
    first_us = int(stamps[0] / 1000)
    return first_us, [int(s / 1000) - first_us for s in stamps]


@pytest.fixture
def files(tmp_path):
    return TakeFiles(tmp_path / ".take-q1-1").create(
        question_id="q1", take=1, width=W, height=H, fps=FPS, sample_rate=48_000, channels=1
    )


def ffprobe(path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-show_format"]
        + ["-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def record(files, units, stamps) -> TakeVideoOutput:
    first_us, reports = as_picamera2_reports(stamps)
    output = TakeVideoOutput(files, lambda: first_us, FPS)
    output._add_stream("video", "h264")  # as H264Encoder._start does
    output.start()
    for (unit, key), ts in zip(units, reports, strict=True):
        output.outputframe(unit, key, ts)
    output.stop()  # as Encoder.stop does after the last frame
    return output


def test_frames_are_written_as_annex_b_with_absolute_sensor_times_in_ns(files):
    units = h264_access_units(45)
    stamps = sensor_times(45)
    stats = record(files, units, stamps).close()

    assert stats.frames == 45 and stats.dropped == 0 and stats.error is None
    assert files.video.read_bytes() == b"".join(u for u, _ in units)
    assert files.video.read_bytes().startswith(b"\x00\x00\x00\x01")
    written = read_pts(files.pts)
    assert len(written) == 45
    # Exact to the microsecond picamera2 keeps, on the sensor's own clock.
    assert all(0 <= s - w < 1000 for s, w in zip(stamps, written, strict=True))
    assert written == [s // 1000 * 1000 for s in stamps]


def test_the_take_muxes_with_its_microphone_audio_into_a_playable_mp4(files, tmp_path):
    units = h264_access_units(60)
    stamps = sensor_times(60)
    audio = AudioWriter(files, 48_000)
    # The microphone started 100 ms before the first frame and ran past the last one.
    start = T0_NS - 100_000_000
    for k in range(70):
        chunk = np.full((1600, 1), 1000, dtype=np.int16)
        audio.write(chunk, start + k * FRAME_NS)
    audio.close()
    record(files, units, stamps)

    result = mux_take(files, tmp_path / "q1-take1.mp4")
    probe = ffprobe(result.path)
    video = next(s for s in probe["streams"] if s["codec_type"] == "video")
    sound = next(s for s in probe["streams"] if s["codec_type"] == "audio")
    assert video["codec_name"] == "h264" and int(video["nb_read_frames"]) == 60
    assert (video["width"], video["height"]) == (W, H)
    assert sound["codec_name"] == "aac"
    assert result.duration_s == pytest.approx(2.0, abs=0.04)
    assert float(probe["format"]["duration"]) == pytest.approx(2.0, abs=0.05)


def test_nothing_is_written_before_the_first_keyframe(files):
    units = h264_access_units(3)
    first_us, reports = as_picamera2_reports(sensor_times(3))
    output = TakeVideoOutput(files, lambda: first_us)
    output.start()
    output.outputframe(units[1][0], False, reports[1])
    output.outputframe(units[0][0], True, reports[0])
    stats = output.close()
    assert stats.frames == 1 and stats.dropped == 1
    assert files.video.read_bytes() == units[0][0]


def test_audio_packets_from_picamera2_are_ignored(files):
    output = TakeVideoOutput(files, lambda: 0)
    output.start()
    output.outputframe(None, True, 0, object(), True)
    assert output.close().frames == 0
    assert files.video.read_bytes() == b""


def test_a_repeated_timestamp_still_gives_strictly_increasing_times(files):
    (unit, key), (other, _) = h264_access_units(2)
    output = TakeVideoOutput(files, lambda: 1_000)
    output.outputframe(unit, key, 0)
    output.outputframe(other, False, 0)
    output.close()
    assert read_pts(files.pts) == [1_000_000, 1_000_001]


def test_a_full_disk_stops_the_take_without_raising_into_the_encoder(files):
    files.video.symlink_to("/dev/full")  # every write fails with ENOSPC, as on a full disk
    units = h264_access_units(3)
    first_us, reports = as_picamera2_reports(sensor_times(3))
    output = TakeVideoOutput(files, lambda: first_us)
    output.start()
    for (unit, key), ts in zip(units, reports, strict=True):
        output.outputframe(unit, key, ts)
    assert "No space left on device" in output.error  # PiCamera.capture raises it to the kiosk
    stats = output.close()
    assert stats.frames == 0 and stats.dropped == 3
    assert stats.error == output.error
    assert read_pts(files.pts) == []  # no timestamp names a frame that is not on disk


def test_close_after_stop_reports_the_same_take(files):
    (unit, key), *_ = h264_access_units(1)
    output = TakeVideoOutput(files, lambda: 5)
    output.start()
    output.outputframe(unit, key, 0)
    output.stop()
    assert output.close() == output.close()
    assert output.close().frames == 1
    output.outputframe(unit, key, 33_333)  # a late frame after the end is not written
    assert read_pts(files.pts) == [5_000]


def test_encoder_timestamps_become_monotonic_nanoseconds():
    assert sensor_timestamp_ns(0, 7_345_678_901) == 7_345_678_901_000
    assert sensor_timestamp_ns(33_333, 7_345_678_901) == 7_345_712_234_000
    assert sensor_timestamp_ns(5, None) == 5_000
