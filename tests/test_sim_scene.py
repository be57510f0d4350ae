"""The simulated scene: where the face is, how light reaches it, sway and the clap flash."""

import numpy as np
import pytest

from booth.framing import FRAMING
from booth.sim.scene import MATERIALS, Scene, layout_for
from booth.sim.sensor import Sensor
from tests.sim_support import face_lux

SKIN = [i for i, m in enumerate(MATERIALS) if m.name.startswith("skin")]
EYE = next(i for i, m in enumerate(MATERIALS) if m.name == "eye")
BACKDROP = [i for i, m in enumerate(MATERIALS) if m.name.startswith("backdrop")]


@pytest.mark.parametrize("size", [(160, 120), (320, 240), (1920, 1080), (480, 800)])
def test_face_sits_where_the_framing_guide_puts_it(size):
    # Roughly; tests/test_framing.py checks the head against the guide's oval pixel by pixel.
    width, height = size
    view = Scene().render(width, height, t_ns=0, ring_level=0.0)
    rows, cols = np.nonzero(np.isin(view.materials, SKIN))
    assert abs(cols.mean() - width / 2) < 0.02 * width
    eye_rows, _ = np.nonzero(view.materials == EYE)
    assert abs(eye_rows.mean() - FRAMING.eye_y(height)) <= max(1.0, 0.01 * height)


def test_ring_light_lights_the_face_far_more_than_the_backdrop():
    scene = Scene(ambient_lux=100.0, ring_lux_at_full=400.0)
    dark = scene.render(160, 120, 0, ring_level=0.0).radiance
    lit = scene.render(160, 120, 0, ring_level=1.0).radiance
    face_gain = lit[SKIN[0]].mean() / dark[SKIN[0]].mean()
    backdrop_gain = lit[BACKDROP[0]].mean() / dark[BACKDROP[0]].mean()
    assert face_gain == pytest.approx(5.0)  # 100 lux ambient + 400 lux ring
    assert backdrop_gain < 1.7
    assert face_lux(scene, 0.5) == pytest.approx(300.0)


def test_face_is_brighter_in_the_picture_with_more_light_at_fixed_exposure():
    scene, sensor = Scene(ambient_lux=50.0), Sensor()
    x, y, w, h = FRAMING.face(320, 240).rounded()

    def face_brightness(level):
        image = sensor.image(scene.render(320, 240, 0, level), 20_000, 2.0, 1.0, 0)
        return image[y : y + h, x : x + w].mean()

    assert face_brightness(0.0) < face_brightness(0.3) < face_brightness(1.0)


def test_head_sways_slowly_and_deterministically():
    scene = Scene(seed=4)
    a = scene.render(320, 240, 0, 0.0).materials
    b = scene.render(320, 240, 1_000_000_000, 0.0).materials
    assert not np.array_equal(a, b)
    assert np.array_equal(a, Scene(seed=4).render(320, 240, 0, 0.0).materials)
    offsets = [abs(scene.sway_px(320, 240, t * 33_333_333)) for t in range(300)]
    assert 0 < max(offsets) <= 0.015 * 320
    assert max(offsets) <= FRAMING.sway_px(320, 240)


def test_sway_keeps_the_face_inside_its_region():
    scene = Scene(seed=1)
    x, _, w, _ = FRAMING.face(640, 360).rounded()
    for t in range(0, 10_000_000_000, 250_000_000):
        view = scene.render(640, 360, t, 0.0)
        _, cols = np.nonzero(np.isin(view.materials, SKIN[:2]))
        assert x <= cols.min() and cols.max() < x + w


def test_material_image_is_built_once_per_size_and_cannot_be_altered():
    assert layout_for(320, 240) is layout_for(320, 240)
    with pytest.raises(ValueError):
        layout_for(320, 240).materials[0, 0] = 1


def test_flash_lights_exactly_the_instants_inside_it():
    scene = Scene()
    period = 33_333_333
    scene.flash(10 * period, period)
    flashing = [scene.is_flashing(k * period) for k in range(20)]
    assert flashing.count(True) == 1 and flashing[10]
    assert scene.render(160, 120, 10 * period, 0.0).white


def test_tiny_frames_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="too small"):
        layout_for(8, 8)
