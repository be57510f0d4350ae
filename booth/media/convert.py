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
        duration = source.duration / av.time_base if source.duration else 0.0
        try:
            return _convert(source, video_in, audio_in, src, dst, duration, progress)
        except av.error.FFmpegError as err:
            dst.unlink(missing_ok=True)
            partial_path(dst).unlink(missing_ok=True)
            raise ConversionError(f"{src}: damaged, conversion stopped ({err})") from err


def partial_path(dst: Path) -> Path:
    """Where a conversion writes until it is complete: a half-written clip never looks finished."""
    return dst.with_name(dst.name + ".part")


def _convert(  # noqa: C901 (one pass over the packets; not split yet)
    source: av.container.InputContainer,
    video_in: av.VideoStream | None,
    audio_in: av.AudioStream | None,
    src: Path,
    dst: Path,
    duration: float,
    progress: Callable[[float], None] | None,
) -> Converted:
    part = partial_path(dst)
    width = height = 0
    fps = Fraction(0)
    origin = source.start_time / av.time_base if source.start_time else 0.0
    done_until = 0.0
    last_report = -1.0
    with av.open(str(part), "w", format="mp4", container_options={"movflags": "+faststart"}) as out:
        video_out = audio_out = None
        if video_in is not None:
            video_in.thread_type = "AUTO"
            width, height = shown_size(video_in.codec_context.width, video_in.codec_context.height)
            in_rate = video_in.average_rate or video_in.guessed_rate or Fraction(MAX_FPS)
            fps = min(Fraction(in_rate), Fraction(MAX_FPS))
            video_out = out.add_stream("libx264", rate=fps)
            video_out.width, video_out.height, video_out.pix_fmt = width, height, "yuv420p"
            video_out.options = {"preset": "fast", "crf": "23", "g": str(round(2 * fps))}
        if audio_in is not None:
            channels = min(2, audio_in.codec_context.channels or 1)
            layout = "stereo" if channels == 2 else "mono"
            audio_out = out.add_stream("aac", rate=AUDIO_RATE, layout=layout)
            audio_out.bit_rate = AUDIO_BITRATE
            resampler = av.AudioResampler("fltp", layout, AUDIO_RATE, frame_size=1024)
        streams = [s for s in (video_in, audio_in) if s is not None]
        last_index = -1
        samples = 0
        for packet in source.demux(streams):
            for frame in packet.decode():
                if not isinstance(frame, av.VideoFrame | av.AudioFrame):
                    continue  # only picture and sound are demuxed
                t = (frame.time or 0.0) - origin
                if isinstance(frame, av.VideoFrame) and video_out is not None:
                    # Fewer frames per second: keep the first frame falling in each new slot.
                    index = math.floor(t * fps + 1e-6)
                    if index <= last_index:
                        continue
                    last_index = index
                    picture = frame.reformat(width=width, height=height, format="yuv420p")
                    picture.pts, picture.time_base = index, 1 / fps
                    out.mux(video_out.encode(picture))
                elif isinstance(frame, av.AudioFrame) and audio_out is not None:
                    for chunk in resampler.resample(frame):
                        chunk.pts, chunk.time_base = samples, Fraction(1, AUDIO_RATE)
                        samples += chunk.samples
                        out.mux(audio_out.encode(chunk))
                done_until = max(done_until, t)
            if progress and duration and done_until / duration - last_report >= 0.01:
                last_report = min(1.0, done_until / duration)
                progress(last_report)
        if video_out is not None:
            out.mux(video_out.encode())
        if audio_out is not None:
            for chunk in resampler.resample(None):
                chunk.pts, chunk.time_base = samples, Fraction(1, AUDIO_RATE)
                samples += chunk.samples
                out.mux(audio_out.encode(chunk))
            out.mux(audio_out.encode())
    if video_in is not None and last_index < 0:
        part.unlink(missing_ok=True)
        raise ConversionError(f"{src}: no picture could be decoded")
    part.replace(dst)
    if progress:
        progress(1.0)
    seconds = max((last_index + 1) / fps if fps else 0.0, samples / AUDIO_RATE)
    return Converted(dst, width, height, float(fps), float(seconds), audio_in is not None)
