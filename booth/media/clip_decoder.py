"""Decodes a recruiter's clip with PyAV on its own thread, a little ahead of playback.

Frames come out as RGB already at the size they are shown (swscale does the scaling in the
same pass as the colour conversion), sound as 16-bit samples at the speaker's rate.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from pathlib import Path

import av
import numpy as np

log = logging.getLogger("booth.player")

AHEAD_S = 0.4
"""How far the decoder runs ahead of the playback position, in seconds of clip: more than the
speaker's buffer, and at 720p about 30 MB of frames."""
AHEAD_MAX_S = 2.0
"""Decoding also pauses when one stream is this far ahead: the other has ended early or is
badly interleaved, and the player fills its gap with silence rather than waiting for it."""


class ClipError(Exception):
    """A clip cannot be played; the message names the file for staff."""


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest size with the aspect of `size` inside `box` (even numbers, for swscale)."""
    scale = min(box[0] / size[0], box[1] / size[1])
    return max(2, round(size[0] * scale / 2) * 2), max(2, round(size[1] * scale / 2) * 2)


class ClipDecoder(threading.Thread):
    """Decodes one clip into (seconds, RGB frame) pairs and audio, ahead of `position`.

    path: the clip. box: the size of the clip area (pixels); frames fit inside it with the
    clip's aspect. rate, channels: the speaker's format.
    """

    def __init__(self, path: Path | str, box: tuple[int, int], rate: int, channels: int) -> None:
        super().__init__(name=f"clip-decoder {Path(path).name}", daemon=True)
        self.path = str(path)
        self.box = box
        self.rate, self.channels = rate, channels
        self.frames: deque[tuple[float, np.ndarray]] = deque()
        self.audio: deque[np.ndarray] = deque()
        self.audio_samples = 0  # decoded so far, from the clip's start
        self.video_until = 0.0  # clip seconds decoded so far
        self.frame_period = 1 / 30
        self.has_video = self.has_audio = False
        self.done = False  # every frame and sample is decoded (or decoding failed)
        self.error: str | None = None
        self.position = 0.0  # where playback is; set by the player
        self.cond = threading.Condition()
        self._stopping = False
        try:
            self._container = av.open(self.path)
        except (av.error.FFmpegError, OSError) as err:
            raise ClipError(f"cannot open clip {self.path}: {err}") from err
        self.has_video = bool(self._container.streams.video)
        self.has_audio = bool(self._container.streams.audio)
        if not (self.has_video or self.has_audio):
            self._container.close()
            raise ClipError(f"clip {self.path} has neither picture nor sound")
        if self.has_video:
            stream = self._container.streams.video[0]
            stream.thread_type = "AUTO"
            if stream.average_rate:
                self.frame_period = float(1 / stream.average_rate)
        start = self._container.start_time
        self._origin = start / av.time_base if start else 0.0

    def _ends(self) -> list[float]:
        ends = [self.video_until] if self.has_video else []
        return ends + ([self.audio_samples / self.rate] if self.has_audio else [])

    @property
    def paused(self) -> bool:
        """Decoding waits: both streams are far enough ahead, or one is too far ahead."""
        ends = self._ends()
        return min(ends) - self.position > AHEAD_S or max(ends) - self.position > AHEAD_MAX_S

    def ready_for(self, position: float) -> bool:
        """Everything before `position` (clip seconds) that will come is decoded."""
        return self.done or self.paused or min(self._ends()) > position

    @property
    def end(self) -> float:
        """The clip's length in seconds, once decoding is done."""
        return max(self._ends())

    def run(self) -> None:
        streams = self._container.streams.video[:1] + self._container.streams.audio[:1]
        resampler = av.AudioResampler(format="s16", layout=self._layout(), rate=self.rate)
        try:
            for packet in self._container.demux(streams):
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame):
                        self._add_video(frame)
                    elif isinstance(frame, av.AudioFrame):
                        for out in resampler.resample(frame):
                            self._add_audio(out)
                with self.cond:
                    while self.paused and not self._stopping:
                        self.cond.wait()
                    if self._stopping:
                        return
            for out in resampler.resample(None) if self.has_audio else []:
                self._add_audio(out)
        except (av.error.FFmpegError, ValueError) as err:
            self.error = f"clip {self.path} stopped decoding: {err}"
            log.error("%s", self.error)
        finally:
            self._container.close()
            with self.cond:
                self.done = True
                self.cond.notify_all()

    def _layout(self) -> str:
        return "mono" if self.channels == 1 else "stereo"

    def _add_video(self, frame: av.VideoFrame) -> None:
        t = (frame.time or 0.0) - self._origin
        w, h = _fit((frame.width, frame.height), self.box)
        rgb = frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
        with self.cond:
            self.frames.append((t, rgb))
            self.video_until = max(self.video_until, t + self.frame_period)
            self.cond.notify_all()

    def _add_audio(self, frame: av.AudioFrame) -> None:
        samples = frame.to_ndarray().reshape(-1, self.channels)
        if self.audio_samples == 0 and frame.time is not None:
            # A clip whose sound starts late begins with silence; one that starts early is cut.
            lead = round((frame.time - self._origin) * self.rate)
            if lead > 0:
                samples = np.concatenate([np.zeros((lead, self.channels), np.int16), samples])
            elif lead < 0:
                samples = samples[-lead:]
        with self.cond:
            self.audio.append(samples)
            self.audio_samples += len(samples)
            self.cond.notify_all()

    def wait_until(self, position: float) -> None:
        """Block until everything before `position` (clip seconds) is decoded (virtual time)."""
        with self.cond:
            self.position = position
            self.cond.notify_all()
            while not self.ready_for(position):
                self.cond.wait()

    def advance(self, position: float) -> None:
        """Playback has reached `position`: let decoding run on."""
        with self.cond:
            self.position = position
            self.cond.notify_all()

    def take_audio(self) -> np.ndarray | None:
        with self.cond:
            return self.audio.popleft() if self.audio else None

    def stop(self) -> None:
        with self.cond:
            self._stopping = True
            self.cond.notify_all()
        self.join(timeout=2)
