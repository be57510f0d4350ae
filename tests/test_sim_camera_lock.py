"""A take locks the camera's exposure: the simulated camera, and the Pi camera's controls."""

import numpy as np
import pytest

from booth.devices.exposure_hold import Exposure
from booth.devices.face_meter import face_luma
from booth.devices.pi_camera import (
    exposure_lock_controls,
    exposure_unlock_controls,
    frame_metadata,
    locked_exposure,
)
from booth.devices.ports.camera import (
    AE_STATE_CONVERGED,
    AE_STATE_IDLE,
    AE_STATE_SEARCHING,
)
from booth.media.takefiles import TakeFiles
from booth.sim.camera import SimCamera, SimCameraSetup
from booth.sim.scene import Scene
from tests.sim_support import exposure_locked

FRAME_NS = 33_333_333


class Ring:
    level = 0.5


@pytest.fixture
def take(tmp_path):
    """A take's files, for the camera's own writer (`take_writer`)."""
    return TakeFiles(tmp_path / ".take-q1-1").create(width=160, height=120, fps=30)


def total(m) -> float:
    return m["ExposureTime"] * m["AnalogueGain"] * m["DigitalGain"]


@pytest.fixture
def booth():
    scene = Scene(ambient_lux=180.0, ring_lux_at_full=1200.0)
    camera = SimCamera(160, 120, 30, scene, Ring(), SimCameraSetup(flicker_period_us=10_000))
    camera.start()
    frames = iter(range(10**6))

    def capture():
        return camera.capture(next(frames) * FRAME_NS)

    for _ in range(40):
        capture()
    yield scene, camera, capture
    camera.stop()


def test_a_take_locks_the_exposure_without_a_jump_and_stopping_hands_it_back(booth, take):
    scene, camera, capture = booth
    before = capture().metadata
    assert before["AeState"] == AE_STATE_CONVERGED
    camera.start_encoder(camera.take_writer(take))
    during = [capture().metadata for _ in range(30)]
    assert all(m["AeState"] == AE_STATE_IDLE for m in during)
    assert {(m["ExposureTime"], m["AnalogueGain"]) for m in during} == {
        (before["ExposureTime"], before["AnalogueGain"])
    }
    camera.stop_encoder()
    scene.ambient_lux = 600.0  # after the take, auto-exposure follows the room again
    after = [capture().metadata for _ in range(40)]
    assert after[0]["AeState"] != AE_STATE_IDLE
    assert AE_STATE_SEARCHING in {m["AeState"] for m in after}
    assert total(after[-1]) < 0.7 * total(before)


def test_while_locked_a_brighter_room_is_held_off_the_face_by_gain_alone(booth, take):
    scene, camera, capture = booth
    camera.start_encoder(camera.take_writer(take))
    start = np.mean([face_luma(capture().image) for _ in range(10)])
    scene.ambient_lux = 240.0
    frames = [capture() for _ in range(30)]
    camera.stop_encoder()
    assert np.mean([face_luma(f.image) for f in frames[-10:]]) == pytest.approx(start, rel=0.01)
    assert {f.metadata["ExposureTime"] % 10_000 for f in frames} == {0}  # no banding
    assert frames[-1].metadata["AnalogueGain"] < frames[0].metadata["AnalogueGain"]


def test_without_the_lock_auto_exposure_runs_through_a_take(take):
    camera = SimCamera(160, 120, 30, Scene(), Ring(), SimCameraSetup(lock_exposure=False))
    camera.start()
    camera.start_encoder(camera.take_writer(take))
    assert camera.capture(0).metadata["AeState"] != AE_STATE_IDLE
    assert not exposure_locked(camera)


def test_the_pi_locks_at_whole_flicker_periods_and_makes_up_the_rest_in_gain():
    locked = locked_exposure({"ExposureTime": 29_994, "AnalogueGain": 2.0}, 10_000)
    assert locked.exposure_us == 30_000
    assert locked.analogue_gain == pytest.approx(2.0 * 29_994 / 30_000)
    # A bright room's short exposure, or none to avoid, is locked as it is.
    assert locked_exposure({"ExposureTime": 4_000, "AnalogueGain": 1.0}, 10_000).exposure_us == 4000
    assert locked_exposure({"ExposureTime": 29_994, "AnalogueGain": 2.0}, 0).exposure_us == 29_994


def test_the_pi_lock_uses_the_mode_controls_where_libcamera_has_them():
    locked = Exposure(30_000, 2.5)
    modern = {"ExposureTimeMode": (0, 1, 0), "AnalogueGainMode": (0, 1, 0), "AeEnable": ()}
    assert exposure_lock_controls(locked, modern) == {
        "ExposureTimeMode": 1,
        "AnalogueGainMode": 1,
        "ExposureTime": 30_000,
        "AnalogueGain": 2.5,
    }
    assert exposure_unlock_controls(modern) == {"ExposureTimeMode": 0, "AnalogueGainMode": 0}
    older = {"AeEnable": (False, True, True), "ExposureTime": (), "AnalogueGain": ()}
    assert exposure_lock_controls(locked, older) == {"ExposureTime": 30_000, "AnalogueGain": 2.5}
    assert exposure_unlock_controls(older) == {"ExposureTime": 0, "AnalogueGain": 0.0}


def test_pi_frames_report_the_lock_as_libcamera_0_5_does():
    raw = {"ExposureTime": 30_000, "AnalogueGain": 2.0}
    assert frame_metadata(raw, 33_333, locked=True)["AeState"] == AE_STATE_IDLE
    assert frame_metadata({**raw, "AeState": 2}, 33_333)["AeState"] == AE_STATE_CONVERGED
    assert frame_metadata({**raw, "AeLocked": True}, 33_333)["AeState"] == AE_STATE_CONVERGED
    assert frame_metadata(raw, 33_333)["AeState"] == AE_STATE_SEARCHING
