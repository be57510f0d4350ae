"""The take's locked exposure and its face-holding gain trim (booth.devices.exposure_hold)."""

import pytest

from booth.devices.exposure_hold import MAX_TRIM, Exposure, FaceHold

LOCKED = Exposure(30_000, 2.0)


def run(hold: FaceHold, light: list[float], delay: int = 3) -> list[float]:
    """Faces of frames lit by `light` (relative), taken with the requests `delay` frames late,
    as a sensor applies them."""
    pipeline = [LOCKED] * delay
    faces = []
    for lit in light:
        taken = pipeline.pop(0)
        face = 0.2 * lit * taken.total / LOCKED.total
        faces.append(face)
        pipeline.append(hold.update(face, taken))
    return faces


def test_a_steady_face_leaves_the_locked_exposure_alone():
    hold = FaceHold(LOCKED)
    run(hold, [1.0] * 60)
    assert hold.request == LOCKED


def test_a_room_5_percent_brighter_is_trimmed_back_by_gain_within_a_few_frames():
    hold = FaceHold(LOCKED)
    faces = run(hold, [1.0] * 5 + [1.05] * 30)
    assert faces[-1] == pytest.approx(0.2, rel=0.005)
    assert hold.request.exposure_us == 30_000  # whole flicker periods: only the gain moves
    assert hold.request.analogue_gain == pytest.approx(2.0 / 1.05, rel=0.005)
    assert max(faces) < 0.2 * 1.05 + 1e-9  # no overshoot past the room's own change


def test_the_trim_never_goes_past_its_limit():
    hold = FaceHold(LOCKED)
    run(hold, [1.0] * 5 + [0.5] * 60)
    gain = hold.request.analogue_gain
    assert 2.0 * (1 + MAX_TRIM) * 0.99 <= gain <= 2.0 * (1 + MAX_TRIM)


def test_at_unity_gain_the_trim_cannot_darken_the_picture():
    hold = FaceHold(Exposure(20_000, 1.0))
    hold.update(0.2, Exposure(20_000, 1.0))
    request = hold.update(0.22, Exposure(20_000, 1.0))
    assert request.analogue_gain == 1.0 and request.digital_gain == 1.0


def test_a_trim_above_the_top_analogue_gain_goes_to_digital_gain():
    hold = FaceHold(Exposure(33_000, 16.0), max_analogue_gain=16.0)
    for _ in range(20):
        request = hold.update(0.1 if hold.reference else 0.11, Exposure(33_000, 16.0))
    assert request.analogue_gain == 16.0 and request.digital_gain > 1.05
