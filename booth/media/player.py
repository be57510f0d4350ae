"""Plays the recruiter's clips on the intro and question screens: picture, sound, subtitles.

A `ClipDecoder` thread decodes the clip with PyAV (MP4, MOV, WebM) a little ahead of the
playback position, into RGB frames already at the size they are shown and into 16-bit audio at
the speaker's rate, so the kiosk's frame loop only picks up finished frames.

The sound is the master clock, as in every player people find smooth: a frame is shown when
the speaker is playing its moment, never the other way round. In real time a thread feeds the
sink (ALSA, blocking writes) and the position is what the speaker has actually played:
samples written minus those still in ALSA's buffer; where a clip has no sound (or its sound
ends first) the speaker plays silence, so the clock is always the speaker's. In virtual time
(headless simulation) the position is the virtual time since the clip started, the audio up to
it is written at each step, and decoding is waited for, so a run always gives the same frames,
the same sound and the same report.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from booth.media.clip_decoder import ClipDecoder, ClipError
from booth.media.subtitles import SubtitleError, Subtitles, load_subtitles

log = logging.getLogger("booth.player")

DEFAULT_SHOWN_SIZE = (1280, 720)


class AudioSink(Protocol):
    """Where a clip's sound goes: what the player needs of a speaker, and all it uses.

    rate, channels: the format `play` takes. period_frames: what the device takes at a time;
    buffer_frames: the sound queued ahead of the device at most. latency_s: the sound the
    device holds beyond what `delay_frames` reports.
    """

    rate: int
    channels: int
    period_frames: int
    buffer_frames: int
    latency_s: float

    def play(self, samples: np.ndarray) -> None:
        """Queue (n, channels) int16 samples; in real time, blocks while the device is full."""
        ...

    def flush(self) -> None:
        """Send what is still queued, padded with silence."""
        ...

    def unplayed_frames(self) -> int:
        """Frames given to `play` that have not been heard yet."""
        ...

    def delay_frames(self) -> int:
        """Frames the device holds and has not played (0 when it has run empty)."""
        ...

    def pause(self, paused: bool) -> None:
        """Hold (or go on with) what the device holds, where it can."""
        ...

    def close(self) -> None: ...


class Playback:
    """One clip playing from its start: decoder, clock, the frame on screen and a report.

    now: the session clock (seconds) when the screen asked for the clip. realtime: the speaker
    paces playback (a thread feeds it); otherwise `now` is virtual and `advance` writes the
    sound up to it.
    """

    def __init__(self, path: str, box: tuple[int, int], speaker: AudioSink, realtime: bool,
                 now: float) -> None:  # fmt: skip
        self.path = path
        self.speaker = speaker
        self.realtime = realtime
        self.asked = time.monotonic() if realtime else now  # when the screen asked for it
        # Virtual time: the clip starts when the kiosk first shows it (an action between two
        # frames must not cost the first frame). Real time: when the speaker starts.
        self.started: float | None = None
        self.decoder = ClipDecoder(path, box, speaker.rate, speaker.channels)
        self.decoder.start()
        self.current: np.ndarray | None = None
        self.current_t = 0.0  # the shown frame's time in the clip, s
        self.shown = self.dropped = 0
        self.offsets: list[float] = []  # audio position minus the shown frame's time, s
        self.first_frame_s: float | None = None
        self.written = 0  # samples handed to the speaker
        self.paused_at: float | None = None
        self.paused_s = 0.0
        self._paused_pos = 0.0
        self._last_pos = 0.0
        self._audio_left: np.ndarray | None = None
        self._heard: tuple[float, float] | None = None  # (monotonic s, clip s) from the speaker
        self._speaker_idle = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._feeder: threading.Thread | None = None
        if realtime:
            self._feeder = threading.Thread(target=self._feed, name="clip-speaker", daemon=True)
            self._feeder.start()

    # ------------------------------------------------------------ the clock
    def _now(self, now: float) -> float:
        # In real time the speaker's reports are on CLOCK_MONOTONIC, whatever the flow runs on.
        return time.monotonic() if self.realtime else now

    def position(self, now: float) -> float:
        """Seconds into the clip that the speaker is playing at `now`."""
        now = self._now(now)
        if not self.realtime:
            if self.started is None:
                return 0.0
            until = self.paused_at if self.paused_at is not None else now
            return max(0.0, until - self.started - self.paused_s)
        with self._lock:
            heard = self._heard
        if heard is None:
            return 0.0  # still filling the speaker's buffer
        if self.paused_at is not None:
            return self._paused_pos
        t, pos = heard
        # Between two reports from the speaker, time runs on; not much further than its
        # buffer, so a starved speaker also stops the picture.
        spk = self.speaker
        ahead = min(max(0.0, now - t), spk.buffer_frames / spk.rate + spk.latency_s)
        return pos + ahead if pos > 0 else pos

    def _feed(self) -> None:
        """Feed the speaker from the decoder until the sound has played out (own thread)."""
        dec, spk, rate = self.decoder, self.speaker, self.speaker.rate
        # Preroll: the sound starts with the first picture, so no frame is late at the start.
        with dec.cond:
            while not (dec.frames or dec.done or not dec.has_video or self._stop.is_set()):
                dec.cond.wait(0.05)
        while not self._stop.is_set():
            if self.paused_at is not None:
                self._stop.wait(0.01)
                continue
            chunk = dec.take_audio()
            if chunk is None:
                if dec.done and self.written >= round(dec.end * rate):
                    break
                if not (dec.done or dec.paused):
                    with dec.cond:
                        dec.cond.wait(0.005)
                    continue
                # The sound has ended (or lags far behind): the speaker plays silence so that
                # its clock goes on under the picture.
                n = min(spk.period_frames, max(0, round(dec.end * rate) - self.written))
                chunk = np.zeros((max(n, 1), spk.channels), np.int16)
            spk.play(chunk)
            self.written += len(chunk)
            self._publish(rate)
        spk.flush()
        while not self._stop.is_set() and spk.delay_frames() > 0:
            self._publish(rate)
            self._stop.wait(spk.period_frames / rate)
        self._stop.wait(spk.latency_s)
        self._publish(rate, all_heard=True)
        self._speaker_idle = True

    def _publish(self, rate: int, all_heard: bool = False) -> None:
        unplayed = 0 if all_heard else self.speaker.unplayed_frames()
        heard = max(0, self.written - unplayed) / rate
        with self._lock:
            self._heard = (time.monotonic(), heard)
        self.decoder.advance(heard)

    def _write_until(self, position: float) -> None:
        """Virtual time: send the sound before `position` to the speaker."""
        dec, rate = self.decoder, self.speaker.rate
        due = round(position * rate) - self.written
        if dec.done:
            due = min(due, round(dec.end * rate) - self.written)
        parts = []
        while due > 0:
            chunk = self._audio_left if self._audio_left is not None else dec.take_audio()
            self._audio_left = None
            if chunk is None:
                parts.append(np.zeros((due, self.speaker.channels), np.int16))
                break
            parts.append(chunk[:due])
            if len(chunk) > due:
                self._audio_left = chunk[due:]
            due -= len(parts[-1])
        if parts:
            block = np.concatenate(parts)
            self.speaker.play(block)
            self.written += len(block)

    # ------------------------------------------------------------ the picture
    def advance(self, now: float) -> None:
        """Bring picture and (in virtual time) sound to `now`; count frames shown and dropped."""
        if self.started is None and not self.realtime:
            self.started = now
        pos = self.position(now)
        dec = self.decoder
        if self.realtime:
            dec.advance(pos)
        else:
            dec.wait_until(pos + 1e-6)
            self._write_until(pos)
        period = dec.frame_period
        if self.current is not None and pos - self._last_pos < period / 4:
            return  # the same display frame asking again (finished, then frame)
        self._last_pos = pos
        chosen = None
        with dec.cond:
            frames = dec.frames
            due = 0
            while due < len(frames) and frames[due][0] <= pos + period / 2:
                due += 1
            pick = due - 1  # the frame nearest to the sound
            if pick > 0 and self.current is not None:
                # The next frame in turn is still shown up to 3/4 of a frame late, so
                # a loop ticking at the clip's rate with some jitter shows every frame.
                first = frames[0][0]
                if (
                    abs(first - self.current_t - period) < period / 4
                    and pos - first < 0.75 * period
                ):
                    pick = 0
            for _ in range(max(0, pick)):
                frames.popleft()
                self.dropped += 1
            if due:
                chosen = frames.popleft()
        if chosen is not None:
            self.current_t, self.current = chosen
            self.shown += 1
            self.offsets.append(pos - chosen[0])
            if self.first_frame_s is None:
                self.first_frame_s = self._now(now) - self.asked

    def over(self, now: float) -> bool:
        """The whole clip has been shown and heard."""
        dec = self.decoder
        if not dec.done or dec.frames:
            return False
        if self.realtime:
            return self._speaker_idle
        if self.position(now) + 1e-6 < dec.end:
            return False
        self._write_until(dec.end)
        self.speaker.flush()
        return True

    def pause(self, now: float) -> None:
        if self.paused_at is None:
            if self.started is None and not self.realtime:
                self.started = now
            self._paused_pos = self.position(now)
            self.paused_at = self._now(now)
            if self.realtime:
                self.speaker.pause(True)

    def resume(self, now: float) -> None:
        if self.paused_at is not None:
            self.paused_s += self._now(now) - self.paused_at
            self.paused_at = None
            if self.realtime:
                with self._lock:
                    if self._heard is not None:
                        self._heard = (time.monotonic(), self._paused_pos)
                self.speaker.pause(False)

    def report(self) -> dict[str, Any]:
        """What the candidate got: frames shown and dropped, A/V offset (ms), first frame."""
        offsets = np.abs(np.array(self.offsets)) * 1000 if self.offsets else np.zeros(1)
        return {
            "clip": Path(self.path).name,
            "frames_shown": self.shown,
            "frames_dropped": self.dropped + len(self.decoder.frames),
            "av_offset_ms": round(float(offsets.mean()), 1),
            "av_offset_max_ms": round(float(offsets.max()), 1),
            "first_frame_ms": None
            if self.first_frame_s is None
            else round(self.first_frame_s * 1000, 1),
            "error": self.decoder.error,
        }

    def stop(self) -> None:
        self._stop.set()
        if self._feeder is not None:
            self._feeder.join(timeout=2)
        self.decoder.stop()


class ClipPlayer:
    """Plays the clip the flow's view asks for; the kiosk's side of the recruiter's clips.

    speaker: where the sound goes (opened once and kept, like the camera). realtime: True on
    the booth and in the windowed demo (the speaker paces playback); False in headless
    simulation, where `now` is virtual time. shown_size: the clip area's size in pixels;
    set it from the renderer's `clip_rect` so frames are decoded at the size drawn.

    Each frame period the kiosk calls `follow(view, now)`, then `finished(now)` (True once, at
    the clip's end: tell the flow), then draws `frame(now)` and `subtitle(now, language)`.
    `take_report()` hands over, once, the report of a clip that ended or was cut off.
    """

    def __init__(
        self,
        speaker: AudioSink,
        realtime: bool,
        shown_size: tuple[int, int] = DEFAULT_SHOWN_SIZE,
    ) -> None:
        self.speaker = speaker
        self.realtime = realtime
        self.shown_size = shown_size
        self.path: str | None = None
        self.playback: Playback | None = None
        self._report: dict[str, Any] | None = None
        self._subtitles: dict[tuple[str, str], Subtitles | None] = {}

    def follow(self, view: Any, now: float) -> None:
        """Start a clip that the view starts (a new clip, or a replay), pause it while an
        overlay covers it, stop it when the view no longer plays it."""
        path = view.clip_path or getattr(view, "question_audio", None)
        if not view.clip_playing:
            self._stop()
            return
        if path is None:
            # Help or inactivity covers the clip: hold it until the candidate is back.
            if self.playback is not None:
                self.playback.pause(now)
            return
        if self.playback is None or path != self.path:
            self._start(path, now)
        elif getattr(view, "clip_paused", False):
            self.playback.pause(now)
        else:
            self.playback.resume(now)

    def _start(self, path: str, now: float) -> None:
        self._stop()
        self.path = path
        try:
            self.playback = Playback(path, self.shown_size, self.speaker, self.realtime, now)
        except ClipError as err:
            # The candidate must never be stuck on a clip: a broken one counts as played.
            log.error("%s", err)
            self._report = {"clip": Path(path).name, "error": str(err)}
            self.playback = None

    def _stop(self) -> None:
        if self.playback is not None:
            self.playback.stop()
            self._report = self.playback.report()
            self.playback = None

    def finished(self, now: float) -> bool:
        """True once, at the first call after the playing clip has been shown and heard."""
        if self.path is not None and self.playback is None:
            self.path = None
            return True  # it could not be played at all
        if self.playback is None:
            return False
        self.playback.advance(now)
        if not self.playback.over(now):
            return False
        self._stop()
        self.path = None
        return True

    def frame(self, now: float) -> np.ndarray | None:
        """The clip's frame to draw now (RGB, H×W×3 uint8, at the shown size), or None."""
        if self.playback is None:
            return None
        self.playback.advance(now)
        return self.playback.current

    def subtitle(self, now: float, language: str) -> str | None:
        """The subtitle line(s) to show under the clip now, in `language`, or None."""
        if self.playback is None or self.path is None:
            return None
        key = (self.path, language)
        if key not in self._subtitles:
            try:
                self._subtitles[key] = load_subtitles(self.path, language)
            except SubtitleError as err:
                log.error("%s", err)
                self._subtitles[key] = None
        subs = self._subtitles[key]
        return subs.at(self.playback.position(now)) if subs is not None else None

    def take_report(self) -> dict[str, Any] | None:
        """The report of the last clip that ended or was cut off, once (for events.jsonl)."""
        report, self._report = self._report, None
        return report

    def close(self) -> None:
        self._stop()
        self.speaker.close()
