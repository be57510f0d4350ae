"""Keeps time for the recruiter's clips on the intro and question screens.

This knows when a clip started and how long it lasts, so the flow hears when it
has played to its end. Drawing the clip's frames and playing its sound belongs
to the clip player (a later issue); until then the screen shows the clip's
place and this clock still makes the flow behave as with a real player.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import av

log = logging.getLogger("booth.clips")

# A clip whose length cannot be read plays for this long, so the candidate is never stuck.
FALLBACK_SECONDS = 5.0


@lru_cache(maxsize=64)
def clip_seconds(path: str) -> float:
    """The clip's duration in seconds, read from its container."""
    try:
        with av.open(path) as container:
            if container.duration is not None:
                return container.duration / av.time_base
            stream = container.streams.video[0]
            return float(stream.duration * stream.time_base)
    except (av.error.FFmpegError, OSError, IndexError, TypeError) as err:
        log.error("cannot read the length of clip %s: %s", Path(path).name, err)
        return FALLBACK_SECONDS


class ClipClock:
    def __init__(self) -> None:
        self.path: str | None = None
        self.playing = False
        self.ends_at = 0.0
        self.started_at = 0.0

    def follow(self, view, now: float) -> None:
        """Notice a clip starting (a new clip, or a replay) in the flow's view."""
        new_clip = not self.playing or view.clip_path != self.path
        if view.clip_playing and view.clip_path and new_clip:
            self.path = view.clip_path
            self.playing = True
            self.started_at = now
            self.ends_at = now + clip_seconds(view.clip_path)
        elif not view.clip_playing:
            self.playing = False

    def position(self, now: float) -> float:
        return max(0.0, now - self.started_at) if self.playing else 0.0

    def finished(self, now: float) -> bool:
        """True once, at the first call after the playing clip's end."""
        if self.playing and now >= self.ends_at:
            self.playing = False
            return True
        return False
