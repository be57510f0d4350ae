"""Measuring a finished take: audio/video sync from clapperboard claps, frame rate, dropped frames.

A clap is a white flash in the picture and a short loud burst in the sound at the same instant
(the simulator's `clap` script command, or `booth doctor --record` flashing the screen and
beeping). For each clap this module finds:

- the flash: the first frame whose mean luma jumps well above the frame before it, and falls
  back soon after; its time is that frame's pts (the camera's SensorTimestamp after muxing),
  so the precision is one frame;
- the click: the first sample of the burst that reaches half the burst's own peak; its time is
  exact to one sample (21 µs at 48 kHz). Half the peak, not the first sample above the noise,
  because AAC smears a little energy (pre-echo) into the samples just before a sharp onset.

Offset is audio minus video: positive means the sound comes late. Drift is how much the offset
moved between the first and the last clap, the sign of a camera and microphone clock that run
at different speeds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import av
import numpy as np

MIN_FLASH_JUMP = 6.0
"""Smallest rise of mean luma (0..255) from one frame to the next that counts as a flash."""
FLASH_NOISE_FACTOR = 10.0
"""A flash must also rise this many times above the typical frame-to-frame change."""
MIN_CLICK_LEVEL = 0.05
"""A click's short-time RMS must reach this fraction of full scale (-26 dBFS)."""
CLICK_OVER_BACKGROUND = 8.0
"""A click must be this many times (18 dB) louder than the take's median short-time RMS."""
CLICK_WINDOW_S = 0.002
"""Short-time RMS window for finding clicks: shorter than a click, longer than a voice peak."""
CLAP_SPACING_S = 0.25
"""Loud samples closer together than this belong to one click."""
MAX_FLASH_S = 0.5
"""A flash is over (the picture back to at most half its rise) within this time."""
MAX_PAIRING_S = 0.5
"""A flash and a click further apart than this are not the same clap."""
X264_MARK = b"x264 - core "


@dataclass(frozen=True)
class Clap:
    """One clap found in a take: `video_s` the flash frame's pts, `audio_s` the click's first
    sample, both in seconds from the start of the MP4; `offset_ms` audio minus video."""

    video_s: float
    audio_s: float

    @property
    def offset_ms(self) -> float:
        return (self.audio_s - self.video_s) * 1000.0


@dataclass(frozen=True)
class SyncReport:
    """What a take's MP4 says about its sync and timing.

    claps: flash and click pairs, in time order.
    offset_ms: mean audio-minus-video offset over the claps (None without claps), in ms.
    drift_ms: last clap's offset minus the first's, in ms (None with fewer than two claps).
    fps_measured: frames per second from the first to the last frame's pts.
    dropped_frames: frames missing where a pts gap is over 1.5 frame periods.
    duration_s: the MP4's length; frames: its video frames.
    flashes, clicks: how many of each were found, paired or not (a mismatch means a clap the
    camera or the microphone missed).
    encoder: the H.264 encoder's own mark in the stream ("x264 core 164") when it leaves one
    (libx264, the software encoder, does; the Pi 4's hardware encoder does not), else None.
    """

    claps: tuple[Clap, ...]
    offset_ms: float | None
    drift_ms: float | None
    fps_measured: float
    dropped_frames: int
    duration_s: float
    frames: int
    flashes: int
    clicks: int
    encoder: str | None

    @property
    def offsets_ms(self) -> list[float]:
        return [c.offset_ms for c in self.claps]

    def to_dict(self) -> dict:
        data = asdict(self)
        data["claps"] = [
            {"video_s": c.video_s, "audio_s": c.audio_s, "offset_ms": round(c.offset_ms, 3)}
            for c in self.claps
        ]
        return data


class TakeUnreadable(Exception):
    """The file is not an MP4 with a video and an audio stream that decode."""


def analyze_take(path: Path | str) -> SyncReport:
    """Decode an MP4 take (ours: H.264 + AAC) and measure its claps, frame rate and drops."""
    path = Path(path)
    try:
        times, luma, encoder = _video_luma(path)
        audio_start, rate, sound = _audio_samples(path)
        with av.open(str(path)) as container:
            duration = (container.duration or 0) / av.time_base
    except (av.FFmpegError, StopIteration, IndexError) as error:
        raise TakeUnreadable(f"{path}: {error}") from error
    if len(times) == 0:
        raise TakeUnreadable(f"{path}: no video frames")
    flashes = [float(times[i]) for i in find_flashes(luma, times)]
    clicks = [audio_start + i / rate for i in find_clicks(sound, rate)]
    claps = pair_claps(flashes, clicks)
    offsets = [c.offset_ms for c in claps]
    fps, dropped = frame_timing(times)
    return SyncReport(
        claps=tuple(claps),
        offset_ms=float(np.mean(offsets)) if offsets else None,
        drift_ms=float(offsets[-1] - offsets[0]) if len(offsets) >= 2 else None,
        fps_measured=fps,
        dropped_frames=dropped,
        duration_s=round(duration, 3),
        frames=len(times),
        flashes=len(flashes),
        clicks=len(clicks),
        encoder=encoder,
    )


def find_flashes(luma: np.ndarray, times: np.ndarray) -> list[int]:
    """Indices of the frames where a flash starts, from each frame's mean luma (0..255) and
    pts (s). A flash rises sharply and falls back within `MAX_FLASH_S`; a lasting step (a lamp
    switched on, auto-exposure settling) is not a flash."""
    if len(luma) < 2:
        return []
    luma = np.asarray(luma, dtype=np.float64)
    rise = np.diff(luma)
    typical = float(np.median(np.abs(rise)))
    threshold = max(MIN_FLASH_JUMP, FLASH_NOISE_FACTOR * typical)
    flashes = []
    for start in _first_of_each((np.flatnonzero(rise > threshold) + 1).tolist(), spacing=None):
        before = luma[start - 1]
        end = int(np.searchsorted(times, times[start] + MAX_FLASH_S, side="right"))
        window = luma[start:end]
        top = int(np.argmax(window))
        if np.any(window[top:] <= before + 0.5 * (window[top] - before)):
            flashes.append(start)
    return flashes


def find_clicks(sound: np.ndarray, rate: int) -> list[int]:
    """Sample indices where a click starts, in mono float samples (full scale 1.0).

    A click is a burst whose short-time RMS (over `CLICK_WINDOW_S`) comes within 6 dB of the
    loudest burst in the take and well above the take's typical level: speech has peaks as high
    as a click's but never its sustained energy.
    """
    if len(sound) == 0:
        return []
    window = max(1, round(CLICK_WINDOW_S * rate))
    energy = np.convolve(np.square(sound, dtype=np.float64), np.ones(window) / window, "same")
    envelope = np.sqrt(energy)
    floor = max(
        MIN_CLICK_LEVEL, CLICK_OVER_BACKGROUND * float(np.median(envelope)), 0.5 * envelope.max()
    )
    loud = np.flatnonzero(envelope >= floor)
    spacing = round(CLAP_SPACING_S * rate)
    level = np.abs(sound)
    onsets = []
    for first in _first_of_each(loud.tolist(), spacing):
        # The envelope rises a half window early; the burst's first sample at half its own
        # peak lies after that.
        start = max(0, first - window)
        burst = level[start : first + spacing]
        onsets.append(start + int(np.argmax(burst >= 0.5 * float(burst.max()))))
    return onsets


def _first_of_each(indices: list[int], spacing: int | None) -> list[int]:
    """The first index of each run; a run ends at a gap over `spacing` (None: any gap)."""
    firsts: list[int] = []
    last = None
    for i in indices:
        if last is None or i - last > (1 if spacing is None else spacing):
            firsts.append(i)
        last = i
    return firsts


def pair_claps(flashes: list[float], clicks: list[float]) -> list[Clap]:
    """Match each flash with the nearest unused click within `MAX_PAIRING_S`, in time order."""
    claps = []
    free = list(clicks)
    for flash in flashes:
        if not free:
            break
        nearest = min(free, key=lambda t: abs(t - flash))
        if abs(nearest - flash) <= MAX_PAIRING_S:
            claps.append(Clap(video_s=flash, audio_s=nearest))
            free.remove(nearest)
    return claps


def frame_timing(times: np.ndarray) -> tuple[float, int]:
    """(frames per second, dropped frames) from the frames' pts in seconds."""
    if len(times) < 2:
        return 0.0, 0
    gaps = np.diff(times)
    period = float(np.median(gaps))
    span = float(times[-1] - times[0])
    fps = (len(times) - 1) / span if span > 0 else 0.0
    if period <= 0:
        return fps, 0
    late = gaps[gaps > 1.5 * period]
    return float(fps), int(np.sum(np.rint(late / period) - 1))


def _video_luma(path: Path) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Each frame's pts (s) and mean luma, and the encoder's mark from the first packets."""
    times: list[float] = []
    luma: list[float] = []
    encoder = None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for packet in container.demux(stream):
            if encoder is None and len(times) < 2 and packet.size:
                encoder = _encoder_mark(bytes(packet))
            for frame in packet.decode():
                if frame.pts is None or frame.time_base is None:
                    continue  # a frame without a time has no place in the take
                times.append(float(frame.pts * frame.time_base))
                luma.append(_mean_luma(frame))
    order = np.argsort(times, kind="stable")
    return np.asarray(times)[order], np.asarray(luma)[order], encoder


def _mean_luma(frame: av.VideoFrame) -> float:
    """Mean of the Y plane (every other row and column: plenty for a whole-frame flash)."""
    plane = frame.planes[0]
    rows = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(-1, plane.line_size)
    return float(rows[: plane.height : 2, : plane.width : 2].mean())


def _encoder_mark(data: bytes) -> str | None:
    at = data.find(X264_MARK)
    if at < 0:
        return None
    version = data[at + len(X264_MARK) : at + len(X264_MARK) + 8].split(b" ")[0]
    return f"x264 core {version.decode('ascii', 'replace')}"


def _audio_samples(path: Path) -> tuple[float, int, np.ndarray]:
    """(time of the first sample in s, sample rate, mono float samples) of the audio stream."""
    chunks = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        start = None
        for frame in container.decode(stream):
            if start is None:
                pts, time_base = frame.pts, frame.time_base
                start = float(pts * time_base) if pts is not None and time_base else 0.0
            data: np.ndarray = frame.to_ndarray()
            if data.dtype.kind == "i":
                data = data / float(np.iinfo(data.dtype).max)
            channels = len(frame.layout.channels)
            # Planar formats come as (channels, n), packed ones as (1, n * channels).
            per_channel = data if frame.format.is_planar else data.reshape(-1, channels).T
            chunks.append(per_channel.mean(axis=0))
    sound = np.concatenate(chunks) if chunks else np.zeros(0)
    return start or 0.0, rate, sound
