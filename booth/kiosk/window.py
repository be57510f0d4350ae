"""The kiosk in real time: a pygame window or the console's framebuffer, paced by the frame clock.

The loop never blocks on devices: the camera encoder and the muxer have their
own threads, and pygame's frame clock sleeps between frames rather than
spinning. On screens where nothing moves (idle, closed, out of order) the
screen is redrawn only a few times a second.
"""

from __future__ import annotations

import os
import signal

import pygame

from booth.kiosk.loop import Kiosk
from booth.ui.input import InputMapper

# Screens with nothing that moves: drawing them every frame would only warm the Pi.
_STILL_SCREENS = {"idle", "closed", "out-of-order"}
_STILL_REDRAW_EVERY = 10  # frames


def open_display(size: tuple[int, int], fullscreen: bool, title: str = "booth") -> pygame.Surface:
    """The window (demo) or the whole screen (kiosk, through KMS/DRM on a Pi console)."""
    # Let Python, not SDL, handle SIGTERM and SIGINT, so `systemctl stop` ends the loop cleanly.
    os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
    pygame.display.init()
    pygame.font.init()
    pygame.display.set_caption(title)
    flags = pygame.FULLSCREEN if fullscreen else 0
    surface = pygame.display.set_mode(size, flags)
    if fullscreen:
        pygame.mouse.set_visible(False)
    return surface


def run(kiosk: Kiosk, allow_window_close: bool) -> None:
    """Run until the window is closed (demo) or the process is asked to stop (SIGTERM)."""
    stopping = False

    def stop(_signum, _frame) -> None:
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
                event, kiosk.flow.screen, kiosk.hitboxes, kiosk.surface.get_size()
            )
            if mapped == ("quit", None):
                stopping = True
            elif mapped is not None:
                kiosk.post(*mapped)
        kiosk.step()
        frame += 1
        if kiosk.flow.screen not in _STILL_SCREENS or frame % _STILL_REDRAW_EVERY == 0:
            kiosk.render()
            pygame.display.flip()
        frame_clock.tick(kiosk.fps)
