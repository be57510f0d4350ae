"""A real booth's microphone delivers sound a period or two after it was spoken: a stopped
take still receives its last sound before the MP4 is made, so it does not end in silence."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import av
import numpy as np

from booth.kiosk.recorder import Recorder, RecordingFormat
from booth.media.spool import Spool
from booth.sim.camera import SimCamera
from booth.sim.scene import Scene

FPS, RATE, PERIOD = 30, 48_000, 1600  # one ALSA period per frame
LATE = 2  # periods the sound card is behind
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def tone(start: int, n: int) -> np.ndarray:
    t = (np.arange(start, start + n) / RATE).astype(np.float64)
    return (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


def record(tmp_path, deliver_tail: bool):
    camera = SimCamera(160, 120, FPS, Scene(seed=1))
    camera.start()
    spool = Spool(tmp_path / "spool")
    recorder = Recorder(
        spool,
        tmp_path / "practice",
        camera,
        RecordingFormat(160, 120, FPS, 300_000, RATE, 1),
        "b",
        ThreadPoolExecutor(max_workers=1),
    )
    recorder.open_session("iv", "ref", NOW)
    recorder.start_take("q1", 1, False, 30.0, NOW)
    frames = 2 * FPS
    for i in range(frames):
        camera.capture(round(i * 1e9 / FPS))
        k = i - LATE  # the period spoken LATE frames ago arrives now
        if k >= 0:
            recorder.audio(tone(k * PERIOD, PERIOD), round(k * PERIOD * 1e9 / RATE))
    stop_ns = round(frames * 1e9 / FPS)
    recorder.stop_take(30.0, stop_ns)
    recorder.keep_take("q1", 1)
    # The mux (and the keep behind it) waits for the sound spoken before the stop.
    recorder.tick(stop_ns + 100_000_000)
    assert recorder.take_mp4("q1", 1, False) is None
    if deliver_tail:
        for k in range(frames - LATE, frames):
            recorder.audio(tone(k * PERIOD, PERIOD), round(k * PERIOD * 1e9 / RATE))
    else:
        recorder.tick(stop_ns + 500_000_000)  # on the kiosk's clock, it gives up
    recorder.finish_session("complete", NOW)
    recorder.close()
    camera.stop()
    (mp4,) = (tmp_path / "spool").glob("*/q1-take1.mp4")
    with av.open(str(mp4)) as container:
        sound = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    return sound


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x.astype(np.float64)))))


def test_the_last_sound_arriving_after_stop_is_in_the_take(tmp_path):
    sound = record(tmp_path, deliver_tail=True)
    tail = sound[-int(0.05 * RATE) :]  # the last 50 ms
    assert rms(tail) > 0.5 * rms(sound[: int(0.5 * RATE)] + 1e-9)


def test_without_its_last_sound_the_take_ends_in_silence(tmp_path):
    """The same take when the late sound never comes: the recorder gives up after 0.5 s on
    the kiosk's clock and muxes what it has."""
    sound = record(tmp_path, deliver_tail=False)
    tail = sound[-int(0.05 * RATE) :]
    assert rms(tail) < 0.05 * rms(sound[: int(0.5 * RATE)])
