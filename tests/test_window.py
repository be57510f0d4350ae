"""The display turned for a rotated mounting: picture and touches agree."""

from __future__ import annotations

import pygame
import pytest

from booth.kiosk.window import Screen, logical_size, to_logical


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_a_touch_on_the_rotated_display_lands_where_the_picture_shows_it(rotation):
    pygame.display.init()
    display = pygame.display.set_mode((80, 48))
    screen = Screen(display, rotation)
    w, h = screen.picture.get_size()
    assert (w, h) == logical_size((80, 48), rotation)
    screen.picture.fill((0, 0, 0))
    marker = pygame.Rect(int(w * 0.2), int(h * 0.1), 4, 4)  # a button near one corner
    screen.picture.fill((255, 0, 0), marker)
    screen.show()
    # Find the marker on the physical display and touch its centre there.
    pixels = pygame.surfarray.array3d(display)
    xs, ys = (pixels[:, :, 0] == 255).nonzero()
    touch = (xs.mean() + 0.5, ys.mean() + 0.5)
    event = pygame.event.Event(pygame.MOUSEBUTTONDOWN, {"pos": touch, "button": 1})
    x, y = screen.event_to_logical(event).pos
    assert marker.collidepoint(x, y), (rotation, touch, (x, y), marker)
    # Finger touches arrive as fractions of the display.
    finger = pygame.event.Event(
        pygame.FINGERDOWN, {"x": touch[0] / 80, "y": touch[1] / 48, "touch_id": 0}
    )
    f = screen.event_to_logical(finger)
    assert marker.collidepoint(f.x * w, f.y * h)


def test_rotation_90_swaps_width_and_height():
    assert logical_size((800, 480), 90) == (480, 800)
    assert to_logical((0, 0), 180, (800, 480)) == (800, 480)
