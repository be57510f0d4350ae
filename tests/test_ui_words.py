"""Issue 27: the screens read as a nervous first-timer reads them, in both languages and at
every supported size: codes on one line, what happens next said before it happens, help that
exists, and plain words set no smaller than body size."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pygame
import pytest

from booth.session.view import View
from booth.ui.canvas import BODY
from booth.ui.renderer import Renderer
from tools.gallery import sample_mic, sample_views, synthetic_face

FACE = synthetic_face(160, 120)
SIZES = [(800, 480), (1920, 1080), (480, 800), (1080, 1920)]
size_ids = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")


@pytest.fixture(scope="module")
def renderers():
    pygame.font.init()
    return {size: Renderer(size) for size in SIZES}


def drawn(renderer, size, view, mic=None, preview=FACE):
    """The text boxes of one drawn screen (text, the rows it was wrapped into, its px)."""
    surface = pygame.Surface(size)
    hits = renderer.draw(surface, view, preview, mic, 0.0)
    return renderer.text_boxes, hits


def words(renderer, size, view, mic=None):
    boxes, _ = drawn(renderer, size, view, mic)
    return [b.text for b in boxes]


@size_ids
@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_code_of_6_to_12_digits_stays_on_one_line_at_body_size_or_more(
    renderers, size, language
):
    renderer = renderers[size]
    body_px = round(BODY * min(size) / 100)
    digits = "482133771234"
    for length in range(6, 13):
        for places in (length, 0):  # codes.csv says how many digits, or it does not
            for typed in range(length + 1):
                view = View(
                    "code", language, ("sv", "en"), code_entry=digits[:typed], code_places=places
                )
                boxes, _ = drawn(renderer, size, view)
                shown = [b for b in boxes if b.text.replace(" ", "").strip("–") == digits[:typed]]
                if not shown:  # nothing typed and no places: the field is empty
                    assert typed == 0 and places == 0
                    continue
                field = shown[0]
                assert len(field.rows) == 1, f"{length} digits, {typed} typed: {field.rows}"
                assert field.px >= body_px, f"{length} digits at {size}: {field.px} px"
                assert pygame.Rect(0, 0, *size).contains(field.rect)
