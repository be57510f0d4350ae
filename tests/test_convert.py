"""`booth interviews add` conversion: any clip becomes H.264 ≤ 720p30 + AAC 48 kHz MP4."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from booth.media.convert import ConversionError, convert_clip


def write_clip(path: Path, codec: str, size, fps: int, seconds: float, audio=None) -> None:
    """A clip in some recruiter's format: `audio` is (codec, rate) or None."""
    w, h = size
    with av.open(str(path), "w") as out:
        video = out.add_stream(codec, rate=fps)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        if audio:
            sound = out.add_stream(audio[0], rate=audio[1], layout="stereo")
        for i in range(round(seconds * fps)):
            rgb = np.full((h, w, 3), (i * 3) % 256, np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        if audio:
            rate = audio[1]
            n = round(seconds * rate)
            tone = (0.3 * np.sin(np.arange(n) * 2 * np.pi * 440 / rate)).astype(np.float32)
            planes = np.stack([tone, tone])
            step = sound.codec_context.frame_size or 1024
            for k in range(0, n - step + 1, step):
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(planes[:, k : k + step]), format="fltp", layout="stereo"
                )
                frame.rate, frame.pts, frame.time_base = rate, k, Fraction(1, rate)
                out.mux(sound.encode(frame))
            out.mux(sound.encode())


def streams(path: Path) -> dict:
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        frames = sum(1 for _ in c.decode(video=0))
        return {
            "video": (v.codec_context.name, v.codec_context.width, v.codec_context.height,
                      v.average_rate, frames),
            "audio": (a.codec_context.name, a.codec_context.sample_rate),
        }  # fmt: skip


@pytest.mark.slow
def test_a_1080p60_mov_becomes_720p30_h264_with_aac_48k_and_the_index_in_front(tmp_path):
    src, dst = tmp_path / "phone.mov", tmp_path / "intro-1.mp4"
    write_clip(src, "mpeg4", (1920, 1080), 60, 1.0, ("pcm_s16le", 44_100))
    progress: list[float] = []
    converted = convert_clip(src, dst, progress.append)
    assert streams(dst) == {"video": ("h264", 1280, 720, 30, 30), "audio": ("aac", 48_000)}
    assert progress == sorted(progress) and progress[-1] == 1.0 and len(progress) > 5
    assert converted.seconds == pytest.approx(1.0, abs=0.05)
    head = dst.read_bytes()[:4096]
    assert b"moov" in head  # faststart: playback can begin before the whole file is read


@pytest.mark.slow
def test_a_small_webm_keeps_its_size_and_becomes_mp4(tmp_path):
    src, dst = tmp_path / "clip.webm", tmp_path / "clip.mp4"
    write_clip(src, "libvpx", (320, 180), 25, 0.6, ("libopus", 48_000))
    convert_clip(src, dst)
    assert streams(dst) == {"video": ("h264", 320, 180, 25, 15), "audio": ("aac", 48_000)}


def test_an_unreadable_file_is_rejected_naming_it(tmp_path):
    src = tmp_path / "question-2.mp4"
    src.write_bytes(b"this is a text file that someone renamed")
    dst = tmp_path / "out" / "question-2.mp4"
    with pytest.raises(ConversionError, match=r"question-2\.mp4: cannot be read as a video"):
        convert_clip(src, dst)
    assert not dst.exists()


def test_a_damaged_clip_leaves_nothing_behind(tmp_path):
    whole = Path(__file__).resolve().parents[1] / "config/interviews/example/question-2.mp4"
    src = tmp_path / "cut.mp4"
    src.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # cut off half-way
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ConversionError, match=r"cut\.mp4"):
        convert_clip(src, out / "cut.mp4")
    assert list(out.iterdir()) == []
