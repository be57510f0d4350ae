"""The simulated auto-exposure moves like libcamera's Raspberry Pi AGC, and noise follows gain."""

import numpy as np
import pytest

from booth.sim.camera import SimCamera
from booth.sim.exposure import AgcTuning, AutoExposure
from booth.sim.scene import Scene
from booth.sim.sensor import Sensor

FRAME_US = 33_333


class Light:
    def __init__(self, level=0.0):
        self.level = level


def total(settings):
    exposure, analogue, digital = settings
    return exposure * analogue * digital


def test_starts_at_one_millisecond_and_unity_gain():
    assert AutoExposure(FRAME_US).settings == (1000, 1.0, 1.0)


def test_jumps_straight_to_target_during_startup():
    ae = AutoExposure(FRAME_US)
    # Measured 0.02 at 1 ms: 8x too dark for y_target 0.16.
    ae.update(0.02)
    assert total(ae.settings) == pytest.approx(8000, rel=0.01)


def test_after_startup_moves_a_fifth_of_the_remaining_error_per_frame():
    tuning = AgcTuning()
    ae = AutoExposure(FRAME_US, tuning)
    for _ in range(tuning.startup_frames):
        ae.update(0.16)
    before = total(ae.settings)
    ae.update(0.16 / 3)  # the scene got 3x darker: target is 3x the exposure
    assert total(ae.settings) == pytest.approx(before + 0.2 * (3 * before - before), rel=0.01)


def test_small_changes_inside_the_stable_region_are_left_alone():
    ae = AutoExposure(FRAME_US)
    for _ in range(12):
        ae.update(0.16)
    settled = ae.settings
    ae.update(0.16 * 1.01)
    assert ae.settings == settled


def settle_frames(totals):
    final = totals[-1]
    return next(i for i in range(len(totals)) if all(abs(t / final - 1) < 0.03 for t in totals[i:]))


def test_camera_settles_in_15_to_20_frames_after_the_ring_light_comes_on():
    light = Light(0.0)
    camera = SimCamera(160, 120, 30, Scene(ambient_lux=40.0), light)
    camera.start()
    for k in range(30):
        camera.capture(k)
    light.level = 1.0
    totals = []
    for k in range(40):
        m = camera.capture(30 + k).metadata
        totals.append(m["ExposureTime"] * m["AnalogueGain"] * m["DigitalGain"])
    assert 12 <= settle_frames(totals) <= 20
    assert totals[-1] < totals[0] / 3  # far less exposure × gain needed with the light on


def test_dark_room_runs_at_full_frame_time_and_top_analogue_gain():
    camera = SimCamera(160, 120, 30, Scene(ambient_lux=2.0), Light(0.0))
    camera.start()
    for k in range(30):
        m = camera.capture(k).metadata
    assert m["ExposureTime"] == FRAME_US
    assert m["AnalogueGain"] == pytest.approx(16.0)
    assert m["DigitalGain"] == pytest.approx(1.0)


def test_exposure_is_capped_by_the_frame_duration():
    for fps, cap in ((30, 33_333), (50, 20_000)):
        ae = AutoExposure(round(1e6 / fps))
        for _ in range(20):
            ae.update(0.001)
        assert ae.settings[0] == cap


def test_flicker_period_rounds_exposure_to_whole_periods_and_gain_makes_up():
    plain, flicker = AutoExposure(FRAME_US), AutoExposure(FRAME_US, flicker_period_us=10_000)
    for ae in (plain, flicker):
        ae.update(0.16 / 25)  # needs 25 ms × gain 1, which the profile splits 12.5 ms × 2
    assert plain.settings[0] == pytest.approx(12_500, rel=0.02)
    assert flicker.settings[0] == 10_000
    assert total(flicker.settings) == pytest.approx(total(plain.settings), rel=0.01)


def test_grainier_picture_at_higher_analogue_gain_for_the_same_brightness():
    scene, sensor = Scene(ambient_lux=600.0), Sensor()
    view = scene.render(320, 240, 0, 0.0)
    flat = (slice(0, 25), slice(0, 80), 1)  # green, in the backdrop's top band
    low = sensor.image(view, 32_000, 1.0, 1.0, 0)[flat].astype(float)
    high = sensor.image(view, 2_000, 16.0, 1.0, 0)[flat].astype(float)
    assert abs(low.mean() - high.mean()) < 4
    assert high.std() > 3 * low.std()
    assert sensor.meter(view, 32_000, 1.0) == pytest.approx(sensor.meter(view, 2_000, 16.0))


def test_noise_changes_from_frame_to_frame():
    scene, sensor = Scene(), Sensor()
    view = scene.render(160, 120, 0, 0.0)
    a = sensor.image(view, 20_000, 8.0, 1.0, 0)
    b = sensor.image(view, 20_000, 8.0, 1.0, 1)
    assert not np.array_equal(a, b)
