"""The booth's screen: pygame's display, opened through SDL (KMS/DRM on a booth's console, a
window on a computer), and what SDL was built with.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import pygame

from booth.devices.ports.display import DisplayError

KMSDRM_FIX = (
    "install pygame built against Raspberry Pi OS's SDL, as deploy/install.sh does: "
    "sudo apt install libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev libsdl2-mixer-dev "
    "libfreetype-dev libportmidi-dev, then /opt/booth/current/bin/pip install "
    "--force-reinstall --no-deps --no-binary pygame pygame==2.6.1"
)
"""PyPI's pygame wheels bundle an SDL built without the KMSDRM video driver (the console
driver a booth draws with); Debian's and Raspberry Pi OS's libsdl2 has it."""


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
