"""Microphone level meter: dBFS figures on known signals, clipping, quiet and silence."""

import numpy as np
import pytest

from booth.devices.level_meter import FLOOR_DBFS, SILENCE_FAULT, LevelMeter

RATE = 48_000


def sine(amplitude, seconds=0.2, freq=1000.0):
    t = np.arange(round(seconds * RATE)) / RATE
    return np.rint(amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def fed(*blocks, **kwargs):
    meter = LevelMeter(RATE, **kwargs)
    for block in blocks:
        for k in range(0, len(block), 1600):
            meter.feed(block[k : k + 1600])
    return meter


def test_full_scale_sine_reads_minus_3_rms_and_0_peak_and_clips():
    meter = fed(sine(32767))
    assert meter.rms_dbfs == pytest.approx(-3.01, abs=0.02)
    assert meter.peak_dbfs == pytest.approx(0.0, abs=0.01)
    assert meter.clipping


def test_sine_at_minus_20_dbfs_rms():
    amplitude = 32768 * 10 ** (-20 / 20) * np.sqrt(2)
    meter = fed(sine(amplitude))
    assert meter.rms_dbfs == pytest.approx(-20.0, abs=0.02)
    assert meter.peak_dbfs == pytest.approx(-16.99, abs=0.02)
    assert not meter.clipping


def test_half_scale_square_reads_minus_6_rms_and_peak():
    square = np.where(np.arange(9600) % 48 < 24, 16384, -16384).astype(np.int16)
    meter = fed(square)
    assert meter.rms_dbfs == pytest.approx(-6.02, abs=0.01)
    assert meter.peak_dbfs == pytest.approx(-6.02, abs=0.01)


def test_stereo_channels_are_metered_together():
    mono = sine(3276.8 * np.sqrt(2))
    meter = fed(np.stack([mono, mono], axis=1))
    assert meter.rms_dbfs == pytest.approx(-20.0, abs=0.05)


def test_window_forgets_what_was_loud_a_moment_ago():
    meter = fed(sine(32767, 0.5), sine(328, 0.2))
    assert meter.rms_dbfs == pytest.approx(-43.0, abs=0.1)
    assert not meter.clipping


def test_digital_silence_reads_the_floor_and_becomes_a_fault_after_seconds():
    meter = fed(np.zeros(RATE * 4, dtype=np.int16), silent_after_s=5.0)
    assert meter.rms_dbfs == FLOOR_DBFS and meter.peak_dbfs == FLOOR_DBFS
    assert not meter.silent and meter.fault is None
    for _ in range(30):
        meter.feed(np.zeros(1600, dtype=np.int16))
    assert meter.silent
    assert meter.fault == SILENCE_FAULT


def test_room_noise_is_quiet_but_not_silence():
    rng = np.random.default_rng(0)
    noise = np.rint(rng.normal(0, 32768 * 10 ** (-65 / 20), RATE * 8)).astype(np.int16)
    meter = fed(noise)
    assert meter.rms_dbfs == pytest.approx(-65, abs=1)
    assert meter.too_quiet and meter.quiet_for_seconds == pytest.approx(8.0, abs=0.05)
    assert not meter.silent


def test_speaking_up_resets_the_quiet_timer():
    meter = fed(sine(30, 5.0), sine(3000, 0.2))
    assert meter.quiet_for_seconds == 0.0 and not meter.too_quiet
    meter.reset()
    assert meter.rms_dbfs == FLOOR_DBFS and meter.quiet_for_seconds == 0.0
