"""A take played back on the review screen.

The take's MP4 is muxed in the background after the take stops, so the review screen may ask
for it before it exists: the screen shows the take once it is there, and a take whose MP4 never
comes (its mux failed) must not hold the review screen.
"""

from __future__ import annotations

from pathlib import Path

from booth.kiosk.recorder import Recorder
from booth.session import effects as fx

# How long a take replay waits for the take's MP4 (muxed in the background) before giving up.
REPLAY_WAIT_S = 5.0


class Replay:
    """The take the review screen asked to play back (`take`), and since when it waits."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.take: fx.ReplayTake | None = None
        self._asked = 0.0

    def ask(self, take: fx.ReplayTake, now: float) -> None:
        """The review screen asks for `take` at `now` (the session clock's seconds)."""
        self.take, self._asked = take, now

    def path(self) -> Path | None:
        """The MP4 of the take being played back, once it is muxed."""
        if self.take is None:
            return None
        return self.recorder.take_mp4(self.take.question_id, self.take.take, self.take.practice)

    def given_up(self, replaying: bool, now: float) -> fx.ReplayTake | None:
        """The take whose MP4 has not come within REPLAY_WAIT_S of asking, while the screen
        is `replaying` it: forgotten here, and returned for the kiosk to move the screen on."""
        if self.take is None or not replaying:
            return None
        if self.path() is not None or now - self._asked < REPLAY_WAIT_S:
            return None
        take, self.take = self.take, None
        return take
