"""Turning a take's crash-safe files into the MP4 a recruiter receives.

The H.264 stream is copied as it is (no re-encode: fast on a Pi); each frame gets its pts from
``video.pts``, relative to the first frame. The audio is re-timed onto the camera's timeline:
the first output sample sits at the first frame's time (trimmed or padded with silence), and
the microphone's real sample rate, measured from ``audio.ts`` against CLOCK_MONOTONIC, is
resampled to the nominal one so that a slow or fast USB clock does not drift away from the
picture. The take ends one frame period after its last frame; the audio is cut to match.
A cue's tone that sounded during the take (``tones.txt``) is taken back out of its window with
a narrow band-stop (``booth.media.tones``).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from booth.media.take_result import TakeResult
from booth.media.takefiles import TakeFiles, read_audio_ts, read_pts, read_tones
from booth.media.tones import FADE_S, PAD_S, remove_tone
from booth.privacy.files import fsync_dir, make_private

log = logging.getLogger(__name__)

_NS = Fraction(1, 1_000_000_000)
VIDEO_TIME_BASE = Fraction(1, 90_000)
AUDIO_BLOCK_S = 0.5
MAX_CLOCK_ERROR = 0.01
"""A measured mic rate further than 1 % from nominal is a timestamp fault, not drift."""


class TakeUnusable(Exception):
    """The take's files hold no frame that can be muxed."""


@dataclass(frozen=True)
class AudioTiming:
    """Where the microphone's samples sit on CLOCK_MONOTONIC: sample k was taken at
    ``origin_ns + k * period_ns``."""

    origin_ns: float
    period_ns: float


def measure_audio_timing(
    marks: list[tuple[int, int]], sample_rate: int, correct_drift: bool = True
) -> AudioTiming | None:
    """Fit a line through the ``(sample_index, ns)`` marks of ``audio.ts``.

    Each mark's timestamp jitters by the ALSA period; a least-squares line over the whole take
    averages that out and measures the real sample period. Falls back to the nominal period
    when there are too few marks or the fit is implausible, and with ``correct_drift`` False
    (which only shows what the correction is worth: the offset then grows with the take).
    """
    if not marks:
        return None
    nominal = 1e9 / sample_rate
    index = np.array([m[0] for m in marks], dtype=np.float64)
    base = marks[0][1]
    stamp = np.array([m[1] - base for m in marks], dtype=np.float64)
    if correct_drift and len(marks) >= 2 and index[-1] - index[0] >= sample_rate:
        period, origin = np.polyfit(index - index[0], stamp, 1)
        origin -= period * index[0]
        if abs(period / nominal - 1) <= MAX_CLOCK_ERROR:
            return AudioTiming(origin_ns=base + origin, period_ns=float(period))
        log.warning(
            "audio clock %.4f %% off nominal: timestamps ignored", 100 * (period / nominal - 1)
        )
    origin = float(np.median(stamp - index * nominal))
    return AudioTiming(origin_ns=base + origin, period_ns=nominal)


class AlignedAudio:
    """The take's audio re-sampled onto the video timeline: output sample j is the sound at
    ``first_frame_ns + j / sample_rate`` seconds; silence where the mic has no sample; the
    band of each cue tone of ``tones.txt`` removed over its window."""

    def __init__(
        self,
        files: TakeFiles,
        sample_rate: int,
        channels: int,
        first_frame_ns: int,
        correct_drift: bool = True,
    ):
        self.sample_rate = sample_rate
        self.channels = channels
        frame_bytes = 2 * channels
        size = files.audio.stat().st_size if files.audio.exists() else 0
        self.count = size // frame_bytes
        self._pcm = (
            np.memmap(files.audio, dtype="<i2", mode="r", shape=(self.count, channels))
            if self.count
            else np.zeros((0, channels), dtype=np.int16)
        )
        marks = [m for m in read_audio_ts(files.audio_ts) if m[0] < self.count]
        timing = measure_audio_timing(marks, sample_rate, correct_drift)
        self.drift = 0.0
        # Each tone's window in output samples, and its band-stopped sound once made.
        self._tones = [
            (
                hz,
                _at(start_ns, first_frame_ns, sample_rate),
                _at(end_ns, first_frame_ns, sample_rate),
            )
            for hz, start_ns, end_ns in read_tones(files.tones, sample_rate)
            if end_ns > first_frame_ns
        ]
        self._stopped: dict[int, tuple[int, np.ndarray]] = {}
        if timing is None:
            log.warning("take %s: no audio, writing silence", files.path.name)
            self.count = 0
            return
        # Source position (in mic samples) of output sample 0, and mic samples per output sample.
        self._start = (first_frame_ns - timing.origin_ns) / timing.period_ns
        self._step = (1e9 / sample_rate) / timing.period_ns
        self.drift = self._step - 1.0

    def samples(self, first: int, count: int) -> np.ndarray:
        """Output samples ``first .. first+count`` as int16, shape (count, channels)."""
        out = self._aligned(first, count)
        fade = round(FADE_S * self.sample_rate)
        for i, (_hz, start, end) in enumerate(self._tones):
            lo, hi = max(first, start - fade), min(first + count, end + fade)
            if lo < hi:
                at, stopped = self._tone_removed(i)
                out[lo - first : hi - first] = stopped[lo - at : hi - at]
        return out

    def _tone_removed(self, i: int) -> tuple[int, np.ndarray]:
        """Tone i's window with its band removed, and where it starts (output samples); made
        once, from the sound around the window, since the mux asks for blocks."""
        if i not in self._stopped:
            hz, start, end = self._tones[i]
            pad = round(PAD_S * self.sample_rate)
            at = max(0, start - pad)
            around = self._aligned(at, end + pad - at)
            self._stopped[i] = (at, remove_tone(around, self.sample_rate, hz, start - at, end - at))
        return self._stopped[i]

    def _aligned(self, first: int, count: int) -> np.ndarray:
        out = np.zeros((count, self.channels), dtype=np.int16)
        if count <= 0 or self.count == 0:
            return out
        pos = self._start + (first + np.arange(count, dtype=np.float64)) * self._step
        if abs(self._step - 1.0) * (first + count) < 0.5:
            # No measurable drift: a plain shift keeps the samples bit-exact.
            src = np.rint(pos).astype(np.int64)
            ok = (src >= 0) & (src < self.count)
            if ok.any():
                lo, hi = src[ok].min(), src[ok].max() + 1
                out[ok] = self._pcm[lo:hi][src[ok] - lo]
            return out
        left = np.floor(pos).astype(np.int64)
        frac = (pos - left)[:, None]
        ok = (left >= 0) & (left + 1 < self.count)
        if ok.any():
            lo, hi = left[ok].min(), left[ok].max() + 2
            chunk = self._pcm[lo:hi].astype(np.float32)
            a = chunk[left[ok] - lo]
            b = chunk[left[ok] - lo + 1]
            out[ok] = np.rint(a + (b - a) * frac[ok]).astype(np.int16)
        return out


def _at(ns: int, first_frame_ns: int, sample_rate: int) -> int:
    return max(0, round((ns - first_frame_ns) * sample_rate / 1e9))


def mux_take(
    files: TakeFiles,
    out_path: Path,
    max_seconds: float | None = None,
    recovered: bool = False,
    correct_drift: bool = True,
) -> TakeResult:
    """Mux a take's files into ``out_path`` (MP4, H.264 + AAC, faststart), atomically.

    ``max_seconds`` caps the length (frames past it are left out). With ``recovered`` the
    files are taken to be cut off by a crash: only the frames that have both their packet and
    their timestamp are used, and the very last packet is dropped in case it is incomplete.
    ``correct_drift`` False leaves the microphone's clock error in (for the check that the
    correction matters). Raises ``TakeUnusable`` when no frame can be used.
    """
    meta = files.read_meta()
    fps = float(meta.get("fps") or 30.0)
    sample_rate = int(meta.get("sample_rate") or 48_000)
    channels = int(meta.get("channels") or 1)
    stamps = read_pts(files.pts)
    if not stamps or not files.video.exists() or files.video.stat().st_size == 0:
        raise TakeUnusable(f"{files.path}: no video frames")
    period_ns = _frame_period_ns(stamps, fps)
    limit_ns = None if max_seconds is None else int(max_seconds * 1e9) - period_ns // 2
    timing = _FrameTiming(stamps, period_ns, limit_ns, recovered)

    tmp = out_path.with_name(f".{out_path.name}.tmp")
    try:
        audio = AlignedAudio(files, sample_rate, channels, stamps[0], correct_drift)
        frames, end_ns = _write_mp4(files, tmp, timing, audio)
        make_private(tmp)  # PyAV creates it with the umask's mode
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, out_path)
        fsync_dir(out_path.parent)
    finally:
        tmp.unlink(missing_ok=True)
    size, digest = _size_and_sha256(out_path)
    return TakeResult(out_path, size, digest, round(end_ns / 1e9, 3), frames, recovered)


@dataclass(frozen=True)
class _FrameTiming:
    """When the take's frames were seen: each frame's timestamp (ns), the frame period, the
    length cap (frames past it are left out; None: none), and whether a crash cut the files."""

    stamps: list[int]
    period_ns: int
    limit_ns: int | None
    recovered: bool


def _write_mp4(
    files: TakeFiles, tmp: Path, timing: _FrameTiming, audio: AlignedAudio
) -> tuple[int, int]:
    stamps, period_ns, limit_ns = timing.stamps, timing.period_ns, timing.limit_ns
    sample_rate, channels = audio.sample_rate, audio.channels
    try:
        source = av.open(str(files.video), format="h264")
    except av.FFmpegError as error:
        raise TakeUnusable(f"{files.video}: {error}") from error
    out_channels = 2 if channels == 2 else 1
    try:
        with (
            source,
            av.open(
                str(tmp), "w", format="mp4", container_options={"movflags": "+faststart"}
            ) as out,
        ):
            video = out.add_stream_from_template(source.streams.video[0])
            video.time_base = VIDEO_TIME_BASE
            sound = out.add_stream(
                "aac", rate=sample_rate, layout="stereo" if out_channels == 2 else "mono"
            )
            sound.bit_rate = 64_000 * out_channels
            frames, audio_done, last_ns = 0, 0, -1
            block = int(AUDIO_BLOCK_S * sample_rate)
            for packet, stamp in _frames(source, stamps, timing.recovered):
                at_ns = max(stamp - stamps[0], last_ns + 1)
                if limit_ns is not None and at_ns > limit_ns:
                    break
                # Keep audio just behind the picture so the muxer interleaves without buffering.
                while (audio_done + block) * 1e9 / sample_rate <= at_ns:
                    _mux_audio(out, sound, audio, audio_done, block, out_channels)
                    audio_done += block
                packet.stream = video
                packet.time_base = _NS
                packet.pts = packet.dts = at_ns
                packet.duration = period_ns
                out.mux(packet)
                frames, last_ns = frames + 1, at_ns
            if frames == 0:
                raise TakeUnusable(f"{files.video}: no complete frame")
            end_ns = last_ns + period_ns
            total = round(end_ns * sample_rate / 1e9)
            while audio_done < total:
                count = min(block, total - audio_done)
                _mux_audio(out, sound, audio, audio_done, count, out_channels)
                audio_done += count
            out.mux(sound.encode(None))
    except av.FFmpegError as error:
        raise TakeUnusable(f"{files.path}: {error}") from error
    return frames, end_ns


def _frames(source: av.container.InputContainer, stamps: list[int], recovered: bool) -> Iterator:
    """Pairs (packet, timestamp) for the frames that have both, in order."""
    pending = None
    index = 0
    try:
        for packet in source.demux(source.streams.video[0]):
            if packet.size == 0:
                continue
            if pending is not None:
                yield pending
                pending = None
            if index >= len(stamps):
                return
            pending = (packet, stamps[index])
            index += 1
    except av.FFmpegError as error:
        log.warning("video stream cut short: %s", error)
        recovered = True
    # The last packet in the file may be cut mid-write by a crash: a recovered take drops it.
    if pending is not None and not recovered:
        yield pending


def _mux_audio(
    out: av.container.OutputContainer,
    stream: av.AudioStream,
    audio: AlignedAudio,
    first: int,
    count: int,
    channels: int,
) -> None:
    data = audio.samples(first, count)
    if data.shape[1] != channels:
        data = data.mean(axis=1, keepdims=True).astype(np.int16)
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(data).reshape(1, -1),
        format="s16",
        layout="stereo" if channels == 2 else "mono",
    )
    frame.sample_rate = audio.sample_rate
    frame.pts = first
    frame.time_base = Fraction(1, audio.sample_rate)
    out.mux(stream.encode(frame))


def _frame_period_ns(stamps: list[int], fps: float) -> int:
    """The camera's frame period: the median gap between frames, or 1/fps when unknown."""
    if len(stamps) >= 2:
        gaps = np.diff(np.array(stamps[: 10 * 30 + 1], dtype=np.int64))
        gaps = gaps[gaps > 0]
        if len(gaps):
            return int(np.median(gaps))
    return int(1e9 / fps)


def _size_and_sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
