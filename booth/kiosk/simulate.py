"""`booth simulate`: the whole booth on simulated hardware, driven by a script.

Virtual time starts at `start` (or now) and moves one camera frame at a time, as
fast as the work allows; takes still have their true length because every
frame and audio sample carries its virtual timestamp. Output in `out`:
screens/ (a PNG per screen entered, and named screenshots), events.jsonl, and
spool/ with the sessions, as a real booth would leave them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from booth.config.settings import Settings
from booth.kiosk.script import Command

log = logging.getLogger("booth.simulate")


@dataclass
class Outcome:
    exit_code: int
    message: str = ""


class ExpectFailed(Exception):
    pass


def run_script(kiosk, commands: list[Command], source: str) -> Outcome:
    """Run a parsed script against a kiosk in virtual time."""
    for cmd in commands:
        if cmd.name == "press":
            kiosk.post(cmd.arg, cmd.value)
            kiosk.process_actions()
        elif cmd.name == "type":
            for ch in cmd.arg:
                kiosk.post("digit", ch)
            kiosk.process_actions()
        elif cmd.name == "wait":
            for _ in range(round(cmd.seconds * kiosk.fps)):
                kiosk.step()
        elif cmd.name == "expect":
            if kiosk.flow.screen != cmd.arg:
                return Outcome(
                    1,
                    f"{source}:{cmd.line}: expected screen {cmd.arg!r}, "
                    f"but the screen is {kiosk.flow.screen!r}",
                )
        elif cmd.name == "screenshot":
            kiosk.screenshot(cmd.arg)
        elif cmd.name == "clap":
            kiosk.clap()
        elif cmd.name == "ambient":
            kiosk.set_ambient(float(cmd.arg))
    return Outcome(0, f"{source}: script completed on screen {kiosk.flow.screen!r}")


def headless_display(size: tuple[int, int]):
    """A pygame surface without a screen (SDL's dummy driver), at exactly `size`."""
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    import pygame

    pygame.display.init()
    pygame.font.init()
    # A FULLSCREEN window under the dummy driver comes back 1024x768: ask for a plain one.
    return pygame.display.set_mode(size)


def simulate(
    settings: Settings,
    interviews_dir: Path,
    out: Path,
    commands: list[Command],
    source: str,
    start: datetime | None = None,
) -> Outcome:
    """Build a simulated booth in `out`, recover what an earlier run left, run the script."""
    from booth.kiosk.build import build_sim_kiosk

    out.mkdir(parents=True, exist_ok=True)
    surface = headless_display(settings.display.size)
    kiosk, _ = build_sim_kiosk(settings, interviews_dir, out, surface, start=start)
    try:
        return run_script(kiosk, commands, source)
    finally:
        kiosk.close()
