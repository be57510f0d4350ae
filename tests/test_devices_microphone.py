"""The microphone through real pyalsaaudio and alsa-lib's `file` PCM fed by the simulator."""

import errno
import threading
import time

import numpy as np
import pytest
from conftest import read_waiting

from booth.devices.level_meter import SILENCE_FAULT, LevelMeter
from booth.devices.microphone import AlsaMicrophone, find_card, match_card
from booth.devices.ports.microphone import MicrophoneError
from booth.sim.alsa_config import install_alsa_config
from booth.sim.virtual_mic import PCM_NAME, MicStream, VirtualMic
from booth.sim.voice import Voice
from booth.sim.world import SimWorld, WorldSetup
from tests.sim_support import pending_frames, silence_mic

RATE = 48_000
PERIOD = 1600
START_NS = 5_000_000_000


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("ALSA_CONFIG_PATH", "")  # restored after the test
    w = SimWorld(160, 120, 30, WorldSetup(seed=7, start_ns=START_NS, mic_dir=tmp_path / "mic"))
    install_alsa_config(w.mic.directory, w.mic.asoundrc)
    yield w
    w.close()


@pytest.fixture
def mic(world):
    m = AlsaMicrophone(
        world.mic_device, rate=RATE, period_frames=world.period_frames, stamps=world.mic
    )
    yield m
    m.close()


def expected_voice(world, start, n):
    return np.rint(world.voice.samples(start, n) * 32767).astype(np.int16)


def test_reads_the_simulated_voice_byte_exact_through_alsa(world, mic):
    chunks = []
    for _ in range(31):
        world.tick()
        chunks.extend(read_waiting(world, mic))
    audio = np.concatenate([c.samples for c in chunks])
    assert audio.dtype == np.int16 and audio.shape == (30 * PERIOD, 1)
    assert np.array_equal(audio[:, 0], expected_voice(world, 0, 30 * PERIOD))
    assert mic.frames_read == 30 * PERIOD


def test_each_chunk_carries_the_virtual_time_of_its_first_sample(world, mic):
    chunks = []
    for _ in range(11):
        world.tick()
        chunks.extend(read_waiting(world, mic))
    expected = [START_NS + k * PERIOD * 1_000_000_000 // RATE for k in range(10)]
    # Within a nanosecond: the device reports whole nanoseconds.
    assert all(abs(c.timestamp_ns - t) <= 1 for c, t in zip(chunks, expected, strict=True))
    assert abs(chunks[0].end_ns - chunks[1].timestamp_ns) <= 1


def test_a_read_waits_for_the_simulator_and_never_returns_stale_data(world, mic):
    world.tick()
    world.tick()
    assert [c.frames for c in read_waiting(world, mic)] == [PERIOD]
    assert list(read_waiting(world, mic)) == []  # nothing due yet: no read, no stale data

    result = {}
    reader = threading.Thread(target=lambda: result.update(chunk=mic.read()))
    reader.start()
    reader.join(0.3)
    assert reader.is_alive()  # paced: blocked like a sound card between periods
    world.tick()
    reader.join(5)
    assert not reader.is_alive()
    assert np.array_equal(result["chunk"].samples[:, 0], expected_voice(world, PERIOD, PERIOD))


def test_half_a_period_is_held_back_until_the_period_is_complete(tmp_path, monkeypatch):
    monkeypatch.setenv("ALSA_CONFIG_PATH", "")
    vmic = VirtualMic(tmp_path, Voice(seed=1), MicStream(period_frames=PERIOD))
    install_alsa_config(vmic.directory, vmic.asoundrc)
    mic = AlsaMicrophone(PCM_NAME, period_frames=PERIOD, stamps=vmic)
    vmic.produce(PERIOD // 2)
    assert pending_frames(vmic) == 0
    vmic.produce(PERIOD // 2 + 100)
    assert pending_frames(vmic) == PERIOD
    chunk = mic.read()
    assert chunk.timestamp_ns == 0 and chunk.frames == PERIOD
    mic.close()
    vmic.close()


def test_with_alsa_timestamps_chunks_are_stamped_on_clock_monotonic(world):
    mic = AlsaMicrophone(world.mic_device, rate=RATE, period_frames=world.period_frames)
    world.tick()
    world.tick()
    chunk = mic.read()
    mic.close()
    now = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    # alsa's null device reports its whole buffer as waiting, so allow a buffer's length.
    assert now - 1_000_000_000 < chunk.timestamp_ns < now


def test_overrun_is_counted_and_recording_goes_on(world, mic):
    """No software-only ALSA device can overflow (the `null` slave never reports XRUN), so
    this feeds Microphone the exact result pyalsaaudio 0.11's PCM.read() returns on an
    overrun: length -EPIPE and no data (alsaaudio.c, alsapcm_read)."""
    assert mic.take(-errno.EPIPE, b"") is None
    assert mic.take(-errno.EPIPE, b"") is None
    assert mic.overruns == 2
    world.tick()
    world.tick()
    assert [c.frames for c in read_waiting(world, mic)] == [PERIOD]


def test_other_read_errors_are_reported_not_swallowed(mic):
    with pytest.raises(MicrophoneError):
        mic.take(-errno.EIO, b"")


def test_virtual_mic_drops_periods_nobody_reads_like_a_full_ring_buffer(world, mic):
    for _ in range(30 * 5):  # 5 s of audio, more than the FIFO holds
        world.tick()
    assert world.mic.overruns > 0
    first = read_waiting(world, mic)[0]
    assert first.timestamp_ns == START_NS  # what was kept is still correctly timed


def test_silent_microphone_delivers_zeros_and_the_meter_calls_it_a_fault(world, mic):
    silence_mic(world)
    meter = LevelMeter(RATE, silent_after_s=3.0)
    for _ in range(30 * 4):
        world.tick()
        for chunk in read_waiting(world, mic):
            assert not chunk.samples.any()
            meter.feed(chunk.samples)
    assert meter.fault == SILENCE_FAULT


def test_opening_a_missing_device_names_it():
    with pytest.raises(MicrophoneError, match="no_such_mic"):
        AlsaMicrophone("no_such_mic")


def test_find_card_keeps_pcm_names_and_refuses_unknown_cards(world):
    assert find_card("default") == "default"
    assert find_card(PCM_NAME) == PCM_NAME
    assert find_card("plughw:CARD=Device,DEV=0") == "plughw:CARD=Device,DEV=0"
    with pytest.raises(MicrophoneError, match="no sound card named 'Blue'"):
        find_card("Blue")


def test_cards_are_matched_by_id_then_by_name_ignoring_case():
    cards = [
        ("PCH", "HDA Intel PCH", "HDA Intel PCH at 0xf7f10000 irq 32"),
        ("Device", "USB PnP Sound Device", "C-Media Electronics Inc. USB PnP Sound Device"),
        ("Mic", "Yeti Stereo Microphone", "Blue Microphones Yeti Stereo Microphone"),
    ]
    assert match_card("device", cards) == "Device"
    assert match_card("yeti", cards) == "Mic"
    assert match_card("usb pnp", cards) == "Device"
    assert match_card("Rode", cards) is None


def test_mic_latency_ms_is_added_to_the_delay_alsa_reports(world):
    """`[devices] mic_latency_ms` (25 ms at 48 kHz: 1200 frames) joins ALSA's avail."""
    mic = AlsaMicrophone(
        world.mic_device, rate=RATE, period_frames=world.period_frames, latency_ms=25
    )
    world.tick()
    world.tick()
    assert mic.read() is not None
    report = mic.stamps.after_read()
    mic.close()
    assert report is not None and report.delay_frames >= 1200
    assert mic.stamps.latency_frames == 1200
