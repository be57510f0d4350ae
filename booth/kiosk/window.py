"""The kiosk in real time: a pygame window or the console's framebuffer, paced by the frame clock.

The loop never blocks on devices: the camera encoder and the muxer have their
own threads, and pygame's frame clock sleeps between frames rather than
spinning. On screens where nothing moves (idle, closed, out of order) the
screen is redrawn only a few times a second.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

import pygame

from booth.kiosk.loop import Kiosk
from booth.ui.input import InputMapper

# Screens with nothing that moves: drawing them every frame would only warm the Pi.
_STILL_SCREENS = {"idle", "closed", "out-of-order"}
_STILL_REDRAW_EVERY = 10  # frames


def logical_size(display: tuple[int, int], rotation: int) -> tuple[int, int]:
    """The size the screens are drawn at: the display's, turned for a rotated mounting."""
    w, h = display
    return (h, w) if rotation in (90, 270) else (w, h)


def to_logical(
    pos: tuple[float, float], rotation: int, logical: tuple[int, int]
) -> tuple[float, float]:
    """Where a touch at `pos` on the display lands on the drawn (unrotated) picture.

    The picture is turned `rotation` degrees clockwise onto the display, so the touch is
    turned back the other way.
    """
    x, y = pos
    w, h = logical
    if rotation == 90:
        return (y, h - x)
    if rotation == 180:
        return (w - x, h - y)
    if rotation == 270:
        return (w - y, x)
    return (x, y)


class Screen:
    """The physical display and the picture drawn for it, turned for the mounting."""

    def __init__(self, display: pygame.Surface, rotation: int) -> None:
        self.display = display
        self.rotation = rotation
        size = logical_size(display.get_size(), rotation)
        self.picture = display if rotation == 0 else pygame.Surface(size).convert()

    def show(self) -> None:
        if self.rotation:
            # pygame rotates counter-clockwise; the setting is clockwise.
            self.display.blit(pygame.transform.rotate(self.picture, -self.rotation), (0, 0))
        pygame.display.flip()

    def event_to_logical(self, event: pygame.event.Event) -> pygame.event.Event:
        """Touches and clicks in picture coordinates (finger events stay 0..1 fractions)."""
        if not self.rotation:
            return event
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
            pos = to_logical(event.pos, self.rotation, self.picture.get_size())
            return pygame.event.Event(event.type, {**event.dict, "pos": pos})
        if event.type == pygame.FINGERDOWN:
            x, y = to_logical((event.x, event.y), self.rotation, (1, 1))
            return pygame.event.Event(event.type, {**event.dict, "x": x, "y": y})
        return event


def run(
    kiosk: Kiosk,
    screen: Screen,
    allow_window_close: bool,
    each_frame: Callable[[], None] | None = None,
    step: Callable[[], None] | None = None,
) -> None:
    """Run until the window is closed (demo) or the process is asked to stop (SIGTERM).

    `each_frame` runs once per frame (the service's watchdog and status). `step` moves the
    booth on one frame: `kiosk.step` on a booth; the simulated booth's step, which moves its
    world first, in the demo.
    """
    step = step or kiosk.step
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    mapper = InputMapper(allow_window_close=allow_window_close)
    frame_clock = pygame.time.Clock()
    frame = 0
    while not stopping:
        for event in pygame.event.get():
            mapped = mapper.map_event(
                screen.event_to_logical(event),
                kiosk.flow.screen,
                kiosk.hitboxes,
                kiosk.surface.get_size(),
            )
            if mapped == ("quit", None):
                stopping = True
            elif mapped is not None:
                kiosk.post(*mapped)
        step()
        if each_frame is not None:
            each_frame()
        frame += 1
        if kiosk.flow.screen not in _STILL_SCREENS or frame % _STILL_REDRAW_EVERY == 0:
            kiosk.render()
            screen.show()
        frame_clock.tick(kiosk.fps)
