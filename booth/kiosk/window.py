"""The kiosk in real time: a pygame window or the console's framebuffer, paced by the frame clock.

The loop never blocks on devices: the camera encoder and the muxer have their
own threads, and pygame's frame clock sleeps between frames rather than
spinning. On screens where nothing moves (idle, closed, out of order) the
screen is redrawn only a few times a second.
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Callable
from pathlib import Path

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


KMSDRM_FIX = (
    "install pygame built against Raspberry Pi OS's SDL, as deploy/install.sh does: "
    "sudo apt install libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev libsdl2-mixer-dev "
    "libfreetype-dev libportmidi-dev, then /opt/booth/current/bin/pip install "
    "--force-reinstall --no-deps --no-binary pygame pygame==2.6.1"
)
"""PyPI's pygame wheels bundle an SDL built without the KMSDRM video driver (the console
driver a booth draws with); Debian's and Raspberry Pi OS's libsdl2 has it."""


class DisplayError(Exception):
    """The screen cannot be opened; the message is meant for staff."""


def sdl_library() -> Path | None:
    """The SDL2 library that pygame has loaded into this process (a wheel's bundled copy, or
    the system's libSDL2-2.0.so.0), read from /proc/self/maps; None when none is found."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1]
        if "/libSDL2-2" in path and ".so" in path:
            return Path(path)
    return None


def sdl_video_drivers() -> list[str]:
    """The video drivers compiled into pygame's SDL, lower case ("x11", "kmsdrm", "dummy"…):
    SDL_GetVideoDriver, which needs no SDL_Init. Empty when the library cannot be found."""
    library = sdl_library()
    if library is None:
        return []
    sdl = ctypes.CDLL(str(library))
    sdl.SDL_GetVideoDriver.restype = ctypes.c_char_p
    sdl.SDL_GetVideoDriver.argtypes = [ctypes.c_int]
    count = int(sdl.SDL_GetNumVideoDrivers())
    return [sdl.SDL_GetVideoDriver(i).decode().lower() for i in range(count)]


def open_display(
    size: tuple[int, int], fullscreen: bool, title: str = "booth", display: int = 0
) -> pygame.Surface:
    """The window (demo) or the whole screen (kiosk, through KMS/DRM on a Pi console).

    display: SDL's display index: on KMSDRM, the connected connectors of the card in
    SDL_KMSDRM_DEVICE_INDEX, in connector order (`booth.devices.choice`). Past the last one
    SDL's own display 0 is used.

    Raises `DisplayError` saying what to do when SDL cannot open it; SDL's own message for
    a driver it was built without ("kmsdrm not available") is the same as for a driver that
    finds no screen, so the compiled-in drivers are looked at to tell the two apart.
    """
    # Let Python, not SDL, handle SIGTERM and SIGINT, so `systemctl stop` ends the loop cleanly.
    os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
    try:
        pygame.display.init()
    except pygame.error as error:
        driver = os.environ.get("SDL_VIDEODRIVER", "")
        drivers = sdl_video_drivers()
        if driver and drivers and driver.lower() not in drivers:
            raise DisplayError(
                f"pygame's SDL ({sdl_library()}) has no {driver!r} video driver, only "
                f"{', '.join(drivers)}: "
                + (
                    KMSDRM_FIX
                    if driver.lower() == "kmsdrm"
                    else "set SDL_VIDEODRIVER to one of those"
                )
            ) from error
        raise DisplayError(
            f"cannot open the display ({driver or 'SDL default'}): {error}. Check that a "
            "screen is connected (booth doctor), and that nothing else holds the console"
        ) from error
    pygame.font.init()
    pygame.display.set_caption(title)
    flags = pygame.FULLSCREEN if fullscreen else 0
    displays = pygame.display.get_num_displays()
    surface = pygame.display.set_mode(size, flags, display=display if display < displays else 0)
    if fullscreen:
        pygame.mouse.set_visible(False)
    return surface


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
