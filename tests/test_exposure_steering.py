"""The exposure glue both cameras share: the face meter's EV between takes, the gain trim during
them, each asked for through a `set_controls`-shaped port only when it moves."""

from booth.devices.exposure_hold import Exposure
from booth.devices.exposure_steering import ExposureSteering
from booth.devices.face_exposure import linear_light
from booth.devices.ports.camera import AE_STATE_CONVERGED, AE_STATE_IDLE


def frame(state, exposure=20_000, gain=2.0):
    return {"ExposureTime": exposure, "AnalogueGain": gain, "DigitalGain": 1.0, "AeState": state}


def test_between_takes_the_face_meter_asks_for_an_ev_once_when_it_moves():
    asked = []
    steering = ExposureSteering(asked.append, face_level=0.57)
    dim_face = linear_light(0.57) / 2  # a stop below its level
    for _ in range(6):
        steering.frame(dim_face, frame(AE_STATE_CONVERGED))
    assert asked == [{"ExposureValue": 1.0}]
    for _ in range(20):  # the camera brought the face to its level: nothing more to ask
        steering.frame(linear_light(0.57), frame(AE_STATE_CONVERGED))
    assert asked == [{"ExposureValue": 1.0}]


def test_without_a_face_level_nothing_is_asked():
    asked = []
    steering = ExposureSteering(asked.append, face_level=None)
    for _ in range(10):
        steering.frame(0.01, frame(AE_STATE_CONVERGED))
    assert asked == []


def test_during_a_take_only_the_gain_moves_and_only_when_it_moved():
    asked = []
    steering = ExposureSteering(asked.append, face_level=0.57)
    steering.lock(Exposure(20_000, 2.0), max_analogue_gain=16.0)
    assert steering.locked
    face = 0.3
    for _ in range(3):
        steering.frame(face, frame(AE_STATE_IDLE))  # the face as at the start: nothing asked
    assert asked == []
    for _ in range(5):
        steering.frame(face * 1.05, frame(AE_STATE_IDLE))  # a door opened: 5 % brighter
    assert asked and all(set(a) == {"AnalogueGain"} for a in asked)
    assert asked[-1]["AnalogueGain"] < 2.0
    steering.unlock()
    asked.clear()
    steering.frame(face, frame(AE_STATE_CONVERGED))
    assert not steering.locked and all("AnalogueGain" not in a for a in asked)
