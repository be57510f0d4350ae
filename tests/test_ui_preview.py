"""Only the screens that show the live preview look at it, so the kiosk hands the preview (and
a Pi camera converts it) only for those."""

from __future__ import annotations

import pygame
import pytest

from booth.ui.renderer import PREVIEW_SCREENS, Renderer
from tools.gallery import sample_mic, sample_views, synthetic_face

SIZE = (800, 480)


@pytest.mark.parametrize("name", sorted(sample_views("en")))
def test_a_screen_shows_the_preview_only_if_it_is_a_preview_screen(name):
    pygame.font.init()
    renderer = Renderer(SIZE)
    view = sample_views("en")[name]
    pictures = []
    for preview in (synthetic_face(160, 120), None):
        surface = pygame.Surface(SIZE)
        renderer.draw(surface, view, preview, sample_mic(name), 0.0)
        pictures.append(pygame.image.tobytes(surface, "RGB"))
    same = pictures[0] == pictures[1]
    assert same == (view.screen not in PREVIEW_SCREENS), view.screen
