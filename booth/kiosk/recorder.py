"""Carries out the flow's take and session effects with the camera, microphone and spool.

The flow says *what* happens to takes (start, stop, keep, discard, finish); this
module does it: it opens the crash-safe take files, hands the camera's encoder
its writer, feeds microphone chunks to the audio writer, and turns stopped takes
into MP4s on a single background worker (`jobs`), so the order of spool changes
is the order the candidate made them and the screen never waits for a mux.

A stopped take still takes the sound spoken before the stop that is on its way
from the sound card (a period or two, more with a slow USB microphone): its mux,
and every job after it, waits until a chunk reaches the stop or, on the kiosk's
own clock, `AUDIO_TAIL_WAIT_S` has passed. Nothing blocks while it waits, so
the same code runs in real time on a booth and in virtual time in simulation.

Practice takes go to a scratch directory in the state directory and are deleted
when the candidate moves on: they never reach the spool.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from booth.devices.ports.camera import Camera
from booth.media.audio import AudioWriter
from booth.media.mux import mux_take
from booth.media.spool import Spool, SpoolSession
from booth.media.take_result import TakeResult
from booth.media.take_video import TakeVideoOutput
from booth.media.takefiles import TakeFiles

log = logging.getLogger("booth.recorder")

RESERVE_NAME = ".reserve"
AAC_BPS = 64_000
RESERVE_SLACK_BYTES = 2 * 1024 * 1024  # manifests, MP4 headers
AUDIO_TAIL_WAIT_S = 0.5
"""How long a stopped take waits for its last sound: ALSA delivers a period (~33 ms) after it
was spoken, a USB microphone adds its latency, and the kiosk drains the reader's queue once a
frame."""


@dataclass(frozen=True)
class RecordingFormat:
    """What a take is recorded as (from the `[recording]` settings)."""

    width: int
    height: int
    fps: int
    bitrate_bps: int
    sample_rate: int = 48000
    channels: int = 1


@dataclass
class _Take:
    question_id: str
    take: int
    practice: bool
    files: TakeFiles
    out_path: Path
    video: TakeVideoOutput
    audio: AudioWriter
    result: Future[TakeResult] | None = None
    # Sound up to this instant still belongs to the stopped take (see stop_take).
    audio_until_ns: int = 0


Job = tuple[Future, Callable[..., Any], tuple[Any, ...]]


class Recorder:
    """Takes and sessions on disk, one candidate at a time.

    jobs: the single worker that muxes takes and changes the spool, in order (a
    ThreadPoolExecutor with one thread; the simulator's waits for it at every step).
    """

    def __init__(
        self,
        spool: Spool,
        practice_dir: Path,
        camera: Camera,
        fmt: RecordingFormat,
        booth_id: str,
        jobs: Executor,
    ) -> None:
        self.spool = spool
        self.practice_dir = practice_dir
        self.camera = camera
        self.fmt = fmt
        self.booth_id = booth_id
        self.session: SpoolSession | None = None
        self.current: _Take | None = None
        self._stopped: dict[tuple[str, int, bool], _Take] = {}
        self._jobs = jobs
        self._tail: _Take | None = None  # a stopped take still taking its last sound
        self._backlog: deque[Job] = deque()  # jobs waiting behind the tail's mux
        self.reserve_path = spool.root / RESERVE_NAME
        self._release_reserve()
        self.errors: list[str] = []
        # Practice takes of an earlier run (a crash) are of no use to anybody.
        shutil.rmtree(practice_dir, ignore_errors=True)

    # ------------------------------------------------------------ sessions
    def open_session(
        self, interview_id: str, candidate_ref: str, started: datetime, resumes: str | None = None
    ) -> str:
        self.session = self.spool.open_session(
            booth_id=self.booth_id,
            interview_id=interview_id,
            candidate_ref=candidate_ref,
            started=started,
            resumes=resumes,
        )
        return self.session.session_id

    def finish_session(self, status: str, finished: datetime) -> None:
        session = self.session
        self.session = None
        if session is not None:
            self._run(self._finish, session, status, finished)

    def _finish(self, session: SpoolSession, status: str, finished: datetime) -> None:
        """End (and seal) the session; once that worked, seal any session whose seal failed
        before (a full disk, no age command)."""
        session.finish(status, finished)
        for session_id in self.spool.seal_waiting():
            log.info("sealed session %s, whose seal had failed", session_id)

    # --------------------------------------------------------------- takes
    def start_take(
        self,
        question_id: str,
        take: int,
        practice: bool,
        max_seconds: float,
        now: datetime,
        sent_without_keeping: bool = True,
    ) -> None:
        """Start recording. `sent_without_keeping` goes into the take's take.json: whether the
        take is sent although the candidate never keeps it (see `booth.session.steps.Step`),
        so that recovery after a crash deletes a take that was waiting for review."""
        if self.current is not None:
            raise RuntimeError("a take is already being recorded")
        meta = dict(
            width=self.fmt.width,
            height=self.fmt.height,
            fps=self.fmt.fps,
            sample_rate=self.fmt.sample_rate,
            channels=self.fmt.channels,
            started=now.isoformat(),
            max_seconds=max_seconds,
            sent_without_keeping=sent_without_keeping,
        )
        if practice:
            self.practice_dir.mkdir(parents=True, exist_ok=True)
            files = TakeFiles(self.practice_dir / f".take-{question_id}-{take}").create(
                question_id=question_id, take=take, **meta
            )
            out_path = self.practice_dir / f"{question_id}-take{take}.mp4"
        else:
            if self.session is None:
                raise RuntimeError("a take needs an open session")
            files = self.session.new_take(question_id, take, **meta)
            out_path = self.session.take_path(question_id, take)
        video = self.camera.take_writer(files)
        audio = AudioWriter(files, self.fmt.sample_rate, self.fmt.channels)
        self.current = _Take(question_id, take, practice, files, out_path, video, audio)
        if not practice:
            self._reserve(max_seconds)
        self.camera.start_encoder(video)

    def _reserve(self, max_seconds: float) -> None:
        """Set aside the room this take's MP4 and manifest will need.

        Should something else fill the disk during the take, the raw files stop growing
        and the take ends early; releasing this reserve then leaves room to mux what was
        recorded, so the take is kept rather than lost. posix_fallocate claims the blocks
        without writing them.
        """
        need = int(max_seconds * (self.fmt.bitrate_bps + AAC_BPS) / 8) + RESERVE_SLACK_BYTES
        try:
            fd = os.open(self.reserve_path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.posix_fallocate(fd, 0, need)
            finally:
                os.close(fd)
        except OSError as err:
            log.warning("cannot reserve %d bytes for the take: %s", need, err)

    def _release_reserve(self) -> None:
        self.reserve_path.unlink(missing_ok=True)

    def audio(self, samples: np.ndarray, timestamp_ns: int) -> None:
        """A microphone chunk; written while a take is recorded, and to a stopped take's tail."""
        take = self.current
        if take is not None:
            take.audio.write(samples, timestamp_ns)
        tail = self._tail
        if tail is None:
            return
        if timestamp_ns < tail.audio_until_ns:
            tail.audio.write(samples, timestamp_ns)
        end_ns = timestamp_ns + round(len(samples) * 1e9 / self.fmt.sample_rate)
        if end_ns >= tail.audio_until_ns:
            self._end_tail()

    def tone_sounded(self, hz: float, start_ns: int, end_ns: int) -> None:
        """A cue's tone of `hz` may reach the microphone between `start_ns` and `end_ns`: the
        take being recorded notes it, and its mux removes that narrow band there."""
        if self.current is not None:
            try:
                self.current.files.add_tone(hz, start_ns, end_ns)
            except OSError as err:
                log.warning(
                    "take %s: cannot note the cue's tone: %s", self.current.question_id, err
                )

    def tick(self, now_ns: int) -> None:
        """Once a frame: a stopped take whose last sound does not come is muxed without it."""
        tail = self._tail
        if tail is not None and now_ns >= tail.audio_until_ns + AUDIO_TAIL_WAIT_S * 1e9:
            log.warning(
                "take %s/%d: the microphone's last sound did not come", tail.question_id, tail.take
            )
            self._end_tail()

    def stop_take(self, max_seconds: float | None, now_ns: int) -> None:
        """Stop the take: video at once; the sound spoken before `now_ns` that is still on
        its way from the sound card is waited for (see the module's docstring), then the mux."""
        take, self.current = self.current, None
        if take is None:
            return
        self.camera.stop_encoder()
        stats = take.video.close()
        self._release_reserve()
        if stats.dropped:
            log.warning("take %s/%d dropped %d frames", take.question_id, take.take, stats.dropped)
        if self._tail is not None:
            self._end_tail()
        take.audio_until_ns = now_ns
        self._tail = take
        take.result = self._run(mux_take, take.files, take.out_path, max_seconds)
        self._stopped[(take.question_id, take.take, take.practice)] = take

    def _end_tail(self) -> None:
        """The stopped take has its sound: close its audio, let its mux and the jobs behind
        it run."""
        tail, self._tail = self._tail, None
        if tail is not None:
            tail.audio.close()
        while self._backlog:
            self._submit(*self._backlog.popleft())

    def keep_take(self, question_id: str, take: int) -> None:
        stopped = self._stopped.pop((question_id, take, False), None)
        session = self.session
        if stopped is None or session is None:
            log.error("keep of unknown take %s/%d", question_id, take)
            return
        result = stopped.result
        assert result is not None  # set when the take was stopped

        # The spool deletes the take's raw files and the question's earlier takes.
        self._run(lambda: session.keep_take(question_id, take, result.result()))

    def discard_take(self, question_id: str, take: int, practice: bool) -> None:
        stopped = self._stopped.pop((question_id, take, practice), None)
        session = self.session

        def discard() -> None:
            if stopped is not None and stopped.result is not None:
                stopped.result.exception()  # wait for the mux to end before deleting
            if practice:
                if stopped is not None:
                    shutil.rmtree(stopped.files.path, ignore_errors=True)
                    stopped.out_path.unlink(missing_ok=True)
            elif session is not None:
                session.discard_take(question_id, take)

        self._run(discard)

    def take_mp4(self, question_id: str, take: int, practice: bool) -> Path | None:
        """The MP4 of a stopped take, once muxed (for replay)."""
        stopped = self._stopped.get((question_id, take, practice))
        if stopped is None or stopped.result is None or not stopped.result.done():
            return None
        return stopped.out_path if stopped.result.exception() is None else None

    # ------------------------------------------------------------- worker
    def _run(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Queue `fn(*args)` for the worker, after everything queued before it (behind a
        stopped take's mux while that take waits for its last sound)."""
        done: Future = Future()
        done.add_done_callback(self._report)
        if self._tail is not None:
            self._backlog.append((done, fn, args))
        else:
            self._submit(done, fn, args)
        return done

    def _submit(self, done: Future, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        def job() -> None:
            if not done.set_running_or_notify_cancel():
                return
            try:
                done.set_result(fn(*args))
            except BaseException as err:  # reported by _report, and to whoever waits
                done.set_exception(err)

        self._jobs.submit(job)

    def _report(self, future: Future) -> None:
        err = future.exception()
        if err is not None:
            log.error("take work failed: %s", err, exc_info=err)
            self.errors.append(str(err))

    def close(self) -> None:
        """Stop any take (it is kept on disk for recovery) and finish pending work."""
        if self.current is not None:
            self.camera.stop_encoder()
            self.current.video.close()
            self.current.audio.close()
            self.current = None
        self._end_tail()
        self._jobs.shutdown(wait=True)
