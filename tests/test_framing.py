"""One face geometry (booth.framing): the check screen's guide, the simulated candidate and the
face meter agree on where the face is, in 4:3, 16:9 and portrait pictures, however the head
sways."""

from __future__ import annotations

import ast
import os
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np
import pygame
import pytest

import booth.framing
from booth.devices.face_meter import face_luma, face_patch
from booth.framing import FRAMING
from booth.sim.scene import MATERIALS, Scene, layout_for
from booth.sim.sensor import Sensor
from booth.ui import palette
from booth.ui.renderer import Renderer
from tools.gallery import sample_views

INDEX = {m.name: i for i, m in enumerate(MATERIALS)}
SKIN = [INDEX["skin0"], INDEX["skin1"], INDEX["skin2"]]
HEAD = [*SKIN, INDEX["hair"], INDEX["eye"], INDEX["brow"], INDEX["mouth"]]
SIZES = [
    (160, 120),  # 4:3, the light benchmarks' camera
    (640, 480),
    (320, 180),  # 16:9
    (640, 360),  # 16:9, the kiosk's preview
    (1920, 1080),
    (360, 640),  # portrait: the camera mounted turned
    (480, 800),
]
IDS = [f"{w}x{h}" for w, h in SIZES]


def sway_offsets(width: int, height: int) -> list[int]:
    """The figure's offsets to check: the largest the scene's sway reaches either way, the
    middle, and a few in between."""
    top = int(FRAMING.sway_px(width, height))
    return sorted({-top, -top // 2, 0, top // 2, top})


def materials(width: int, height: int, offset: int) -> np.ndarray:
    return layout_for(width, height).window(offset)


def inside_ellipse(box, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Normalised radius of each pixel's centre in the ellipse inscribed in `box` (≤ 1 inside)."""
    return np.hypot((cols + 0.5 - box.cx) / (box.w / 2), (rows + 0.5 - box.cy) / (box.h / 2))


def test_framing_is_the_lowest_layer_and_imports_nothing_from_booth():
    tree = ast.parse(Path(booth.framing.__file__).read_text())
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append(node.module or "")
    assert imported and not [name for name in imported if name.split(".")[0] == "booth"]


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_the_eye_line_crosses_the_face_box_inside_the_oval_and_the_patch_lies_below_it(size):
    width, height = size
    oval, face, eye_y = FRAMING.oval(*size), FRAMING.face(*size), FRAMING.eye_y(height)
    assert oval.y < face.y < eye_y < face.y + face.h < oval.y + oval.h
    assert oval.x < face.x and face.x + face.w < oval.x + oval.w
    assert oval.cx == face.cx == width / 2
    # The oval keeps its size against the picture's shorter side, whatever the aspect ratio.
    assert oval.h == pytest.approx(FRAMING.oval_height * min(size))
    assert 0 <= oval.y and oval.y + oval.h <= height
    rows, cols = FRAMING.meter_patch(width, height)
    assert eye_y < rows.start < rows.stop <= face.y + face.h
    assert face.x < cols.start < width / 2 < cols.stop < face.x + face.w


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_the_simulated_head_lies_inside_the_guides_oval_however_it_sways(size):
    oval = FRAMING.oval(*size)
    for offset in sway_offsets(*size):
        rows, cols = np.nonzero(np.isin(materials(*size, offset), HEAD))
        assert inside_ellipse(oval, rows, cols).max() <= 1.0, f"sway {offset}"
        # ... and fills most of it: hair to chin, the head is a well-framed face.
        assert rows.max() + 1 - rows.min() >= 0.75 * oval.h


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_the_simulated_eyes_sit_on_the_guides_eye_line(size):
    eye_y = FRAMING.eye_y(size[1])
    for offset in sway_offsets(*size):
        rows, _ = np.nonzero(materials(*size, offset) == INDEX["eye"])
        assert rows.min() <= eye_y <= rows.max() + 1
        assert abs(rows.mean() + 0.5 - eye_y) <= 0.5


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_the_simulated_skin_fills_the_face_box(size):
    face = FRAMING.face(*size)
    rows, cols = np.nonzero(np.isin(materials(*size, 0), SKIN))
    # Chin and cheeks on the box's edges; the forehead goes up under the hair, which crowns
    # the head a little above the box.
    head_rows, _ = np.nonzero(np.isin(materials(*size, 0), HEAD))
    assert face.y - 0.05 * face.h <= head_rows.min() <= face.y
    assert rows.max() + 1 == pytest.approx(face.y + face.h, abs=1.0)
    assert cols.min() == pytest.approx(face.x, abs=1.0)
    assert cols.max() + 1 == pytest.approx(face.x + face.w, abs=1.0)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_the_meter_reads_the_same_skin_however_the_head_sways(size):
    width, height = size
    for offset in sway_offsets(*size):
        picture = np.repeat(materials(*size, offset)[:, :, None], 3, axis=2)
        patch = face_patch(picture)
        # All of it the front of the cheeks and nose: no eye, mouth, hair, backdrop, and not
        # the darker sides of the face, so its brightness does not follow the sway.
        assert np.all(patch == INDEX["skin0"]), f"sway {offset}"
    rows, cols = FRAMING.meter_patch(width, height)
    assert patch.shape[:2] == (rows.stop - rows.start, cols.stop - cols.start)
    assert patch.shape[0] * patch.shape[1] >= 0.06 * FRAMING.face(*size).w * FRAMING.face(*size).h


def test_face_brightness_in_a_moving_picture_changes_only_with_the_light():
    scene, sensor = Scene(seed=3), Sensor(seed=3)
    lumas = [
        face_luma(sensor.image(scene.render(640, 360, t * 100_000_000, 0.5), 20_000, 2.0, 1.0, 0))
        for t in range(40)
    ]
    assert max(lumas) - min(lumas) < 1.0  # sensor noise only, out of 0..255
    assert {Scene(seed=3).sway_px(640, 360, t * 100_000_000) for t in range(40)} != {0}


@pytest.mark.parametrize("display", [(1920, 1080), (800, 480)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("camera", [(640, 360), (640, 480), (360, 640)], ids=str)
def test_the_check_screen_draws_the_oval_and_eye_line_where_the_face_should_be(display, camera):
    pygame.font.init()
    renderer = Renderer(display)
    surface = pygame.Surface(display)
    width, height = camera
    frame = Sensor().image(Scene().render(width, height, 0, 0.5), 20_000, 2.0, 1.0, 0)
    renderer.draw(surface, sample_views("en")["check"], frame, None, 0.0)
    rect = renderer.preview_rect
    assert rect.w / rect.h == pytest.approx(width / height, rel=0.02)
    pixels = pygame.surfarray.array3d(surface)[rect.x : rect.right, rect.y : rect.bottom]
    guide = np.all(pixels == palette.GUIDE, axis=-1).T  # (rows, cols) of the preview
    eye_row = round(FRAMING.eye_y(rect.h))
    assert guide[eye_row].mean() > 0.4  # the dashed eye line, across the whole preview
    line_rows = np.nonzero(guide.mean(axis=1) > 0.3)[0]
    oval = FRAMING.oval(rect.w, rect.h)
    rows, cols = np.nonzero(guide)
    outline = ~np.isin(rows, line_rows)
    rows, cols = rows[outline], cols[outline]
    assert rows.min() == pytest.approx(oval.y, abs=1.5)
    assert rows.max() + 1 == pytest.approx(oval.y + oval.h, abs=1.5)
    assert cols.min() == pytest.approx(oval.x, abs=1.5)
    assert cols.max() + 1 == pytest.approx(oval.x + oval.w, abs=1.5)
