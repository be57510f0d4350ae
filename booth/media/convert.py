"""Converts a recruiter's clip to the booth's playback profile, for `booth interviews add`.

Recruiters send whatever their phone or editor made: 4K, 60 fps, HEVC, 44.1 kHz, MOV or
WebM. A Pi 4 decodes H.264 up to 1280×720 at 30 fps in software with room to spare, so every
clip is made into exactly that: H.264 (yuv420p) at most 1280×720 and 30 fps, AAC at 48 kHz
(the speaker's rate, so playback never resamples), in an MP4 whose index is at the front
(faststart), so playback starts without reading the whole file. A file with only sound (a
spoken question) becomes AAC in MP4 (.m4a) the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.container

MAX_WIDTH, MAX_HEIGHT, MAX_FPS = 1280, 720, 30
AUDIO_RATE = 48_000
AUDIO_BITRATE = 128_000


class ConversionError(Exception):
    """A clip that cannot be converted; the message names the file and says why."""


@dataclass(frozen=True)
class Converted:
    """What `convert_clip` wrote: size in pixels (0 without picture), frames per second,
    length in seconds, and whether it has sound."""

    path: Path
    width: int
    height: int
    fps: float
    seconds: float
    has_audio: bool


def shown_size(width: int, height: int) -> tuple[int, int]:
    """The clip's size in the profile: the same aspect within 1280×720, never enlarged, even."""
    scale = min(1.0, MAX_WIDTH / width, MAX_HEIGHT / height)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def convert_clip(
    src: Path | str, dst: Path | str, progress: Callable[[float], None] | None = None
) -> Converted:
    """Convert `src` into `dst` (an .mp4, or .m4a for sound only) in the playback profile.

    progress: called with the fraction done (0.0 … 1.0) as conversion goes on.
    Raises ConversionError naming `src` when it is not a clip FFmpeg can read.
    """
    src, dst = Path(src), Path(dst)
    try:
        source = av.open(str(src))
    except (av.error.FFmpegError, OSError) as err:
        raise ConversionError(
            f"{src}: cannot be read as a video or sound file "
            f"({getattr(err, 'strerror', None) or err}); "
            "send an MP4, MOV or WebM clip"
        ) from err
    with source:
        video_in = source.streams.video[0] if source.streams.video else None
        audio_in = source.streams.audio[0] if source.streams.audio else None
        if video_in is None and audio_in is None:
            raise ConversionError(f"{src}: has neither picture nor sound")
        try:
            return _convert(source, src, dst, progress)
        except av.error.FFmpegError as err:
            dst.unlink(missing_ok=True)
            partial_path(dst).unlink(missing_ok=True)
            raise ConversionError(f"{src}: damaged, conversion stopped ({err})") from err


def partial_path(dst: Path) -> Path:
    """Where a conversion writes until it is complete: a half-written clip never looks finished."""
    return dst.with_name(dst.name + ".part")


class _VideoOut:
    """The picture in the profile: the shown size, at most MAX_FPS, H.264 into `out`."""

    def __init__(self, out: av.container.OutputContainer, video_in: av.VideoStream) -> None:
        self.out, self.source = out, video_in
        video_in.thread_type = "AUTO"
        self.width, self.height = shown_size(
            video_in.codec_context.width, video_in.codec_context.height
        )
        in_rate = video_in.average_rate or video_in.guessed_rate or Fraction(MAX_FPS)
        self.fps = min(Fraction(in_rate), Fraction(MAX_FPS))
        self.stream = out.add_stream("libx264", rate=self.fps)
        self.stream.width, self.stream.height, self.stream.pix_fmt = (
            self.width,
            self.height,
            "yuv420p",
        )
        self.stream.options = {"preset": "fast", "crf": "23", "g": str(round(2 * self.fps))}
        self.last_index = -1  # the last frame slot written (-1: none yet)

    def add(self, frame: av.VideoFrame, t: float) -> bool:
        """Encode `frame`, shown at `t` s; False when its slot is taken already (fewer frames
        per second: the first frame falling in each new slot is kept)."""
        index = math.floor(t * self.fps + 1e-6)
        if index <= self.last_index:
            return False
        self.last_index = index
        picture = frame.reformat(width=self.width, height=self.height, format="yuv420p")
        picture.pts, picture.time_base = index, 1 / self.fps
        self.out.mux(self.stream.encode(picture))
        return True

    def finish(self) -> None:
        self.out.mux(self.stream.encode())

    @property
    def seconds(self) -> float:
        return float((self.last_index + 1) / self.fps) if self.fps else 0.0


class _AudioOut:
    """The sound in the profile: AAC at AUDIO_RATE, mono or stereo, into `out`."""

    def __init__(self, out: av.container.OutputContainer, audio_in: av.AudioStream) -> None:
        self.out, self.source = out, audio_in
        channels = min(2, audio_in.codec_context.channels or 1)
        layout = "stereo" if channels == 2 else "mono"
        self.stream = out.add_stream("aac", rate=AUDIO_RATE, layout=layout)
        self.stream.bit_rate = AUDIO_BITRATE
        self.resampler = av.AudioResampler("fltp", layout, AUDIO_RATE, frame_size=1024)
        self.samples = 0

    def add(self, frame: av.AudioFrame | None) -> None:
        """Encode `frame` (None: what the resampler still holds)."""
        for chunk in self.resampler.resample(frame):
            chunk.pts, chunk.time_base = self.samples, Fraction(1, AUDIO_RATE)
            self.samples += chunk.samples
            self.out.mux(self.stream.encode(chunk))

    def finish(self) -> None:
        self.add(None)
        self.out.mux(self.stream.encode())


def _convert(
    source: av.container.InputContainer,
    src: Path,
    dst: Path,
    progress: Callable[[float], None] | None,
) -> Converted:
    video_in = source.streams.video[0] if source.streams.video else None
    audio_in = source.streams.audio[0] if source.streams.audio else None
    part = partial_path(dst)
    with av.open(str(part), "w", format="mp4", container_options={"movflags": "+faststart"}) as out:
        video = _VideoOut(out, video_in) if video_in is not None else None
        audio = _AudioOut(out, audio_in) if audio_in is not None else None
        _transcode(source, video, audio, progress)
        if video is not None:
            video.finish()
        if audio is not None:
            audio.finish()
    if video is not None and video.last_index < 0:
        part.unlink(missing_ok=True)
        raise ConversionError(f"{src}: no picture could be decoded")
    part.replace(dst)
    if progress:
        progress(1.0)
    seconds = max(video.seconds if video else 0.0, audio.samples / AUDIO_RATE if audio else 0.0)
    if video is None:
        return Converted(dst, 0, 0, 0.0, float(seconds), audio is not None)
    return Converted(
        dst, video.width, video.height, float(video.fps), float(seconds), audio is not None
    )


def _transcode(
    source: av.container.InputContainer,
    video: _VideoOut | None,
    audio: _AudioOut | None,
    progress: Callable[[float], None] | None,
) -> None:
    """One pass over the source's packets: each picture and sound frame into the profile,
    with `progress` told about each percent done."""
    origin = source.start_time / av.time_base if source.start_time else 0.0
    duration = source.duration / av.time_base if source.duration else 0.0
    streams = [out.source for out in (video, audio) if out is not None]
    done_until = 0.0
    last_report = -1.0
    for packet in source.demux(streams):
        for frame in packet.decode():
            if not isinstance(frame, av.VideoFrame | av.AudioFrame):
                continue  # only picture and sound are demuxed
            t = (frame.time or 0.0) - origin
            if isinstance(frame, av.VideoFrame) and video is not None:
                if not video.add(frame, t):
                    continue
            elif isinstance(frame, av.AudioFrame) and audio is not None:
                audio.add(frame)
            done_until = max(done_until, t)
        if progress and duration and done_until / duration - last_report >= 0.01:
            last_report = min(1.0, done_until / duration)
            progress(last_report)
