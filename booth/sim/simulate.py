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
from typing import TYPE_CHECKING

from booth.config.settings import Settings
from booth.sim.booth import SimBooth
from booth.sim.script import Command

if TYPE_CHECKING:
    import pygame

log = logging.getLogger("booth.simulate")


@dataclass
class Outcome:
    exit_code: int
    message: str = ""


def run_script(booth: SimBooth, commands: list[Command], source: str) -> Outcome:
    """Run a parsed script against a simulated booth in virtual time."""
    kiosk = booth.kiosk
    for cmd in commands:
        # parse_script gives press, type, expect and screenshot their argument.
        if cmd.name == "press":
            assert cmd.arg is not None
            kiosk.post(cmd.arg, cmd.value)
            kiosk.process_actions()
            booth.follow_door()
        elif cmd.name == "type":
            assert cmd.arg is not None
            for ch in cmd.arg:
                kiosk.post("digit", ch)
            kiosk.process_actions()
            booth.follow_door()
        elif cmd.name == "wait":
            booth.run_for(cmd.seconds)
        elif cmd.name == "expect":
            if kiosk.flow.screen != cmd.arg:
                return Outcome(
                    1,
                    f"{source}:{cmd.line}: expected screen {cmd.arg!r}, "
                    f"but the screen is {kiosk.flow.screen!r}",
                )
        elif cmd.name == "screenshot":
            assert cmd.arg is not None
            kiosk.screenshot(cmd.arg)
        elif cmd.name == "clap":
            booth.clap()
        elif cmd.name == "ambient":
            booth.set_ambient(float(cmd.arg or 0))
    return Outcome(0, f"{source}: script completed on screen {kiosk.flow.screen!r}")


def headless_display(size: tuple[int, int]) -> pygame.Surface:
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
    from booth.kiosk.window import Screen
    from booth.sim.booth import SimRun, build_sim_booth

    out.mkdir(parents=True, exist_ok=True)
    # Drawn as the booth draws it: on the picture turned for the mounting ([display] rotation),
    # so the screenshots are what a candidate in front of a rotated panel reads.
    screen = Screen(headless_display(settings.display.size), settings.display.rotation)
    booth = build_sim_booth(settings, interviews_dir, out, screen.picture, SimRun(start=start))
    try:
        return run_script(booth, commands, source)
    finally:
        booth.close()
