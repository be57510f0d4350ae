"""The simulated world: the clapperboard across camera and microphone, and the voice."""

import numpy as np
import pytest
from conftest import read_waiting

from booth.devices.microphone import AlsaMicrophone
from booth.sim.alsa_config import install_alsa_config
from booth.sim.camera import SimCamera
from booth.sim.voice import Voice
from booth.sim.world import SimWorld, WorldSetup

RATE = 48_000
START_NS = 2_000_000_000


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("ALSA_CONFIG_PATH", "")
    w = SimWorld(160, 120, 30, WorldSetup(seed=2, start_ns=START_NS, mic_dir=tmp_path / "mic"))
    install_alsa_config(w.mic.directory, w.mic.asoundrc)
    yield w
    w.close()


def run(world, frames, clap_at=None):
    mic = AlsaMicrophone(world.mic_device, period_frames=world.period_frames, stamps=world.mic)
    camera = SimCamera(world.width, world.height, world.fps, world.scene, None)
    camera.start()
    white, chunks, clap_time = [], [], None
    for k in range(frames):
        t = world.tick()
        if k == clap_at:
            clap_time = world.clap(t + 1)  # "now", snapped to the next frame
        frame = camera.capture(t)
        if (frame.image == 255).all():
            white.append(frame.timestamp_ns)
        chunks.extend(read_waiting(world, mic))
    mic.close()
    return white, chunks, clap_time


def test_clap_gives_exactly_one_white_frame_and_a_click_at_the_same_instant(world):
    white, chunks, clap_time = run(world, 90, clap_at=40)
    assert white == [clap_time] == [world.frame_time(41)]
    audio = np.concatenate([c.samples[:, 0] for c in chunks])
    full_scale = np.flatnonzero(np.abs(audio.astype(np.int32)) >= 32767)
    first = full_scale[0]
    click_ns = chunks[0].timestamp_ns + first * 1_000_000_000 // RATE
    assert abs(click_ns - clap_time) <= 1_000_000_000 // RATE // 2 + 1
    assert (full_scale[-1] - first + 1) / RATE == pytest.approx(0.005, abs=0.001)


def test_clap_at_a_given_time_lands_on_the_first_frame_at_or_after_it(world):
    t = world.clap(START_NS + 1_000_000_000 + 5)
    assert t == world.frame_time(31)
    assert world.clap(START_NS + 1_000_000_000) == world.frame_time(30)


def test_frame_times_follow_the_frame_rate_without_drift(world):
    assert world.frame_time(0) == START_NS
    assert world.frame_time(30 * 600) == START_NS + 600 * 1_000_000_000
    assert [world.tick() for _ in range(3)] == [world.frame_time(k) for k in range(3)]


@pytest.mark.slow
def test_audio_keeps_pace_with_video_over_a_long_take(world):
    _, chunks, _ = run(world, 30 * 20 + 1)
    frames = sum(c.frames for c in chunks)
    assert frames == 20 * RATE


@pytest.mark.slow
def test_voice_talks_in_phrases_at_about_minus_20_dbfs():
    voice = Voice(seed=5)
    x = voice.samples(0, RATE * 30)
    talking = np.array([voice.talking(i) for i in range(0, len(x), 480)]).repeat(480)[: len(x)]
    assert 0.55 < talking.mean() < 0.9  # phrases with pauses between them
    rms = 20 * np.log10(np.sqrt(np.mean(x[talking] ** 2)))
    assert rms == pytest.approx(-20, abs=2)
    pause = 20 * np.log10(np.sqrt(np.mean(x[~talking] ** 2)))
    assert pause < -60


@pytest.mark.slow
def test_voice_has_syllables_at_about_four_per_second():
    x = Voice(seed=5).samples(0, RATE * 30)
    envelope = np.sqrt(np.mean((x[: len(x) // 480 * 480].reshape(-1, 480)) ** 2, axis=1))
    spectrum = np.abs(np.fft.rfft(envelope - envelope.mean()))
    freqs = np.fft.rfftfreq(len(envelope), d=0.01)
    band = (freqs > 1) & (freqs < 20)
    assert 3.0 < freqs[band][np.argmax(spectrum[band])] < 9.0


def test_voice_is_the_same_however_it_is_chunked():
    whole = Voice(seed=9).samples(1000, 9000)
    voice = Voice(seed=9)
    parts = np.concatenate([voice.samples(1000 + k, 1500) for k in range(0, 9000, 1500)])
    assert np.array_equal(whole, parts)
    assert not np.array_equal(whole, Voice(seed=10).samples(1000, 9000))
